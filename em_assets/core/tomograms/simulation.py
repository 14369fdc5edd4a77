"""Physically simulated cryo-electron tomograms of a FIB-milled lamella.

A phantom of Coulomb potential (``phantom``) is projected over a single-axis tilt series about y
(``projector``), each projection is imaged through the microscope's contrast transfer function
(``ctf``), recorded with Poisson shot noise at the dose per tilt, and the tilt series is
reconstructed by weighted back-projection. The result carries the hallmarks of real tomograms:
the missing wedge, noise correlated along the projection directions, CTF rings, dense matter dark,
and near-empty vacuum above and below the lamella.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ctf import image_intensity
from em_assets.core.tomograms.phantom import (
    ICE_DENSITY,
    VOLTS_PER_DENSITY,
    lamella_phantom,
)
from em_assets.core.tomograms.projector import (
    project,
    projection_matrix,
    weighted_back_projection,
)

_SUBJECT = "simulated tomogram spec"


@dataclass(frozen=True)
class TomogramSpec:
    """What to simulate; every field is checked on construction.

    Attributes
    ----------
    shape
        (z, y, x) size in voxels; z is the beam direction at zero tilt, y the tilt axis.
    voxel_size
        Voxel (and detector pixel) size in Å.
    dose
        Total electron dose over the tilt series, e/Å², shared equally among the tilts.
    defocus
        Underfocus in µm (positive).
    tilt_range, tilt_step
        Tilts run symmetrically over ±`tilt_range` degrees in steps of `tilt_step` degrees.
    lamella_fraction
        Lamella thickness as a fraction of the depth; vacuum fills the rest.
    vesicles, particles
        Number of vesicles and protein complexes.
    gold_beads
        Whether 5-10 nm gold beads sit on the lamella's faces.
    seed
        Seed of every random choice: phantom layout and shot noise.
    voltage, spherical_aberration, amplitude_contrast
        Microscope: kV, mm, and the amplitude contrast ratio.
    """

    shape: tuple[int, int, int] = (64, 128, 128)
    voxel_size: float = 10.0
    dose: float = 120.0
    defocus: float = 4.0
    tilt_range: float = 60.0
    tilt_step: float = 3.0
    lamella_fraction: float = 0.6
    vesicles: int = 3
    particles: int = 40
    gold_beads: bool = False
    seed: int = 0
    voltage: float = 300.0
    spherical_aberration: float = 2.7
    amplitude_contrast: float = 0.07

    def __post_init__(self) -> None:
        if len(self.shape) != 3 or any(int(n) != n or n < 8 for n in self.shape):
            raise InputError(_SUBJECT, f"shape must be 3 whole sizes (z, y, x) of at least 8 voxels, got {self.shape}")
        positive = {"voxel_size": self.voxel_size, "dose": self.dose, "defocus": self.defocus,
                    "tilt_step": self.tilt_step, "voltage": self.voltage}
        for name, value in positive.items():
            if not np.isfinite(value) or value <= 0:
                raise InputError(_SUBJECT, f"{name} must be a positive number, got {value}")
        if not 0 < self.tilt_range <= 90:
            raise InputError(_SUBJECT, f"tilt_range must lie in (0, 90] degrees, got {self.tilt_range}")
        if self.tilt_step > self.tilt_range:
            raise InputError(_SUBJECT, f"tilt_step {self.tilt_step} exceeds tilt_range {self.tilt_range}")
        if not 0 < self.lamella_fraction <= 1:
            raise InputError(_SUBJECT, f"lamella_fraction must lie in (0, 1], got {self.lamella_fraction}")
        if self.vesicles < 0 or self.particles < 0:
            raise InputError(_SUBJECT, f"vesicles and particles must be >= 0, got {self.vesicles}, {self.particles}")
        if self.spherical_aberration < 0 or not 0 <= self.amplitude_contrast < 1:
            raise InputError(_SUBJECT, "spherical_aberration must be >= 0 and amplitude_contrast in [0, 1)")

    @property
    def tilt_angles(self) -> np.ndarray:
        """The tilt angles in degrees, symmetric about zero, `tilt_step` apart, within ±`tilt_range`."""
        count = int(np.floor(2 * self.tilt_range / self.tilt_step + 1e-9)) + 1
        return (np.arange(count) - (count - 1) / 2) * self.tilt_step


def simulate_tilt_series(spec: TomogramSpec) -> np.ndarray:
    """The recorded tilt series: projections imaged through the CTF, with shot noise at the dose.

    Parameters
    ----------
    spec : TomogramSpec
        What to simulate.

    Returns
    -------
    numpy.ndarray
        float32 (tilt, y, x) images in electrons per pixel, tilts in `spec.tilt_angles` order.
    """
    return _tilt_series(spec)[0]


def _tilt_series(spec: TomogramSpec) -> tuple[np.ndarray, sparse.csr_matrix]:
    rng = np.random.Generator(np.random.PCG64(spec.seed))
    shape = tuple(int(n) for n in spec.shape)
    phantom = lamella_phantom(
        shape, spec.voxel_size, spec.lamella_fraction, spec.vesicles, spec.particles, spec.gold_beads, rng
    )
    angles = spec.tilt_angles
    matrix = projection_matrix(shape[0], shape[2], angles)
    projected = project(phantom.excess, matrix, len(angles))
    ice_path = float(phantom.slab.sum()) / np.cos(np.deg2rad(angles))
    projected += (VOLTS_PER_DENSITY * ICE_DENSITY * ice_path)[:, None, None].astype(np.float32)
    projected *= np.float32(spec.voxel_size)
    intensity = image_intensity(
        projected, spec.voxel_size, spec.voltage, spec.defocus, spec.spherical_aberration, spec.amplitude_contrast
    )
    electrons_per_pixel = spec.dose / len(angles) * spec.voxel_size**2
    counts = rng.poisson(electrons_per_pixel * intensity).astype(np.float32)
    return counts, matrix


def simulate_tomogram(spec: TomogramSpec) -> np.ndarray:
    """Simulate a tomogram: the tilt series of `spec` reconstructed by weighted back-projection.

    Each projection is normalised to its mean count (as a flat-field does) before reconstruction,
    so the volume holds contrast: about 0 in ice, negative (dark) in protein and membranes.
    The same spec gives byte-identical output.

    Parameters
    ----------
    spec : TomogramSpec
        The tomogram's phantom, microscope, tilt scheme, dose and seed.

    Returns
    -------
    numpy.ndarray
        float32 (z, y, x) reconstruction, `spec.shape`.
    """
    counts, matrix = _tilt_series(spec)
    means = counts.mean(axis=(1, 2), keepdims=True)
    contrast = counts / np.maximum(means, np.float32(1e-6)) - np.float32(1.0)
    volume = weighted_back_projection(contrast, matrix, int(spec.shape[0]), spec.tilt_step)
    return np.ascontiguousarray(volume, dtype=np.float32)


_INTEGER_TYPES = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.uint8))


def quantise(volume: np.ndarray, dtype: np.dtype | type | str) -> np.ndarray:
    """Store a tomogram as the CryoET Data Portal does: int8, int16 or uint8, or float32 as is.

    The robust range (0.1st to 99.9th percentile) is scaled onto the type's full range, rounded and
    clipped, so the tails saturate as in portal tomograms.

    Parameters
    ----------
    volume : numpy.ndarray
        The tomogram.
    dtype : numpy.dtype or type or str
        int8, int16, uint8 or float32.

    Returns
    -------
    numpy.ndarray
        The tomogram in `dtype`.

    Raises
    ------
    InputError
        For any other dtype.
    """
    target = np.dtype(dtype)
    if target == np.dtype(np.float32):
        return np.asarray(volume, dtype=np.float32)
    if target not in _INTEGER_TYPES:
        raise InputError("quantise", f"dtype must be int8, int16, uint8 or float32, got {target}")
    info = np.iinfo(target)
    values = np.asarray(volume, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = np.percentile(finite, [0.1, 99.9]) if finite.size else (0.0, 0.0)
    if high <= low:
        return np.full(values.shape, (int(info.min) + int(info.max) + 1) // 2, dtype=target)
    scaled = (np.nan_to_num(values, nan=low) - low) / (high - low) * (float(info.max) - info.min) + info.min
    return np.clip(np.rint(scaled), info.min, info.max).astype(target)
