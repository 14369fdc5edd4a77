"""Every transient failure class of a chunk fetch is retried; permanent ones fail at once, naming the URL."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import zarr
from botocore.exceptions import ResponseStreamingError

from em_assets.core.errors import InputError
from em_assets.core.portal.download import download_over_s3
from em_assets.core.portal.http_store import HttpFetcher
from em_assets.core.portal.ingest import _client_download, ingest_tomogram, partial_dir
from em_assets.core.portal.retry import RetriesExhausted, RetryPolicy
from em_assets_tests.fixtures.portal.loopback_http import unaccepting_port
from em_assets_tests.fixtures.portal.servers import FAST_RETRY, PortalWorld

CHUNK = "/0/1/0/1"


def assert_exact_copy(portal: PortalWorld, dest: Path) -> None:
    np.testing.assert_array_equal(zarr.open_array(dest / "0", mode="r")[:], portal.zarrs[773].levels[0])


@pytest.mark.parametrize("concurrency", [1, 16])
@pytest.mark.parametrize("inject", ["drop_mid_body", "reset_connection", "hang", "503", "429"])
def test_a_transient_chunk_failure_is_retried_and_the_copy_is_exact(
    portal: PortalWorld, tmp_path: Path, inject: str, concurrency: int
) -> None:
    if inject.isdigit():
        portal.files.fail(CHUNK, int(inject), times=1, retry_after="0")
    else:
        getattr(portal.files, inject)(CHUNK, times=1)
    dest = tmp_path / "tomogram.zarr"
    settings = replace(portal.settings(timeout=0.5), concurrency=concurrency)
    ingest = ingest_tomogram(settings, 773, dest, level_spec="0")
    assert portal.files.count(CHUNK, "GET") == 2
    assert ingest.metadata["chunks_fetched"] == 8
    assert_exact_copy(portal, dest)


def test_a_body_cut_short_every_time_exhausts_the_retries_and_names_the_chunk(
    portal: PortalWorld, tmp_path: Path
) -> None:
    portal.files.drop_mid_body(CHUNK, times=100)
    with pytest.raises(RetriesExhausted, match=rf"{CHUNK}: still failing after 3 attempt.*ChunkedEncodingError"):
        ingest_tomogram(portal.settings(), 773, tmp_path / "tomogram.zarr", level_spec="0")
    assert portal.files.count(CHUNK, "GET") == 3


@pytest.mark.parametrize("concurrency", [1, 2])
def test_retry_after_longer_than_the_time_budget_is_not_waited_for(
    portal: PortalWorld, tmp_path: Path, concurrency: int
) -> None:
    # With 2 workers the other one starts a later chunk after the 429: it must not wait the 60 s either.
    portal.files.fail(CHUNK, 429, times=100, retry_after="60")
    settings = replace(portal.settings(), concurrency=concurrency)
    with pytest.raises(RetriesExhausted, match=r"1 attempt.*HTTP 429 from http://\S+0/1/0/1 \(Retry-After 60 s\)"):
        ingest_tomogram(settings, 773, tmp_path / "tomogram.zarr", level_spec="0")
    assert portal.files.count(CHUNK, "GET") == 1


def test_retry_after_is_waited_for_before_the_next_attempt(portal: PortalWorld, tmp_path: Path) -> None:
    # FAST_RETRY backs off 0.01 s; the server asks for 1 s, so the retry cannot come sooner.
    portal.files.fail(CHUNK, 503, times=1, retry_after="1")
    started = time.monotonic()
    ingest_tomogram(portal.settings(), 773, tmp_path / "tomogram.zarr", level_spec="0")
    assert time.monotonic() - started >= 1.0
    assert portal.files.count(CHUNK, "GET") == 2


def test_connect_timeouts_are_retried_then_reported() -> None:
    fetcher = HttpFetcher("portal tomogram 1", 0.2, FAST_RETRY)
    with unaccepting_port() as port:
        url = f"http://127.0.0.1:{port}/zarr/0/0/0/0"
        with pytest.raises(RetriesExhausted, match=r"GET http://127.0.0.1:\d+/zarr/0/0/0/0: still failing after 3.*ConnectTimeout"):
            fetcher.get(url)


@pytest.mark.parametrize("status", [403, 401, 410])
def test_a_refused_chunk_fails_at_once_naming_its_url(portal: PortalWorld, tmp_path: Path, status: int) -> None:
    portal.files.fail(CHUNK, status, times=100)
    dest = tmp_path / "tomogram.zarr"
    with pytest.raises(InputError, match=rf"portal tomogram 773: http://127.0.0.1:\d+/\S+{CHUNK} answered HTTP {status}"):
        ingest_tomogram(portal.settings(), 773, dest, level_spec="0")
    assert portal.files.count(CHUNK, "GET") == 1
    assert not dest.exists()


def test_a_stream_error_of_the_s3_download_is_retried_and_resumes(portal: PortalWorld, tmp_path: Path) -> None:
    subject = "portal tomogram 773"
    real = _client_download(portal.settings(), 773, subject)
    calls: list[str] = []

    def flaky(dest_path: str) -> None:
        calls.append(dest_path)
        if len(calls) == 1:
            raise ResponseStreamingError(error="Connection broken: IncompleteRead(100 bytes read, 200 more expected)")
        real(dest_path)

    partial = partial_dir(tmp_path / "tomogram.zarr")
    url = f"s3://cryoet-data-portal-public/{portal.tomograms[773].zarr_key}"
    mirrored = download_over_s3(flaky, url, partial, "0", RetryPolicy(3, 0.01, 0.01, 5), subject)
    assert len(calls) == 2
    assert mirrored.levels == ["0"]
    np.testing.assert_array_equal(zarr.open_array(mirrored.root / "0", mode="r")[:], portal.zarrs[773].levels[0])
