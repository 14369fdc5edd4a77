"""How far the fast GMM limits are from scikit-learn run to convergence, and how steady the reference is.

The shipped reference stops early and moves with its random state, so `fast` is held to the
converged fit (`gmm.converged_gmm_fit`) on the same sample, dithered over the quantum when the voxels
are quantised (which is what fitting them as interval data estimates). Differences are in % of the
volume's robust (0.1-99.9 percentile) range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from em_assets.core.contrast.gmm import (
    converged_gmm_fit,
    exact_gmm_limits,
    limits_around_nearest,
)
from em_assets.core.contrast.histogram import histogram_of
from em_assets.core.contrast.limits import gmm_limits
from em_assets.core.contrast.sampled_voxels import MethodSlab

REFERENCE_STATES = 5
DITHER_SEED = 0


def dithered(samples: np.ndarray, quantum: float, seed: int = DITHER_SEED) -> np.ndarray:
    """Each value plus uniform noise over its quantum (the values themselves when `quantum` is 0).

    Parameters
    ----------
    samples : numpy.ndarray
        The sampled values.
    quantum : float
        The lattice spacing of the values (1 for integers), 0 for continuous data.
    seed : int
        Seed of the noise.

    Returns
    -------
    numpy.ndarray
        float64 values.
    """
    values = np.asarray(samples, dtype=np.float64)
    if quantum <= 0:
        return values
    return values + np.random.default_rng(seed).uniform(-quantum / 2, quantum / 2, values.shape)


def percent_apart(a: tuple[float, float], b: tuple[float, float], robust: float) -> float:
    """The larger difference of the two limits, in % of `robust`.

    Parameters
    ----------
    a, b : tuple of float
        Two (low, high) limit pairs.
    robust : float
        The range the difference is measured against (the volume's robust range).

    Returns
    -------
    float
        ``100 * max(|a_low - b_low|, |a_high - b_high|) / robust``.
    """
    return 100 * max(abs(a[0] - b[0]), abs(a[1] - b[1])) / robust


@dataclass(frozen=True)
class Agreement:
    """Per volume, in % of the robust range: fast and the reference against the converged fit, and
    the largest move of either reference limit over REFERENCE_STATES random states. `fast` fits the
    whole slab's histogram (as shipped); `fast on sample` the histogram of the reference's sample."""

    fast_vs_converged: float
    fast_on_sample_vs_converged: float
    reference_vs_converged: float
    reference_spread: float
    converged: tuple[float, float]
    n_components: int


def gmm_agreement(slab: MethodSlab, dtype: str, robust: float) -> Agreement:
    """Compare the fast GMM limits of a summarised slab with the converged reference on its sample.

    Parameters
    ----------
    slab : MethodSlab
        The gmm slab, summarised with its seeded sample.
    dtype : str
        The volume's dtype, as a string.
    robust : float
        The volume's 0.1-99.9 percentile range.

    Returns
    -------
    Agreement
        The three differences and the converged limits.
    """
    samples = np.asarray(slab.samples, dtype=np.float64)
    mixture = converged_gmm_fit(dithered(samples, slab.histogram.quantum()))
    converged = limits_around_nearest(mixture, float(np.mean(samples)), float(samples.min()), float(samples.max()))
    fast = gmm_limits(slab, "fast", dtype, "agreement")[0]
    same = replace(slab, histogram=histogram_of(samples, slab.histogram.integer_valued))
    on_sample = gmm_limits(replace(same, sample_size=samples.size, n_voxels=samples.size, n_nonfinite=0), "fast", dtype, "")[0]
    references = [exact_gmm_limits(samples, state)[0] for state in range(REFERENCE_STATES)]
    shipped = exact_gmm_limits(samples)[0]
    lows, highs = zip(*references, strict=True)
    spread = 100 * max(max(lows) - min(lows), max(highs) - min(highs)) / robust
    return Agreement(
        percent_apart(fast, converged, robust),
        percent_apart(on_sample, converged, robust),
        percent_apart(shipped, converged, robust),
        spread,
        converged,
        mixture.n_components,
    )
