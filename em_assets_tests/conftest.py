"""Suite-wide guards and fixtures: no network beyond loopback, an isolated home and Dagster instance
per test, the store layout, the instance and the code location's definitions."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from em_assets.core.store import StoreLayout
from em_assets.dagster_support.local_runs import code_location

pytest_plugins = [
    "em_assets_tests.fixtures.portal.servers",
    "em_assets_tests.fixtures.synapses",
    "em_assets_tests.fixtures.dask_cluster",
    "em_assets_tests.fixtures.kill_runner",
    "em_assets_tests.fixtures.s3_store",
    "em_assets_tests.fixtures.cli_runs",
]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        raise ConnectionRefusedError(f"test tried to reach non-loopback address {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_loopback(host if isinstance(host, str) else str(host)):
        raise socket.gaierror(f"test tried to resolve non-loopback host {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    """Install the loopback-only network guard before any test module is imported."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point EM_ASSETS_HOME and DAGSTER_HOME at fresh folders for every test."""
    home = tmp_path / "em_home"
    dagster_home = tmp_path / "dagster_home"
    home.mkdir()
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("EM_ASSETS_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    return home


@pytest.fixture
def layout(isolated_homes: Path) -> StoreLayout:
    """The store layout below this test's EM_ASSETS_HOME."""
    return StoreLayout(isolated_homes)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A persistent instance in this test's DAGSTER_HOME."""
    with dg.instance_for_test(temp_dir=None) as test_instance:
        yield test_instance


@pytest.fixture(scope="session")
def definitions() -> dg.Definitions:
    """The code location's Definitions, as the webserver loads them."""
    return code_location()
