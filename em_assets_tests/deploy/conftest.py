"""A real PostgreSQL server for the deployment tests, and Dagster homes that use it."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from em_assets_tests.deploy.postgres_server import PostgresServer, start_postgres

PROFILES = Path(__file__).resolve().parents[2] / "deploy" / "dagster"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a free 127.0.0.1 port, data and socket in a temporary folder; stopped at the end."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


def use_profile(dagster_home: Path, profile: str) -> Path:
    """Copy deploy/dagster/<profile>.yaml to dagster_home/dagster.yaml, as `make` does."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(PROFILES / f"{profile}.yaml", dagster_home / "dagster.yaml"))


@pytest.fixture
def postgres_home(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's DAGSTER_HOME with the postgres profile, pointed at a new database of its own."""
    database = postgres.create_database(f"test_{uuid.uuid4().hex}")
    for name, value in postgres.environment(database).items():
        monkeypatch.setenv(name, value)
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    use_profile(dagster_home, "postgres")
    return dagster_home

