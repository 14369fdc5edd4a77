"""A throw-away PostgreSQL server from Debian's binaries: initdb in a temporary folder, 127.0.0.1 only.

PostgreSQL refuses to run as root, and tests and CI run as root: then every server command runs as the
unprivileged `postgres` system user (created by Debian's postgresql package; `.ci/run` makes sure of it)
through `runuser`, and the temporary folder belongs to that user. As any other user it runs directly.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg2

SERVER_USER = "postgres"
SUPERUSER = "dagster"
DATABASE = "dagster"


def postgres_bin() -> Path:
    """The newest installed `/usr/lib/postgresql/<version>/bin` with initdb and pg_ctl."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb: install Debian's postgresql (see .ci/run)")
    return found[-1].parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError as missing:
        raise RuntimeError(f"no '{SERVER_USER}' user to run PostgreSQL as root: see .ci/run") from missing
    return ["runuser", "-u", SERVER_USER, "--", *command]


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it keeps its files, how to reach it, and the dagster.yaml variables."""

    folder: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its Unix socket (inside the temporary folder)."""
        return self.folder / "socket"

    def environment(self, database: str = DATABASE) -> dict[str, str]:
        """The DAGSTER_PG_* variables the postgres profile of dagster.yaml reads, for `database`."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": SUPERUSER,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": database,
        }

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (a plain identifier) and return its name."""
        connection = self.connect("postgres")
        try:
            connection.autocommit = True
            connection.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            connection.close()
        return name

    def connect(self, database: str = DATABASE) -> psycopg2.extensions.connection:
        """A new connection over TCP with the password (as dagster connects)."""
        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password, dbname=database
        )

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        bin_dir = postgres_bin()
        try:
            if (self.data / "postmaster.pid").exists():
                _run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}")


def _owned_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="em-assets-postgres-"))
    (folder / "socket").mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        for path in (folder, folder / "socket"):
            os.chown(path, account.pw_uid, account.pw_gid)
    return folder


def start_postgres() -> PostgresServer:
    """initdb a new cluster with password authentication, start it on a free port, create the database."""
    bin_dir = postgres_bin()
    folder = _owned_folder()
    server = PostgresServer(folder, free_port(), password=os.urandom(12).hex())
    password_file = folder / "password"
    password_file.write_text(server.password + "\n")
    if os.geteuid() == 0:
        shutil.chown(password_file, SERVER_USER)
    try:
        _run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"), "-D", str(server.data), "-U", SUPERUSER,
                    f"--pwfile={password_file}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale",
                    "--no-sync",
                ]
            )
        )
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.socket_dir} -c fsync=off"
        _run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(server.data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"]
            )
        )
        server.create_database(DATABASE)
    except BaseException:
        server.stop()
        raise
    return server
