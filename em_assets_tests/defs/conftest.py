"""Fixtures for tests that run real Dagster materialisations."""

from pathlib import Path

import dagster as dg
import pytest

from em_assets.cli.local_runs import code_location
from em_assets.core.storage import StoreLayout
from em_assets.core.synthetic import DemoTomogram, write_demo_tomogram

SMALL_TOMOGRAMS = (
    DemoTomogram("small-zarr", (40, 96, 96), 10.0, "ngff-0.4", lambda v: (0.1 * v).astype("float32"), seed=11),
    DemoTomogram("small-mrc", (36, 80, 88), 7.5, "mrc", lambda v: (2e4 * v).astype("float32"), seed=12),
)


@pytest.fixture
def layout(isolated_homes: Path) -> StoreLayout:
    """The store layout below this test's EM_ASSETS_HOME."""
    return StoreLayout(isolated_homes)


@pytest.fixture
def instance() -> dg.DagsterInstance:
    """A persistent instance in this test's DAGSTER_HOME."""
    with dg.instance_for_test(temp_dir=None) as test_instance:
        yield test_instance


@pytest.fixture(scope="session")
def definitions() -> dg.Definitions:
    """The code location's Definitions."""
    return code_location()


@pytest.fixture
def small_landing(layout: StoreLayout) -> list[Path]:
    """Two small tomograms (one OME-Zarr, one MRC) in the landing folder."""
    return [write_demo_tomogram(layout.tomogram_landing, demo) for demo in SMALL_TOMOGRAMS]
