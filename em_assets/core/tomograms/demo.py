"""Demo tomograms: physically simulated lamellae written as the portal and labs hold them.

Each demo is simulated by `simulate_tomogram` (phantom, tilt series with CTF and shot noise,
weighted back-projection), scaled to unit spread, and stored in its own dtype and format: float32
and int8 OME-Zarr, an int16 MRC with a non-trivial header (origin, anisotropic cell), and a low-dose
uint8 one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np
import zarr

from em_assets.core.atomic import atomic_directory, atomic_file
from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
from em_assets.core.tomograms.simulation import (
    TomogramSpec,
    quantise,
    simulate_tomogram,
)
from em_assets.core.tomograms.volumes import write_multiscale

FORMATS = ("ngff-0.4", "ngff-0.5", "mrc")


@dataclass(frozen=True)
class DemoTomogram:
    """One demo tomogram: what to simulate, and how it is stored.

    Attributes
    ----------
    name
        Its landing name (and partition key).
    shape
        (z, y, x) in voxels.
    voxel_size
        The simulated voxel size in Å.
    format
        "ngff-0.4", "ngff-0.5" or "mrc".
    scale
        Turns the unit-spread float32 reconstruction into the stored values and dtype.
    seed
        The simulation's seed.
    dose
        Total electron dose of the tilt series, e/Å².
    mrc_origin
        For MRC: the header's origin (x, y, z) in Å.
    mrc_voxel_size
        For MRC: the voxel size (x, y, z) in Å the header declares through `cella`; default `voxel_size`.
    """

    name: str
    shape: tuple[int, int, int]
    voxel_size: float
    format: str
    scale: Callable[[np.ndarray], np.ndarray]
    seed: int
    dose: float = 120.0
    mrc_origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mrc_voxel_size: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InputError(f"demo tomogram {self.name}", f"format {self.format!r} is not one of {FORMATS}")

    @property
    def spec(self) -> TomogramSpec:
        """The simulation behind this demo."""
        return TomogramSpec(shape=self.shape, voxel_size=self.voxel_size, dose=self.dose, seed=self.seed)


def stored_as(dtype: str, spread: float = 1.0, offset: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """A `DemoTomogram.scale`: float32 `offset + spread × volume`, or the portal's integer quantisation.

    Parameters
    ----------
    dtype : str
        "float32", or "int8", "int16", "uint8" (quantised by `quantise`).
    spread, offset : float
        The float32 values' spread and centre.

    Returns
    -------
    callable
        The scaling.
    """
    if np.dtype(dtype) == np.float32:
        return lambda unit: (np.float32(offset) + np.float32(spread) * unit).astype(np.float32)
    return lambda unit: quantise(unit, dtype)


DEMO_TOMOGRAMS = (
    DemoTomogram("demo-lamella", (96, 320, 320), 10.0, "ngff-0.4", stored_as("float32", 2.0e4), seed=1),
    DemoTomogram("demo-int8", (112, 320, 320), 7.56, "ngff-0.5", stored_as("int8"), seed=2),
    DemoTomogram(
        "demo-int16-header", (80, 256, 288), 10.0, "mrc", stored_as("int16"), seed=3,
        mrc_origin=(-1440.0, 2560.0, 96.0), mrc_voxel_size=(10.0, 10.0, 10.5),
    ),  # fmt: skip
    DemoTomogram("demo-low-dose", (64, 256, 256), 13.48, "ngff-0.4", stored_as("uint8"), seed=4, dose=30.0),
)


def demo_volume(demo: DemoTomogram) -> np.ndarray:
    """The demo's stored voxels: its simulation, scaled to unit spread, then `demo.scale`.

    Parameters
    ----------
    demo : DemoTomogram
        The demo tomogram.

    Returns
    -------
    numpy.ndarray
        (z, y, x) voxels in the demo's dtype.
    """
    volume = simulate_tomogram(demo.spec)
    spread = float(volume.std(dtype=np.float64))
    unit = (volume - np.float32(volume.mean(dtype=np.float64))) / np.float32(spread if spread > 0 else 1.0)
    return demo.scale(unit)


def _write_mrc(target: Path, data: np.ndarray, demo: DemoTomogram) -> None:
    with atomic_file(target) as tmp:
        with mrcfile.new(tmp, overwrite=True) as mrc:
            mrc.set_data(data)
            mrc.voxel_size = demo.mrc_voxel_size or (demo.voxel_size,) * 3
            mrc.header.origin = demo.mrc_origin
            mrc.update_header_stats()


def _write_ngff_05(target: Path, data: np.ndarray, voxel_size: float, name: str) -> None:
    with atomic_directory(target) as tmp:
        group = zarr.open_group(str(tmp), mode="w", zarr_format=3)
        group.create_array("0", data=data, chunks=tuple(min(64, n) for n in data.shape))
        multiscales = build_multiscales(name, [MultiscaleLevel("0", (voxel_size,) * 3)])
        for multiscale in multiscales:
            multiscale.pop("version")
        group.attrs["ome"] = {"version": "0.5", "multiscales": multiscales}


def write_demo_tomogram(landing: Path, demo: DemoTomogram) -> Path:
    """Simulate one demo tomogram and write it into `landing` (atomically).

    Parameters
    ----------
    landing : Path
        The tomogram landing folder.
    demo : DemoTomogram
        What to simulate and how to store it.

    Returns
    -------
    Path
        The written `.mrc` file or `.zarr` folder.
    """
    data = demo_volume(demo)
    if demo.format == "mrc":
        target = landing / f"{demo.name}.mrc"
        _write_mrc(target, data, demo)
    elif demo.format == "ngff-0.5":
        target = landing / f"{demo.name}.zarr"
        _write_ngff_05(target, data, demo.voxel_size, demo.name)
    else:
        target = landing / f"{demo.name}.zarr"
        with atomic_directory(target) as tmp:
            write_multiscale(tmp, data, (demo.voxel_size,) * 3, demo.name)
    return target


def write_demo_tomograms(landing: Path, demos: tuple[DemoTomogram, ...] = DEMO_TOMOGRAMS) -> list[Path]:
    """Write every demo tomogram into `landing`, skipping those already there.

    Parameters
    ----------
    landing : Path
        The tomogram landing folder (created if missing).
    demos : tuple of DemoTomogram
        The demos to write.

    Returns
    -------
    list of Path
        Each demo's file or folder, in `demos` order.
    """
    landing.mkdir(parents=True, exist_ok=True)
    paths = []
    for demo in demos:
        existing = [landing / f"{demo.name}{suffix}" for suffix in (".mrc", ".zarr")]
        found = [p for p in existing if p.exists()]
        paths.append(found[0] if found else write_demo_tomogram(landing, demo))
    return paths
