"""A cryo-FIB lamella phantom in Coulomb potential: vitreous ice, membranes, proteins and gold.

Light matter (ice, lipid, protein) is given by mass density and converted to mean inner potential
in proportion, calibrated on vitreous ice (0.93 g/cm³, about 4.5 V); gold is given its measured
mean inner potential (about 30 V) because its potential is not proportional to its mass density.
The phantom stores the potential *in excess of* a uniform ice slab, so that the slab itself can be
projected analytically as if it extended beyond the field of view, as a real lamella does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

ICE_DENSITY = 0.93
"""Vitreous ice, g/cm³."""
PROTEIN_DENSITY = 1.35
"""Average protein, g/cm³."""
HEADGROUP_DENSITY = 1.35
"""Phospholipid head-group layer, g/cm³ (electron-dense leaflet)."""
TAIL_DENSITY = 0.86
"""Hydrocarbon core of a bilayer, g/cm³ (lighter than ice)."""
VOLTS_PER_DENSITY = 4.5 / ICE_DENSITY
"""Mean inner potential per g/cm³ of light (C, H, N, O, P) matter, V, from ice's ~4.5 V."""
GOLD_POTENTIAL = 30.0
"""Mean inner potential of gold, V."""
LEAFLET_SEPARATION = 40.0
"""Distance between the two head-group layers of a bilayer, Å."""
CROWDING_FRACTION = 0.1
"""Volume fraction of cytoplasm taken by small proteins.

Cytoplasm is 20-30 % macromolecules; the complexes placed one by one and the membranes take the rest.
"""
CROWDER_SIZE = 12.0
"""Correlation length of the crowding proteins' density, Å (proteins of a few nm)."""


@dataclass(frozen=True)
class Phantom:
    """Potential in excess of the ice slab (V, float32 (z, y, x)) and the slab's ice fraction per z."""

    excess: np.ndarray
    slab: np.ndarray


def _bilayer(distance: np.ndarray, voxel_size: float) -> np.ndarray:
    """Excess potential (V) across a bilayer at signed distance (voxels) from its mid-plane.

    Head groups are Gaussians of 4.25 Å sigma (1 nm FWHM) and the tail core one of 8 Å; each is
    widened by the voxel's own blur and lowered to keep its integral, so coarse voxels average
    the bilayer instead of aliasing it.
    """
    angstroms = distance * voxel_size
    blur = (0.4 * voxel_size) ** 2

    def layer(centre: float, width: float, density: float) -> np.ndarray:
        wide = np.sqrt(width**2 + blur)
        return (density - ICE_DENSITY) * width / wide * np.exp(-0.5 * ((angstroms - centre) / wide) ** 2)

    half = LEAFLET_SEPARATION / 2
    density = layer(-half, 4.25, HEADGROUP_DENSITY) + layer(half, 4.25, HEADGROUP_DENSITY)
    density += layer(0.0, 8.0, TAIL_DENSITY)
    return (VOLTS_PER_DENSITY * density).astype(np.float32)


def _ball(distance: np.ndarray, radius: float) -> np.ndarray:
    """Partial-volume occupancy of a ball of `radius` voxels at `distance` voxels from its centre."""
    return np.clip(radius + 0.5 - distance, 0.0, 1.0)


def _box(shape: tuple[int, ...], centre: np.ndarray, reach: float) -> tuple[tuple[slice, ...], list[np.ndarray]]:
    """The slices of a cube of half-size `reach` around `centre`, clipped, and its voxel offsets from it."""
    lo = np.maximum(np.floor(centre - reach).astype(int), 0)
    hi = np.minimum(np.ceil(centre + reach).astype(int) + 1, shape)
    region = tuple(slice(a, b) for a, b in zip(lo, hi))
    grids = np.ogrid[region]
    return region, [g - c for g, c in zip(grids, centre)]


def _distance(offsets: list[np.ndarray]) -> np.ndarray:
    return np.sqrt(sum(np.square(o) for o in offsets))


def _sheet_distance(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Signed distance (voxels) in the (y, x) plane from an undulating sheet crossing the lamella."""
    angle = rng.uniform(0, np.pi)
    y, x = np.ogrid[:height, :width]
    origin_y, origin_x = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
    across = (x - origin_x) * np.cos(angle) + (y - origin_y) * np.sin(angle)
    along = -(x - origin_x) * np.sin(angle) + (y - origin_y) * np.cos(angle)
    amplitude, wavelength = 0.04 * min(height, width), rng.uniform(0.5, 1.0) * max(height, width)
    phase = rng.uniform(0, 2 * np.pi)
    offset = amplitude * np.sin(2 * np.pi * along / wavelength + phase)
    slope = amplitude * 2 * np.pi / wavelength * np.cos(2 * np.pi * along / wavelength + phase)
    return (across + offset) / np.sqrt(1 + slope**2)


class _Placer:
    """Rejection sampling of non-overlapping spheres inside the lamella and clear of the sheet."""

    def __init__(self, shape: tuple[int, int, int], slab_range: tuple[float, float], sheet: np.ndarray | None):
        self.shape, self.slab_range, self.sheet = shape, slab_range, sheet
        self.centres: list[np.ndarray] = []
        self.radii: list[float] = []

    def place(self, radius: float, rng: np.random.Generator, margin: float) -> np.ndarray | None:
        depth, height, width = self.shape
        for _ in range(60):
            centre = np.array([rng.uniform(*self.slab_range), rng.uniform(0, height), rng.uniform(0, width)])
            if self.sheet is not None:
                y, x = np.clip(centre[1:].astype(int), 0, (height - 1, width - 1))
                if abs(self.sheet[y, x]) < radius + margin:
                    continue
            if self.centres:
                gaps = np.linalg.norm(np.array(self.centres) - centre, axis=1) - np.array(self.radii)
                if np.any(gaps < radius + margin):
                    continue
            self.centres.append(centre)
            self.radii.append(radius)
            return centre
        return None


def _paint_vesicle(excess: np.ndarray, centre: np.ndarray, radius: float, voxel_size: float) -> None:
    reach = radius + 2 * LEAFLET_SEPARATION / voxel_size + 2
    region, offsets = _box(excess.shape, centre, reach)
    excess[region] += _bilayer(_distance(offsets) - radius, voxel_size)


def _crowding(shape: tuple[int, int, int], voxel_size: float, rng: np.random.Generator) -> np.ndarray:
    """Protein occupancy of crowded cytoplasm: smoothed noise thresholded at `CROWDING_FRACTION`."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), CROWDER_SIZE / voxel_size)
    threshold = np.quantile(field[::2, ::2, ::2], 1.0 - CROWDING_FRACTION)
    return np.clip((field - threshold) / (0.5 * field.std()) + 0.5, 0.0, 1.0)


def _clear_sphere(occupancy: np.ndarray, centre: np.ndarray, radius: float) -> None:
    region, offsets = _box(occupancy.shape, centre, radius + 1)
    occupancy[region] *= 1.0 - _ball(_distance(offsets), radius)


def _paint_protein(occupancy: np.ndarray, centre: np.ndarray, radius: float, rng: np.random.Generator) -> None:
    """A lumpy complex: the union of 3-5 overlapping lobes within `radius` of `centre`."""
    region, offsets = _box(occupancy.shape, centre, radius + 1)
    for _ in range(rng.integers(3, 6)):
        lobe = rng.uniform(0.45, 0.7) * radius
        direction = rng.normal(size=3)
        shift = direction / np.linalg.norm(direction) * (radius - lobe) * rng.uniform(0.3, 1.0)
        lobe_offsets = [o - s for o, s in zip(offsets, shift)]
        occupancy[region] = np.maximum(occupancy[region], _ball(_distance(lobe_offsets), lobe))


def _slab_profile(depth: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, tuple[float, float]]:
    """Ice fraction per z of a lamella `fraction` of the depth thick, its centre jittered, soft over a voxel."""
    thickness = fraction * depth
    centre = (depth - 1) / 2 + rng.uniform(-0.5, 0.5) * (depth - thickness) * 0.5
    top, bottom = centre - thickness / 2, centre + thickness / 2
    z = np.arange(depth)
    return np.clip(z + 0.5 - top, 0, 1) * np.clip(bottom - z + 0.5, 0, 1), (top, bottom)


def lamella_phantom(
    shape: tuple[int, int, int],
    voxel_size: float,
    lamella_fraction: float,
    vesicles: int,
    particles: int,
    gold_beads: bool,
    rng: np.random.Generator,
) -> Phantom:
    """Build a lamella: ice, crowded cytoplasm, vesicles, a membrane sheet, protein complexes, gold.

    Parameters
    ----------
    shape : tuple of int
        (z, y, x) size in voxels; z is the beam direction at zero tilt.
    voxel_size : float
        Voxel size in Å.
    lamella_fraction : float
        Lamella thickness as a fraction of the depth; the rest is vacuum above and below.
    vesicles, particles : int
        Number of vesicles and protein complexes to place (fewer if they do not fit).
    gold_beads : bool
        Whether to put 5-10 nm gold beads on both faces of the lamella.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Phantom
        The potential in excess of the ice slab, and the slab's ice fraction per z.
    """
    depth, height, width = shape
    slab, (top, bottom) = _slab_profile(depth, lamella_fraction, rng)
    sheet = _sheet_distance(height, width, rng)
    excess = np.broadcast_to(_bilayer(sheet, voxel_size)[None], shape).copy()
    margin = LEAFLET_SEPARATION / voxel_size + 1
    protein = _crowding(shape, voxel_size, rng)
    protein *= np.clip(np.abs(sheet) - margin, 0.0, 1.0)[None]
    placer = _Placer(shape, (top, bottom), sheet)
    largest = 0.3 * min(height, width)
    for _ in range(vesicles):
        radius = min(rng.uniform(150.0, 450.0) / voxel_size, largest)
        centre = placer.place(radius, rng, margin)
        if centre is not None:
            _paint_vesicle(excess, centre, radius, voxel_size)
            _clear_sphere(protein, centre, radius + margin)
    for _ in range(particles):
        radius = max(rng.choice([rng.uniform(40.0, 70.0), rng.uniform(90.0, 130.0)]) / voxel_size, 1.5)
        centre = placer.place(radius, rng, 1.0)
        if centre is not None:
            _paint_protein(protein, centre, radius, rng)
    excess += VOLTS_PER_DENSITY * (PROTEIN_DENSITY - ICE_DENSITY) * protein
    excess *= slab[:, None, None]
    if gold_beads:
        _paint_gold(excess, (top, bottom), voxel_size, rng)
    return Phantom(excess=excess, slab=slab.astype(np.float32))


def _paint_gold(excess: np.ndarray, faces: tuple[float, float], voxel_size: float, rng: np.random.Generator) -> None:
    """Gold beads, about one per (150 nm)² on each face, resting on the lamella surfaces in vacuum."""
    _, height, width = excess.shape
    per_face = max(2, round(height * width * voxel_size**2 / 1500.0**2))
    for face, side in zip(faces, (-1.0, 1.0)):
        for _ in range(per_face):
            radius = rng.uniform(25.0, 50.0) / voxel_size
            centre = np.array([face + side * radius, rng.uniform(0, height), rng.uniform(0, width)])
            region, offsets = _box(excess.shape, centre, radius + 1)
            excess[region] += GOLD_POTENTIAL * _ball(_distance(offsets), radius)
