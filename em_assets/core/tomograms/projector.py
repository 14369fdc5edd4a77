"""Parallel-beam projector and weighted back-projection for single-axis tilt series about y.

Each xz slice normal to the tilt axis (y) is an independent 2-D problem with the same geometry, so
one sparse matrix maps an xz slice to its sinogram and acts on all y columns at once. The matrix is
Joseph's projector: a ray is sampled once per row (or column) of the slice it crosses most steeply,
with linear interpolation along the other axis and a weight equal to the path length per step.
Its transpose is the matching back-projector.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import fft, sparse

_WORKERS = 2


def projection_matrix(depth: int, width: int, angles_deg: np.ndarray) -> sparse.csr_matrix:
    """The Joseph projector of a (depth, width) xz slice onto `width` detector bins per tilt.

    Parameters
    ----------
    depth, width : int
        Slice size in voxels along z (the beam at zero tilt) and x.
    angles_deg : numpy.ndarray
        Tilt angles in degrees about the y axis.

    Returns
    -------
    scipy.sparse.csr_matrix
        float32, shape (n_tilts * width, depth * width); row ``t * width + u`` is detector bin u
        of tilt t, column ``z * width + x`` is voxel (z, x). Detector and slice share their centre.
    """
    rows, cols, weights = [], [], []
    detector = np.arange(width) - (width - 1) / 2.0
    for tilt, angle in enumerate(np.deg2rad(np.asarray(angles_deg, dtype=float))):
        cos, sin = np.cos(angle), np.sin(angle)
        by_rows = abs(cos) >= abs(sin)
        if by_rows:
            steps, n_along, slope, scale = depth, width, sin, cos
        else:
            steps, n_along, slope, scale = width, depth, cos, sin
        step_offset, along_offset = (steps - 1) / 2, (n_along - 1) / 2
        step = np.arange(steps)[:, None]
        position = (detector[None, :] - (step - step_offset) * slope) / scale + along_offset
        lower = np.floor(position).astype(np.int64)
        frac = position - lower
        bins = np.broadcast_to(np.arange(width)[None, :] + tilt * width, position.shape)
        for index, weight in ((lower, 1.0 - frac), (lower + 1, frac)):
            inside = (index >= 0) & (index < n_along)
            step_index = np.broadcast_to(step, position.shape)[inside]
            if by_rows:
                voxel = step_index * width + index[inside]
            else:
                voxel = index[inside] * width + step_index
            rows.append(bins[inside])
            cols.append(voxel)
            weights.append(weight[inside] / abs(scale))
    matrix = sparse.coo_matrix(
        (np.concatenate(weights).astype(np.float32), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(angles_deg) * width, depth * width),
    )
    return matrix.tocsr()


def _apply(matrix: sparse.csr_matrix, columns: np.ndarray) -> np.ndarray:
    """`matrix @ columns`, the columns split across a small thread pool (scipy releases the GIL)."""
    bounds = np.linspace(0, columns.shape[1], _WORKERS + 1).astype(int)
    parts = [np.ascontiguousarray(columns[:, lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
    with ThreadPoolExecutor(_WORKERS) as pool:
        results = list(pool.map(matrix.dot, parts))
    return np.concatenate(results, axis=1)


def project(volume: np.ndarray, matrix: sparse.csr_matrix, n_tilts: int) -> np.ndarray:
    """Line integrals of a (z, y, x) volume through every tilt.

    Parameters
    ----------
    volume : numpy.ndarray
        (z, y, x) volume.
    matrix : scipy.sparse.csr_matrix
        The projector from `projection_matrix` for this volume's depth and width.
    n_tilts : int
        Number of tilts `matrix` was built with.

    Returns
    -------
    numpy.ndarray
        float32 (tilt, y, x) projections: sums of voxel values times path length in voxels.
    """
    depth, height, width = volume.shape
    columns = volume.astype(np.float32).transpose(0, 2, 1).reshape(depth * width, height)
    sinogram = _apply(matrix, columns)
    return sinogram.reshape(n_tilts, width, height).transpose(0, 2, 1)


def ramp_filter(width: int, cutoff: float, falloff: float) -> np.ndarray:
    """The ramp |f| for an rfft of 2*width samples, rolled off past `cutoff`.

    The ramp is the transform of the band-limited spatial kernel (1/4 at 0, -1/(pi n)^2 at odd n),
    which keeps the zero-frequency response exact; a Gaussian of width `falloff` above `cutoff`
    tames the noise at Nyquist as tomography packages do.

    Parameters
    ----------
    width : int
        Detector width in pixels; the filter is for twice that, zero-padded.
    cutoff, falloff : float
        Start and Gaussian width of the roll-off, cycles per pixel.

    Returns
    -------
    numpy.ndarray
        Filter gain per rfft frequency, width + 1 values.
    """
    padded = 2 * width
    n = np.concatenate([np.arange(0, padded // 2 + 1), np.arange(-(padded // 2) + 1, 0)])
    kernel = np.zeros(padded)
    kernel[0] = 0.25
    odd = n % 2 == 1
    kernel[odd] = -1.0 / (np.pi * n[odd]) ** 2
    ramp = np.abs(fft.rfft(kernel))
    frequency = fft.rfftfreq(padded)
    roll_off = np.where(frequency > cutoff, np.exp(-0.5 * ((frequency - cutoff) / falloff) ** 2), 1.0)
    return ramp * roll_off


def weighted_back_projection(
    projections: np.ndarray,
    matrix: sparse.csr_matrix,
    depth: int,
    tilt_step_deg: float,
    cutoff: float = 0.35,
    falloff: float = 0.05,
) -> np.ndarray:
    """Reconstruct a (depth, y, x) volume from (tilt, y, x) projections by ramp-filtered back-projection.

    Parameters
    ----------
    projections : numpy.ndarray
        Tilt series, one projection per tilt, in the tilt order `matrix` was built with.
    matrix : scipy.sparse.csr_matrix
        The projector from `projection_matrix`; its transpose back-projects.
    depth : int
        Number of z slices to reconstruct.
    tilt_step_deg : float
        Angular spacing of the tilts, the weight of each back-projected view.
    cutoff, falloff : float
        Ramp roll-off in cycles per pixel (see `ramp_filter`).

    Returns
    -------
    numpy.ndarray
        float32 (depth, y, x) volume.
    """
    n_tilts, height, width = projections.shape
    spectrum = fft.rfft(projections, n=2 * width, axis=-1, workers=_WORKERS)
    spectrum *= ramp_filter(width, cutoff, falloff)
    filtered = fft.irfft(spectrum, axis=-1, workers=_WORKERS)[..., :width].astype(np.float32)
    filtered *= np.float32(np.deg2rad(tilt_step_deg))
    columns = filtered.transpose(0, 2, 1).reshape(n_tilts * width, height)
    volume = _apply(matrix.T.tocsr(), columns)
    return volume.reshape(depth, width, height).transpose(0, 2, 1)
