"""Fixtures for tests that run real Dagster materialisations."""

from pathlib import Path

import pytest

from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets.defs.resources import LANDING_QUIET_VARIABLE

SMALL_TOMOGRAMS = (
    DemoTomogram("small-zarr", (40, 96, 96), 10.0, "ngff-0.4", lambda v: (0.1 * v).astype("float32"), seed=11),
    DemoTomogram("small-mrc", (36, 80, 88), 7.5, "mrc", lambda v: (2e4 * v).astype("float32"), seed=12),
)


@pytest.fixture(autouse=True)
def no_quiet_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests write complete landing items before ticking a sensor: ingest them without waiting."""
    monkeypatch.setenv(LANDING_QUIET_VARIABLE, "0")


@pytest.fixture
def small_landing(layout: StoreLayout) -> list[Path]:
    """Two small tomograms (one OME-Zarr, one MRC) in the landing folder."""
    return [write_demo_tomogram(layout.tomogram_landing, demo) for demo in SMALL_TOMOGRAMS]
