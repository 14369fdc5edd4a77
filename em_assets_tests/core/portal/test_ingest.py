"""Ingestion of a portal tomogram by both transports into a local NGFF 0.4 multiscale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from em_assets.core.portal.ingest import ingest_tomogram, partial_dir
from em_assets.defs.resources import PortalResource
from em_assets_tests.fixtures.portal.portal_zarr import tree_bytes
from em_assets_tests.fixtures.portal.servers import PortalWorld


def source_multiscale(portal: PortalWorld, tomogram_id: int) -> dict:
    """The fixture's own `multiscales[0]`."""
    return json.loads((portal.zarrs[tomogram_id].path / ".zattrs").read_text())["multiscales"][0]


@pytest.mark.parametrize("transport", ["https", "s3"])
def test_default_ingests_the_lowest_level_only(portal: PortalWorld, tmp_path: Path, transport: str) -> None:
    dest = tmp_path / "portal-773" / "tomogram.zarr"
    ingest = ingest_tomogram(portal.settings(), 773, dest, transport=transport)
    assert ingest.levels == ["2"]
    assert sorted(p.name for p in dest.iterdir()) == [".zattrs", ".zgroup", "2"]
    multiscale = json.loads((dest / ".zattrs").read_text())["multiscales"][0]
    source = source_multiscale(portal, 773)
    assert multiscale["version"] == "0.4"
    assert multiscale["axes"] == source["axes"]
    assert multiscale["datasets"] == [source["datasets"][2]]
    array = zarr.open_array(dest / "2", mode="r", zarr_format=2)
    np.testing.assert_array_equal(array[:], portal.zarrs[773].levels[2])
    assert not partial_dir(dest).exists()


@pytest.mark.parametrize("transport", ["https", "s3"])
def test_all_levels_are_exact_copies(portal: PortalWorld, tmp_path: Path, transport: str) -> None:
    dest = tmp_path / "tomogram.zarr"
    ingest = ingest_tomogram(portal.settings(), 801, dest, level_spec="all", transport=transport)
    assert ingest.levels == ["0", "1", "2"]
    source = portal.zarrs[801].path
    copied = tree_bytes(dest)
    assert {k: v for k, v in copied.items() if k != ".zattrs"} == {
        k: v for k, v in tree_bytes(source).items() if k != ".zattrs"
    }
    assert json.loads(copied[".zattrs"]) == json.loads((source / ".zattrs").read_text())
    assert ingest.metadata["level_0_chunks"] == 8
    assert ingest.metadata["level_0_shape"] == "32x64x64"


def test_ingest_record_links_back_to_the_portal(portal: PortalWorld, tmp_path: Path) -> None:
    ingest = ingest_tomogram(portal.settings(), 773, tmp_path / "tomogram.zarr", level_spec="1")
    assert (ingest.tomogram_id, ingest.name, ingest.run_name, ingest.dataset_id) == (
        773, "Position_513", "Position_513", 10004,
    )  # fmt: skip
    assert ingest.https_url == portal.https_url(773)
    assert ingest.s3_url == f"s3://cryoet-data-portal-public/{portal.tomograms[773].zarr_key}"
    assert ingest.voxel_size_angstrom == pytest.approx(7.56)
    assert ingest.levels == ["1"]
    assert ingest.portal_link == "https://cryoetdataportal.czscience.com/runs/101"
    assert ingest.metadata["portal_https_omezarr_dir"] == portal.https_url(773)
    assert ingest.metadata["chunks_fetched"] == 1
    assert all(isinstance(v, str | int | float) for v in ingest.metadata.values())


def test_same_source_gives_byte_identical_copies(portal: PortalWorld, tmp_path: Path) -> None:
    first = tmp_path / "a" / "tomogram.zarr"
    second = tmp_path / "b" / "tomogram.zarr"
    ingest_tomogram(portal.settings(), 773, first, level_spec="0,2")
    ingest_tomogram(portal.settings(), 773, second, level_spec="0,2")
    assert tree_bytes(first) == tree_bytes(second)


def test_ingest_replaces_an_earlier_copy(portal: PortalWorld, tmp_path: Path) -> None:
    dest = tmp_path / "tomogram.zarr"
    ingest_tomogram(portal.settings(), 773, dest, level_spec="all")
    ingest_tomogram(portal.settings(), 773, dest, level_spec="lowest")
    assert sorted(p.name for p in dest.iterdir()) == [".zattrs", ".zgroup", "2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dagster_home", "em_home", "tomogram.zarr"]


def test_resource_reads_the_environment(portal: PortalWorld, tmp_path: Path) -> None:
    resource = PortalResource(levels="1", request_timeout_seconds=2.0, retry_first_delay_seconds=0.01)
    assert resource.settings().url == portal.graphql_url
    assert resource.filters().dataset_ids == (10004,)
    ingest = resource.ingest_tomogram(773, tmp_path / "tomogram.zarr")
    assert ingest.levels == ["1"]
