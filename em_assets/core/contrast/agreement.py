"""How far the fast GMM limits are from scikit-learn run to convergence, and how steady the reference is.

The shipped reference stops early and moves with its random state, so `fast` is held to the
converged fit on the same sample, dithered over the quantum when the voxels are quantised (which is
what fitting them as interval data estimates). scikit-learn's 3 k-means++ starts do not always reach
the best likelihood on these flat, overlapping mixtures, and its tolerance of 1e-6 stops it early
where its `reg_covar` (1e-6, added to every variance at every step) is a large part of the variance
(float tomograms of spread ~0.003): EM is then not monotone, and it stops on a slow drift. So the
converged fit of each number of components is the better (by scikit-learn's own likelihood on the
dithered sample) of scikit-learn's EM continued to tol 1e-9 from its 3-start fit and from fast's fit
of the sample. Differences are in % of
the volume's robust (0.1-99.9 percentile) range.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, replace

import numpy as np

from em_assets.core.contrast.gmm import (
    Mixture,
    converged_fits,
    exact_gmm_limits,
    fast_fits,
    fast_gmm_fit,
    limits_around_nearest,
    lowest_bic,
)
from em_assets.core.contrast.histogram import histogram_of
from em_assets.core.contrast.limits import cdf_limits, gmm_limits, percentile_limits
from em_assets.core.contrast.sampled_voxels import MethodSlab, SlabSummary

REFERENCE_STATES = 5
SETTLED_TOL = 1e-9
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
    """Per volume, in % of the robust range unless said: the fast limits of the whole slab (as
    shipped) and of the reference's sample; the whole-slab fast limits against the converged fit of
    the whole slab (scikit-learn's EM on the dithered slab from fast's and from the sample's converged
    fits, the better likelihood, BIC as for the sample; nan when the slab is not given); the
    converged fit from scikit-learn's starts alone, and
    the shipped reference, each against the converged fit; the largest move of either reference
    limit over REFERENCE_STATES random states; fast's sample against its whole slab; how much higher
    (log-likelihood units on the dithered sample, at the converged fit's n) the converged fit is than
    scikit-learn's starts alone at tol 1e-6 reach (negative where those stopped on a drift); the BIC margin of the converged n over the next best n; how much
    nearer the slab's mean fast's chosen component is than the next one (inf with one component)."""

    fast_vs_converged: float
    fast_vs_converged_on_slab: float
    fast_on_sample_vs_converged: float
    sklearn_starts_vs_converged: float
    reference_vs_converged: float
    reference_spread: float
    sample_vs_slab: float
    likelihood_gain: float
    bic_margin: float
    nearest_margin: float
    converged: tuple[float, float]
    n_components: int
    fast_n_components: int


def best_fits(*candidates: dict[int, tuple[Mixture, float]]) -> dict[int, tuple[Mixture, float]]:
    """Per number of components, the fit of highest log-likelihood among `candidates`.

    Parameters
    ----------
    *candidates : dict of int to (Mixture, float)
        Fits keyed by number of components, with their log-likelihoods on the same values.

    Returns
    -------
    dict of int to (Mixture, float)
        The best fit of every number of components any candidate holds.
    """
    best: dict[int, tuple[Mixture, float]] = {}
    for fits in candidates:
        for n, fit in fits.items():
            if n not in best or fit[1] > best[n][1]:
                best[n] = fit
    return best


def bic_margin(fits: dict[int, tuple[Mixture, float]], size: int) -> float:
    """How much lower the lowest BIC is than the next lowest (inf with one fit)."""
    bics = sorted(-2 * log_likelihood + (3 * n - 1) * np.log(size) for n, (_, log_likelihood) in fits.items())
    return float(bics[1] - bics[0]) if len(bics) > 1 else float("inf")


def nearest_margin(mixture: Mixture, data_mean: float) -> float:
    """The second smallest minus the smallest distance of a component mean to `data_mean` (inf with one)."""
    distances = np.sort(np.abs(mixture.means - data_mean))
    return float(distances[1] - distances[0]) if distances.size > 1 else math.inf


def gmm_agreement(slab: MethodSlab, dtype: str, robust: float, slab_values: np.ndarray | None = None) -> Agreement:
    """Compare the fast GMM limits of a summarised slab with the converged reference on its sample.

    Parameters
    ----------
    slab : MethodSlab
        The gmm slab, summarised with its seeded sample.
    dtype : str
        The volume's dtype, as a string.
    robust : float
        The volume's 0.1-99.9 percentile range.
    slab_values : numpy.ndarray, optional
        Every finite voxel of the slab, for the whole-slab comparison.

    Returns
    -------
    Agreement
        The differences, the converged limits and both methods' numbers of components.
    """
    samples = np.asarray(slab.samples, dtype=np.float64)
    mean, low, high = float(np.mean(samples)), float(samples.min()), float(samples.max())
    noisy = dithered(samples, slab.histogram.quantum())
    sample_histogram = histogram_of(samples, slab.histogram.integer_valued)
    fast_on_sample = fast_fits(sample_histogram)
    from_sklearn = converged_fits(noisy)
    fits = best_fits(
        *(converged_fits(noisy, starts={n: fit[0] for n, fit in start.items()}, tol=SETTLED_TOL) for start in (from_sklearn, fast_on_sample))
    )
    mixture = lowest_bic(fits, samples.size)
    converged = limits_around_nearest(mixture, mean, low, high)
    sklearn_alone = limits_around_nearest(lowest_bic(from_sklearn, samples.size), mean, low, high)
    fast, fast_mixture = gmm_limits(slab, "fast", dtype, "agreement")
    on_sample_mixture = fast_gmm_fit(sample_histogram, samples.size)
    on_sample = limits_around_nearest(on_sample_mixture, sample_histogram.mean(), low, high)
    references = [exact_gmm_limits(samples, state)[0] for state in range(REFERENCE_STATES)]
    shipped = exact_gmm_limits(samples)[0]
    lows, highs = zip(*references, strict=True)
    spread = 100 * max(max(lows) - min(lows), max(highs) - min(highs)) / robust
    n = mixture.n_components
    on_slab = math.nan
    if slab_values is not None:
        values = np.asarray(slab_values, dtype=np.float64)
        noisy_slab = dithered(values, slab.histogram.quantum())
        starts = (fast_fits(slab.histogram), fits)
        slab_fits = best_fits(
            *(converged_fits(noisy_slab, starts={k: fit[0] for k, fit in s.items()}, tol=SETTLED_TOL) for s in starts)
        )
        scale = samples.size / values.size
        chosen = lowest_bic({k: (m, ll * scale) for k, (m, ll) in slab_fits.items()}, samples.size)
        limits = limits_around_nearest(chosen, float(np.mean(values)), float(values.min()), float(values.max()))
        on_slab = percent_apart(fast, limits, robust)
    return Agreement(
        fast_vs_converged=percent_apart(fast, converged, robust),
        fast_vs_converged_on_slab=on_slab,
        fast_on_sample_vs_converged=percent_apart(on_sample, converged, robust),
        sklearn_starts_vs_converged=percent_apart(sklearn_alone, converged, robust),
        reference_vs_converged=percent_apart(shipped, converged, robust),
        reference_spread=spread,
        sample_vs_slab=percent_apart(on_sample, fast, robust),
        likelihood_gain=fits[n][1] - from_sklearn[n][1],
        bic_margin=bic_margin(fits, samples.size),
        nearest_margin=100 * nearest_margin(fast_mixture, slab.histogram.mean()) / robust,
        converged=converged,
        n_components=n,
        fast_n_components=fast_mixture.n_components,
    )


@dataclass(frozen=True)
class HistogramAgreement:
    """The fast CDF and percentile limits against exact on the seeded sample and on every slab voxel."""

    cdf_vs_sample: float
    cdf_vs_slab: float
    percentile_vs_sample: float
    percentile_vs_slab: float


def histogram_agreement(summary: SlabSummary, whole: SlabSummary, robust: float) -> HistogramAgreement:
    """Fast CDF and percentile limits against exact on the sample and on the whole slab, in % of `robust`.

    Parameters
    ----------
    summary : SlabSummary
        The volume summarised with its seeded sample (the exact engine's default).
    whole : SlabSummary
        The same volume summarised with every slab voxel as the sample (``downsampling_ratio=None``).
    robust : float
        The volume's 0.1-99.9 percentile range.

    Returns
    -------
    HistogramAgreement
        The four differences.
    """
    differences = []
    for limits in (cdf_limits, percentile_limits):
        fast = limits(summary.slabs[limits.__name__.split("_")[0]], "fast", summary.dtype, summary.name)
        for reference in (summary, whole):
            slab = reference.slabs[limits.__name__.split("_")[0]]
            differences.append(percent_apart(fast, limits(slab, "exact", reference.dtype, reference.name), robust))
    return HistogramAgreement(*differences)
