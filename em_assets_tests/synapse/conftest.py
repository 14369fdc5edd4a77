"""Helpers for the synapse chunk tests: small synthetic datasets written as a landing folder would be."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from em_assets.core.storage import StoreLayout
from em_assets.core.synthetic_synapses import synthetic_synapse_chunk
from em_assets.definitions import defs as load_definitions

ChunkWriter = Callable[..., tuple[Path, Path]]


def save_npy(path: Path, array: np.ndarray) -> Path:
    """Save `array` to `path`, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    """An empty dataset folder with `em/` and `mask/` sub-folders."""
    folder = tmp_path / "landing" / "dataset-1"
    (folder / "em").mkdir(parents=True)
    (folder / "mask").mkdir()
    return folder


@pytest.fixture
def write_chunk(dataset_dir: Path) -> ChunkWriter:
    """Write one synapse (`em/<id>.npy`, `mask/<id>_mask.npy`); synthetic arrays unless given."""

    def write(
        synapse_id: str,
        em: np.ndarray | None = None,
        mask: np.ndarray | None = None,
        size: int = 24,
        seed: int = 0,
    ) -> tuple[Path, Path]:
        if em is None or mask is None:
            synthetic_em, synthetic_mask = synthetic_synapse_chunk(seed, size)
            em = synthetic_em if em is None else em
            mask = synthetic_mask if mask is None else mask
        return (
            save_npy(dataset_dir / "em" / f"{synapse_id}.npy", em),
            save_npy(dataset_dir / "mask" / f"{synapse_id}_mask.npy", mask),
        )

    return write


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
    return load_definitions()
