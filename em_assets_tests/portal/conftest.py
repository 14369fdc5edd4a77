"""Loopback portal fixtures: a GraphQL server from the client's schema, HTTP and S3 file servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from em_assets.core.portal import PortalSettings
from em_assets.core.retry import RetryPolicy
from em_assets_tests.portal.file_servers import BUCKET, S3Server, http_file_server
from em_assets_tests.portal.loopback_http import LoopbackServer
from em_assets_tests.portal.portal_graphql import FixturePortal
from em_assets_tests.portal.portal_records import (
    FOLLOWED_DATASET,
    TOMOGRAMS_WITH_DATA,
    FixtureTomogram,
    fixture_tomograms,
    portal_tables,
)
from em_assets_tests.portal.portal_zarr import FixtureZarr, write_portal_zarr

FAST_RETRY = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.05, total_seconds=5.0)
FAST_TIMEOUT = 2.0


@dataclass
class PortalWorld:
    """The running loopback portal: its servers, fixture tomograms and their zarr folders."""

    graphql: LoopbackServer
    files: LoopbackServer
    s3: S3Server
    zarrs: dict[int, FixtureZarr]
    tomograms: dict[int, FixtureTomogram]

    @property
    def graphql_url(self) -> str:
        """The fixture portal's GraphQL endpoint."""
        return f"{self.graphql.base_url}/graphql"

    def https_url(self, tomogram_id: int) -> str:
        """The tomogram's `https_omezarr_dir` as the fixture portal lists it."""
        return f"{self.files.base_url}/{self.tomograms[tomogram_id].zarr_key}"

    def settings(self, retry: RetryPolicy = FAST_RETRY, timeout: float = FAST_TIMEOUT) -> PortalSettings:
        """Portal settings for the fixture portal with test-sized timeouts and backoffs."""
        return PortalSettings(url=self.graphql_url, timeout=timeout, retry=retry)


@pytest.fixture(scope="session")
def portal_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalWorld]:
    """Start the fixture servers once per test session (per xdist worker)."""
    root = tmp_path_factory.mktemp("portal_files")
    tomograms = {t.id: t for t in fixture_tomograms()}
    zarrs = {
        tomogram_id: write_portal_zarr(root / tomograms[tomogram_id].zarr_key, seed, tomograms[tomogram_id].voxel_spacing)
        for tomogram_id, seed in TOMOGRAMS_WITH_DATA.items()
    }
    files = http_file_server(root)
    s3 = S3Server()
    for fixture in zarrs.values():
        s3.upload_tree(root, fixture.path)
    graphql = FixturePortal(portal_tables(files.base_url, f"s3://{BUCKET}")).serve()
    try:
        yield PortalWorld(graphql, files, s3, zarrs, tomograms)
    finally:
        graphql.stop()
        files.stop()
        s3.stop()


@pytest.fixture
def portal(portal_servers: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalWorld]:
    """The fixture portal with clean request logs, and the environment pointing every client at it."""
    monkeypatch.setenv("EM_ASSETS_PORTAL_URL", portal_servers.graphql_url)
    monkeypatch.setenv("EM_ASSETS_PORTAL_DATASETS", str(FOLLOWED_DATASET))
    monkeypatch.setenv("BOTO_ENDPOINT_URL", portal_servers.s3.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(Path("/nonexistent/aws-config")))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(Path("/nonexistent/aws-credentials")))
    for server in (portal_servers.graphql, portal_servers.files):
        server.reset()
    portal_servers.s3.log.lines.clear()
    yield portal_servers
    for server in (portal_servers.graphql, portal_servers.files):
        server.reset()
