"""Interrupted downloads resume; transient failures are retried; permanent ones fail clearly."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import zarr

from em_assets.core.errors import InputError
from em_assets.core.portal.ingest import ingest_tomogram, partial_dir
from em_assets.core.portal.retry import RetriesExhausted, RetryPolicy
from em_assets_tests.fixtures.portal.portal_records import MISSING_ZARR_TOMOGRAM
from em_assets_tests.fixtures.portal.servers import PortalWorld

LEVEL0_CHUNKS = [f"0/{z}/{y}/{x}" for z in (0, 1) for y in (0, 1) for x in (0, 1)]


def chunk_gets(portal: PortalWorld, tomogram_id: int) -> dict[str, int]:
    """GET requests per level-0 chunk of the tomogram's zarr on the HTTP server."""
    base = portal.tomograms[tomogram_id].zarr_key
    return {key: portal.files.count(f"/{base}/{key}", "GET") for key in LEVEL0_CHUNKS}


@pytest.mark.parametrize(
    ("concurrency", "kept"),
    [(1, LEVEL0_CHUNKS[:4]), (16, [key for key in LEVEL0_CHUNKS if key != "0/1/0/0"])],
)
def test_interrupted_https_download_resumes_without_refetching(
    portal: PortalWorld, tmp_path: Path, concurrency: int, kept: list[str]
) -> None:
    # One at a time, the copy stops at the failing chunk; 16 at a time, the chunks already in flight finish.
    dest = tmp_path / "tomogram.zarr"
    settings = replace(portal.settings(), concurrency=concurrency)
    portal.files.fail("/0/1/0/0", 503, times=100)
    with pytest.raises(RetriesExhausted, match="0/1/0/0"):
        ingest_tomogram(settings, 773, dest, level_spec="0")
    assert not dest.exists()
    copy = partial_dir(dest) / "tomogram.zarr"
    assert [key for key in LEVEL0_CHUNKS if (copy / key).is_file()] == kept
    first_attempt = chunk_gets(portal, 773)

    portal.files.reset()
    ingest = ingest_tomogram(settings, 773, dest, level_spec="0")
    second_attempt = chunk_gets(portal, 773)
    assert [second_attempt[key] for key in LEVEL0_CHUNKS] == [0 if key in kept else 1 for key in LEVEL0_CHUNKS]
    assert [first_attempt[key] for key in kept] == [1] * len(kept)
    assert (ingest.metadata["chunks_reused"], ingest.metadata["chunks_fetched"]) == (len(kept), 8 - len(kept))
    np.testing.assert_array_equal(zarr.open_array(dest / "0", mode="r")[:], portal.zarrs[773].levels[0])
    assert not partial_dir(dest).exists()


def test_interrupted_s3_download_resumes_without_refetching(portal: PortalWorld, tmp_path: Path) -> None:
    dest = tmp_path / "tomogram.zarr"
    with pytest.raises(InputError, match="resolution level"):
        ingest_tomogram(portal.settings(), 773, dest, level_spec="9", transport="s3")
    zarr_root = partial_dir(dest) / "Position_513.zarr"
    for key in LEVEL0_CHUNKS[4:]:
        (zarr_root / key).unlink()
    portal.s3.log.lines.clear()

    ingest = ingest_tomogram(portal.settings(), 773, dest, level_spec="0", transport="s3")
    base = portal.tomograms[773].zarr_key
    assert [portal.s3.count("GET", f"/{base}/{key} ") for key in LEVEL0_CHUNKS] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert (ingest.metadata["chunks_reused"], ingest.metadata["chunks_fetched"]) == (4, 4)
    np.testing.assert_array_equal(zarr.open_array(dest / "0", mode="r")[:], portal.zarrs[773].levels[0])


def test_chunk_500_then_success_is_retried(portal: PortalWorld, tmp_path: Path) -> None:
    portal.files.fail("/0/0/1/1", 500, times=1)
    dest = tmp_path / "tomogram.zarr"
    ingest_tomogram(portal.settings(), 801, dest, level_spec="0")
    assert chunk_gets(portal, 801)["0/0/1/1"] == 2
    np.testing.assert_array_equal(zarr.open_array(dest / "0", mode="r")[:], portal.zarrs[801].levels[0])


def test_missing_zarr_is_a_permanent_404(portal: PortalWorld, tmp_path: Path) -> None:
    dest = tmp_path / "tomogram.zarr"
    url = portal.https_url(MISSING_ZARR_TOMOGRAM)
    with pytest.raises(InputError, match=f"portal tomogram {MISSING_ZARR_TOMOGRAM}: no OME-Zarr group at {url}"):
        ingest_tomogram(portal.settings(), MISSING_ZARR_TOMOGRAM, dest)
    assert portal.files.count("/.zgroup", "GET") == 1
    assert not dest.exists()


def test_missing_chunk_is_a_permanent_failure(portal: PortalWorld, tmp_path: Path) -> None:
    portal.files.fail("/0/1/1/1", 404, times=100)
    dest = tmp_path / "tomogram.zarr"
    with pytest.raises(InputError, match="portal tomogram 773: chunk 0/1/1/1 is missing at http://"):
        ingest_tomogram(portal.settings(), 773, dest, level_spec="0")
    assert chunk_gets(portal, 773)["0/1/1/1"] == 1
    assert not dest.exists()


def test_missing_s3_objects_are_a_permanent_failure(portal: PortalWorld, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"portal tomogram {MISSING_ZARR_TOMOGRAM}: no objects under s3://"):
        ingest_tomogram(portal.settings(), MISSING_ZARR_TOMOGRAM, tmp_path / "tomogram.zarr", transport="s3")


def test_corrupt_chunk_fails_verification_and_is_fetched_again(portal: PortalWorld, tmp_path: Path) -> None:
    dest = tmp_path / "tomogram.zarr"
    portal.files.fail("/0/1/0/1", 200, times=1, body=b"not a blosc frame")
    with pytest.raises(InputError, match="chunk 1 of 0 does not decode"):
        ingest_tomogram(portal.settings(), 773, dest, level_spec="0")
    ingest = ingest_tomogram(portal.settings(), 773, dest, level_spec="0")
    assert ingest.metadata["chunks_fetched"] == 1
    np.testing.assert_array_equal(zarr.open_array(dest / "0", mode="r")[:], portal.zarrs[773].levels[0])


def test_hanging_file_server_times_out(portal: PortalWorld, tmp_path: Path) -> None:
    portal.files.hang("/2/0/0/0", times=10)
    retry = RetryPolicy(attempts=2, first_delay=0.01, max_delay=0.01, total_seconds=5)
    with pytest.raises(RetriesExhausted, match=r"2/0/0/0: still failing after 2 attempt.*(Timeout|timed out)"):
        ingest_tomogram(portal.settings(retry=retry, timeout=0.2), 773, tmp_path / "tomogram.zarr")
    assert portal.files.count("/2/0/0/0", "GET") == 2


def test_unknown_level_is_refused(portal: PortalWorld, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"resolution level\(s\) \['5'\] not in the multiscale"):
        ingest_tomogram(portal.settings(), 773, tmp_path / "tomogram.zarr", level_spec="0,5")


def test_level_paths_that_escape_the_copy_are_refused(portal: PortalWorld, tmp_path: Path) -> None:
    attrs = json.loads((portal.zarrs[773].path / ".zattrs").read_text())
    attrs["multiscales"][0]["datasets"][2]["path"] = "../../escape"
    portal.files.fail("/.zattrs", 200, times=1, body=json.dumps(attrs).encode())
    with pytest.raises(InputError, match=r"not plain folder names: \['../../escape'\]"):
        ingest_tomogram(portal.settings(), 773, tmp_path / "store" / "tomogram.zarr")
    assert not (tmp_path / "escape").exists()


def test_unreadable_group_metadata_is_a_clear_failure(portal: PortalWorld, tmp_path: Path) -> None:
    portal.files.fail("/.zattrs", 200, times=1, body=b"{not json")
    with pytest.raises(InputError, match="portal tomogram 773: unreadable OME-Zarr metadata at http://"):
        ingest_tomogram(portal.settings(), 773, tmp_path / "tomogram.zarr")
