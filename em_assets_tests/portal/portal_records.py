"""Fixture datasets, runs, voxel spacings and tomograms, and where their OME-Zarr files live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FOLLOWED_DATASET = 10004
SECOND_DATASET = 10005
UNFOLLOWED_DATASET = 10099
FINE_SPACING = 7.56
COARSE_SPACING = 15.12
TOMOGRAMS_WITH_DATA = {773: 1, 801: 2}
MISSING_ZARR_TOMOGRAM = 802


@dataclass(frozen=True)
class FixtureTomogram:
    """One portal tomogram of the fixture and the run and dataset it belongs to."""

    id: int
    run_id: int
    run_name: str
    dataset_id: int
    voxel_spacing: float
    is_default: bool

    @property
    def zarr_key(self) -> str:
        """The OME-Zarr folder below the served root, in the portal's layout."""
        spacing = f"VoxelSpacing{self.voxel_spacing:.3f}"
        kind = "CanonicalTomogram" if self.is_default else "Denoised"
        return f"{self.dataset_id}/{self.run_name}/Tomograms/{spacing}/{kind}/{self.run_name}.zarr"


def fixture_tomograms() -> list[FixtureTomogram]:
    """Ten tomograms in dataset 10004 (seven runs), two in 10005, one in a dataset nobody follows."""
    tomograms = []
    for index in range(7):
        run_id, name = 101 + index, f"Position_{513 + index}"
        tomograms.append(FixtureTomogram(773 + index, run_id, name, FOLLOWED_DATASET, FINE_SPACING, True))
        if index < 3:
            tomograms.append(FixtureTomogram(790 + index, run_id, name, FOLLOWED_DATASET, COARSE_SPACING, False))
    tomograms.append(FixtureTomogram(801, 201, "TS_01", SECOND_DATASET, FINE_SPACING, True))
    tomograms.append(FixtureTomogram(MISSING_ZARR_TOMOGRAM, 202, "TS_02", SECOND_DATASET, FINE_SPACING, True))
    tomograms.append(FixtureTomogram(950, 901, "Other_01", UNFOLLOWED_DATASET, FINE_SPACING, True))
    return sorted(tomograms, key=lambda t: t.id)


def portal_tables(http_base: str, s3_base: str) -> dict[str, list[dict[str, Any]]]:
    """The rows the fixture GraphQL portal serves, pointing at the loopback file servers."""
    tomograms = fixture_tomograms()
    datasets = sorted({t.dataset_id for t in tomograms})
    runs = sorted({(t.run_id, t.run_name, t.dataset_id) for t in tomograms})
    spacings = sorted({(t.run_id, t.voxel_spacing) for t in tomograms})
    return {
        "Dataset": [
            {
                "id": dataset_id,
                "title": f"Fixture dataset {dataset_id}",
                "s3Prefix": f"{s3_base}/{dataset_id}/",
                "httpsPrefix": f"{http_base}/{dataset_id}/",
            }
            for dataset_id in datasets
        ],
        "Run": [
            {
                "id": run_id,
                "name": name,
                "datasetId": dataset_id,
                "s3Prefix": f"{s3_base}/{dataset_id}/{name}/",
                "httpsPrefix": f"{http_base}/{dataset_id}/{name}/",
            }
            for run_id, name, dataset_id in runs
        ],
        "TomogramVoxelSpacing": [
            {"id": _spacing_id(run_id, spacing), "runId": run_id, "voxelSpacing": spacing}
            for run_id, spacing in spacings
        ],
        "Tomogram": [_tomogram_row(t, http_base, s3_base) for t in tomograms],
    }


def _spacing_id(run_id: int, spacing: float) -> int:
    return run_id * 10 + (1 if spacing == FINE_SPACING else 2)


def _tomogram_row(t: FixtureTomogram, http_base: str, s3_base: str) -> dict[str, Any]:
    factor = 1 if t.voxel_spacing == FINE_SPACING else 2
    size_z, size_y, size_x = 32 // factor, 64 // factor, 64 // factor
    return {
        "id": t.id,
        "name": t.run_name,
        "runId": t.run_id,
        "tomogramVoxelSpacingId": _spacing_id(t.run_id, t.voxel_spacing),
        "voxelSpacing": t.voxel_spacing,
        "sizeX": size_x,
        "sizeY": size_y,
        "sizeZ": size_z,
        "scale0Dimensions": f"{size_x},{size_y},{size_z}",
        "scale1Dimensions": f"{size_x // 2},{size_y // 2},{size_z // 2}",
        "scale2Dimensions": f"{size_x // 4},{size_y // 4},{size_z // 4}",
        "isVisualizationDefault": t.is_default,
        "isPortalStandard": t.is_default,
        "isAuthorSubmitted": False,
        "fiducialAlignmentStatus": "FIDUCIAL",
        "reconstructionMethod": "WBP",
        "processing": "raw" if t.is_default else "denoised",
        "reconstructionSoftware": "IMOD",
        "httpsOmezarrDir": f"{http_base}/{t.zarr_key}",
        "s3OmezarrDir": f"{s3_base}/{t.zarr_key}",
        "httpsMrcFile": f"{http_base}/{t.zarr_key.removesuffix('.zarr')}.mrc",
        "s3MrcFile": f"{s3_base}/{t.zarr_key.removesuffix('.zarr')}.mrc",
    }
