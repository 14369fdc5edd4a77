"""The GMM method: 1-3 Gaussians, the lowest BIC, limits around the component nearest the mean.

Two fits stand behind it. `exact_gmm_fit` is the reference (scikit-learn on the voxel sample);
`fast_gmm_fit` runs EM (SQUAREM-accelerated) on the weighted bins of a fine histogram from many
deterministic starts at once. Arrays of a batch of starts are (S, n): S starts of n components; bins
run along the last axis.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from em_assets.core.contrast.binned_em import interval_em_step
from em_assets.core.contrast.histogram import DyadicHistogram

MAX_COMPONENTS = 3
SIGMA_MULTIPLIERS = {1: (2.0, 0.5), 2: (2.2, 0.65), 3: (3.0, 0.8)}
RANDOM_STATE = 42
REG_COVAR = 1e-6
ROBUST_BINS = 512
RANDOM_STARTS = 4
KMEANS_ITERATIONS = 30
Starts = tuple[np.ndarray, np.ndarray, np.ndarray]
WARMUP_CYCLES = 10
KEPT_STARTS = 3
MAX_CYCLES = 300
TOLERANCE = 1e-10
EPS = 10 * np.finfo(np.float64).eps
TINY_WEIGHT = 1e-300


@dataclass(frozen=True)
class Mixture:
    """A fitted 1-D Gaussian mixture: per component weight, mean and variance."""

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray

    @property
    def n_components(self) -> int:
        """How many Gaussians the mixture has."""
        return int(self.means.size)

    def components(self) -> list[tuple[float, float, float]]:
        """(weight, mean, sigma) of each component, by increasing mean."""
        order = np.argsort(self.means, kind="stable")
        return [
            (float(self.weights[i]), float(self.means[i]), float(np.sqrt(self.variances[i]))) for i in order
        ]


def limits_around_nearest(
    mixture: Mixture, data_mean: float, minimum: float, maximum: float
) -> tuple[float, float]:
    """(mu - a*sigma, mu + b*sigma) of the component nearest `data_mean`, clamped to [minimum, maximum].

    Parameters
    ----------
    mixture : Mixture
        The fitted mixture; its number of components picks the multipliers a and b
        (`SIGMA_MULTIPLIERS`).
    data_mean : float
        The mean of the data; the component whose mean is nearest it is used.
    minimum, maximum : float
        The range of the data.

    Returns
    -------
    tuple of float
        The lower and upper limits.
    """
    nearest = np.argmin(np.abs(mixture.means - data_mean))
    mean, sigma = mixture.means[nearest], np.sqrt(mixture.variances[nearest])
    low_multiplier, high_multiplier = SIGMA_MULTIPLIERS[mixture.n_components]
    low, high = mean - low_multiplier * sigma, mean + high_multiplier * sigma
    return float(max(low, minimum)), float(min(high, maximum))


def _sklearn_mixture(n_components: int, max_iter: int, random_state: int, **options: float):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(
        n_components=n_components,
        covariance_type="full",
        max_iter=max_iter,
        random_state=random_state,
        init_params="k-means++",
        **options,
    )


def exact_gmm_fit(samples: np.ndarray, random_state: int = RANDOM_STATE) -> Mixture:
    """The reference: scikit-learn fits for 1-3 components, lowest BIC, refit with max_iter=300.

    Parameters
    ----------
    samples : numpy.ndarray
        The sampled voxel values.
    random_state : int
        scikit-learn's random state (the reference uses 42).

    Returns
    -------
    Mixture
        The refitted lowest-BIC mixture.
    """
    column = samples.reshape(-1, 1)
    bics = np.full(MAX_COMPONENTS, np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(1, MAX_COMPONENTS + 1):
            try:
                bics[n - 1] = _sklearn_mixture(n, 100, random_state).fit(column).bic(column)
            except ValueError:
                continue
        best = _sklearn_mixture(int(np.argmin(bics)) + 1, 300, random_state).fit(column)
    return _as_mixture(best)


def _as_mixture(fitted) -> Mixture:
    return Mixture(fitted.weights_, fitted.means_.reshape(-1), fitted.covariances_.reshape(-1))


def converged_fits(
    samples: np.ndarray, random_state: int = 0, starts: dict[int, Mixture] | None = None, tol: float = 1e-6
) -> dict[int, tuple[Mixture, float]]:
    """scikit-learn run to convergence (tol 1e-6 unless given, up to 2000 steps) for 1-3 components.

    Parameters
    ----------
    samples : numpy.ndarray
        The values to fit (dithered first when they are quantised, see `agreement.dithered`).
    random_state : int
        scikit-learn's random state for its k-means++ starts.
    starts : dict of int to Mixture, optional
        When given, each n is fitted once from ``starts[n]`` (its weights, means and precisions)
        instead of from the best of 3 k-means++ starts.
    tol : float
        scikit-learn's tolerance on the change of the mean log-likelihood per step.

    Returns
    -------
    dict of int to (Mixture, float)
        Per number of components, the fitted mixture and its total log-likelihood on `samples`.
    """
    from sklearn.mixture import GaussianMixture

    column = np.asarray(samples, dtype=np.float64).reshape(-1, 1)
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(1, MAX_COMPONENTS + 1):
            if starts is None:
                model = _sklearn_mixture(n, 2000, random_state, tol=tol, n_init=3)
            elif n in starts:
                start = starts[n]
                model = GaussianMixture(
                    n_components=n,
                    covariance_type="full",
                    max_iter=2000,
                    tol=tol,
                    weights_init=start.weights,
                    means_init=start.means.reshape(-1, 1),
                    precisions_init=(1.0 / start.variances).reshape(-1, 1, 1),
                )
            else:
                continue
            model.fit(column)
            fits[n] = (_as_mixture(model), float(model.score(column)) * column.shape[0])
    return fits


def lowest_bic(fits: dict[int, tuple[Mixture, float]], size: float) -> Mixture:
    """The mixture of lowest BIC, ``-2 log L + (3n - 1) log(size)`` (fewer components on a tie).

    Parameters
    ----------
    fits : dict of int to (Mixture, float)
        Per number of components n, a mixture and its total log-likelihood.
    size : float
        The number of values the log-likelihoods are totals over.

    Returns
    -------
    Mixture
        The chosen mixture.
    """
    bics = {n: -2 * log_likelihood + (3 * n - 1) * math.log(size) for n, (_, log_likelihood) in fits.items()}
    return fits[min(bics, key=lambda n: (bics[n] if math.isfinite(bics[n]) else math.inf, n))][0]


def converged_gmm_fit(samples: np.ndarray, random_state: int = 0) -> Mixture:
    """scikit-learn run to convergence (tol 1e-6, up to 2000 steps, best of 3 starts), lowest BIC.

    Parameters
    ----------
    samples : numpy.ndarray
        The values to fit (dithered first when they are quantised, see `agreement.dithered`).
    random_state : int
        scikit-learn's random state.

    Returns
    -------
    Mixture
        The lowest-BIC mixture of 1-3 components.
    """
    return lowest_bic(converged_fits(samples, random_state), samples.size)


def exact_gmm_limits(samples: np.ndarray, random_state: int = RANDOM_STATE) -> tuple[tuple[float, float], Mixture]:
    """The reference GMM limits of `samples` and the chosen mixture.

    Parameters
    ----------
    samples, random_state
        As for `exact_gmm_fit`.

    Returns
    -------
    tuple
        The limits, clamped to the sample's range, and the mixture.
    """
    mixture = exact_gmm_fit(samples, random_state)
    return limits_around_nearest(mixture, np.mean(samples), np.min(samples), np.max(samples)), mixture


class BinnedData:
    """The occupied bins of a histogram, coarsened so its 0.1-99.9% range spans about ROBUST_BINS bins.

    Values are stored relative to `offset` (the histogram mean) to keep EM well conditioned. Data on
    a lattice (integers, or floats holding few distinct values, see `DyadicHistogram.quantum`) is
    fitted as interval data: `lower` and `upper` bound each bin's values before rounding, and no
    component may be narrower than its quantum (variance q**2 / 12, a uniform over one quantum).
    Other floats are fitted at the bin values with Sheppard's correction for the bin width.
    """

    def __init__(self, histogram: DyadicHistogram):
        robust = histogram.quantile(0.999) - histogram.quantile(0.001)
        spread = robust if robust > 0 else histogram.maximum - histogram.minimum
        exponent = max(histogram.exponent, math.floor(math.log2(spread / ROBUST_BINS)))
        quantum = histogram.quantum()
        if quantum >= math.ldexp(1.0, exponent) and not histogram.integer_valued:
            exponent = histogram.exponent
        coarse = histogram.coarsened(exponent)
        occupied = coarse.counts > 0
        self.offset = histogram.mean()
        self.values = coarse.values[occupied] - self.offset
        self.counts = coarse.counts[occupied].astype(np.float64)
        self.total = float(self.counts.sum())
        self.binned = quantum > 0
        edges = coarse.edges - self.offset
        if coarse.integer_valued:
            self.lower, self.upper = edges[:-1][occupied] - 0.5, edges[1:][occupied] - 0.5
        elif quantum >= coarse.width:
            self.lower, self.upper = self.values - quantum / 2, self.values + quantum / 2
        else:
            self.lower, self.upper = edges[:-1][occupied], edges[1:][occupied]
        if self.binned:
            self.variance_floor = float(np.min(self.upper - self.lower)) ** 2 / 12 + REG_COVAR
        else:
            self.variance_floor = coarse.width**2 / 12 + REG_COVAR
        self.cumulative = np.cumsum(self.counts) / self.total - self.counts / (2 * self.total)

    def segment_starts(self, boundaries: list[float]) -> Starts | None:
        """One component per run of bins between cumulative-weight `boundaries`; None if one is empty.

        Parameters
        ----------
        boundaries : list of float
            Increasing fractions of the total weight from 0 to 1; n + 1 of them give n components.

        Returns
        -------
        Starts or None
            (weights, means, variances) of the n runs, each of shape (n,), or None.
        """
        label = np.searchsorted(np.asarray(boundaries[1:-1]), self.cumulative, side="right")
        return self.labelled_starts(label, len(boundaries) - 1)

    def labelled_starts(self, label: np.ndarray, n: int) -> Starts | None:
        """Weight, mean and variance of the bins carrying each label 0..n-1; None if a label is unused.

        Parameters
        ----------
        label : numpy.ndarray
            The component label (0..n-1) of each occupied bin.
        n : int
            The number of components.

        Returns
        -------
        Starts or None
            (weights, means, variances), each of shape (n,): weights as fractions of the total, means
            relative to `offset`, variances raised by the variance floor; or None.
        """
        weights = np.bincount(label, weights=self.counts, minlength=n)
        if np.any(weights <= 0):
            return None
        means = np.bincount(label, weights=self.counts * self.values, minlength=n) / weights
        squares = np.bincount(label, weights=self.counts * (self.values - means[label]) ** 2, minlength=n)
        return weights / self.total, means, squares / weights + self.variance_floor

    def nearest_starts(self, centres: np.ndarray) -> Starts | None:
        """Segments of the bins nearest each of `centres`.

        Parameters
        ----------
        centres : numpy.ndarray
            Component centres, relative to `offset` (sorted here).

        Returns
        -------
        Starts or None
            As `labelled_starts`, each bin labelled with its nearest centre; None if a centre gets no bin.
        """
        label = np.argmin(np.abs(self.values[:, None] - np.sort(centres)[None, :]), axis=1)
        return self.labelled_starts(label, centres.size)


def _kmeans_centres(data: BinnedData, centres: np.ndarray) -> np.ndarray:
    """Weighted Lloyd iterations in one dimension from `centres`."""
    for _ in range(KMEANS_ITERATIONS):
        label = np.argmin(np.abs(data.values[:, None] - centres[None, :]), axis=1)
        weights = np.bincount(label, weights=data.counts, minlength=centres.size)
        sums = np.bincount(label, weights=data.counts * data.values, minlength=centres.size)
        centres = np.where(weights > 0, sums / np.where(weights > 0, weights, 1), centres)
    return centres


def _plus_plus_centres(data: BinnedData, n: int, seed: int) -> np.ndarray:
    """k-means++ seeding on the weighted bins with a fixed seed."""
    rng = np.random.default_rng(seed)
    centres = [data.values[rng.choice(data.values.size, p=data.counts / data.total)]]
    for _ in range(n - 1):
        distance = np.min((data.values[:, None] - np.array(centres)[None, :]) ** 2, axis=1) * data.counts
        if not distance.sum() > 0:
            break
        centres.append(data.values[rng.choice(data.values.size, p=distance / distance.sum())])
    return np.array(centres)


def initial_mixtures(data: BinnedData, n: int) -> list[Starts]:
    """Deterministic starts for n components: quantile runs, k-means, core and tails, nested widths.

    Parameters
    ----------
    data : BinnedData
        The weighted bins to fit.
    n : int
        The number of components.

    Returns
    -------
    list of Starts
        Each start's (weights, means, variances); candidates the data cannot support are left out, so
        the list may be empty.
    """
    candidates = [data.segment_starts([i / n for i in range(n + 1)])]
    middles = np.searchsorted(data.cumulative, [(i + 0.5) / n for i in range(n)]).clip(0, data.values.size - 1)
    candidates.append(data.nearest_starts(_kmeans_centres(data, data.values[middles])))
    if n == 2:
        candidates += [data.segment_starts([0.0, 0.1, 1.0]), data.segment_starts([0.0, 0.9, 1.0])]
    if n == 3:
        candidates += [data.segment_starts([0.0, 0.1, 0.9, 1.0]), data.segment_starts([0.0, 0.02, 0.98, 1.0])]
    for seed in range(RANDOM_STARTS):
        centres = _plus_plus_centres(data, n, seed)
        if centres.size == n:
            candidates.append(data.nearest_starts(_kmeans_centres(data, centres)))
    whole = data.segment_starts([0.0, 1.0])
    if whole is not None and n > 1:
        candidates.append((np.full(n, 1.0 / n), np.full(n, whole[1][0]), whole[2][0] * np.geomspace(0.25, 4.0, n)))
    return [c for c in candidates if c is not None]


def _em_step(data: BinnedData, params: Starts) -> tuple[Starts, np.ndarray]:
    """One EM update of every start, and the total log-likelihood of `params` before it."""
    if data.binned:
        return interval_em_step(data.lower, data.upper, data.counts, params, data.variance_floor)
    weights, means, variances = params
    distance = data.values[None, None, :] - means[:, :, None]
    log_density = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances))[:, :, None] - 0.5 * distance**2 / variances[:, :, None]
    top = log_density.max(axis=1, keepdims=True)
    density = np.exp(log_density - top)
    mixture = density.sum(axis=1, keepdims=True)
    log_likelihood = (np.log(mixture[:, 0, :]) + top[:, 0, :]) @ data.counts
    weighted = density * (data.counts / mixture)
    nk = weighted.sum(axis=2) + EPS
    shift = (weighted @ data.values - means * (nk - EPS)) / nk
    spread = np.einsum("snb,snb->sn", weighted, distance**2) / nk - shift**2
    new = (nk / nk.sum(axis=1, keepdims=True), means + shift, np.maximum(spread, 0.0) + data.variance_floor)
    return new, log_likelihood


def _to_vector(params: Starts) -> np.ndarray:
    weights, means, variances = params
    return np.concatenate([np.log(weights), means, np.log(variances)], axis=1)


def _from_vector(vector: np.ndarray, floor: float) -> Starts:
    log_weights, means, log_variances = np.split(vector, 3, axis=1)
    weights = np.maximum(np.exp(log_weights - log_weights.max(axis=1, keepdims=True)), TINY_WEIGHT)
    with np.errstate(over="ignore"):
        variances = np.maximum(np.exp(log_variances), floor)
    return weights / weights.sum(axis=1, keepdims=True), means, variances


def _squarem_cycle(data: BinnedData, params: Starts) -> tuple[Starts, np.ndarray]:
    """Two EM steps, an extrapolation along them and one more EM step where it beats plain EM."""
    first, log_likelihood = _em_step(data, params)
    second, after_first = _em_step(data, first)
    origin = _to_vector(params)
    r = _to_vector(first) - origin
    v = _to_vector(second) - origin - 2 * r
    r_norm, v_norm = np.linalg.norm(r, axis=1), np.linalg.norm(v, axis=1)
    alpha = np.minimum(-r_norm / np.where(v_norm > 0, v_norm, 1.0), -1.0)[:, None]
    jumped = _from_vector(origin - 2 * alpha * r + alpha**2 * v, data.variance_floor)
    stepped, after_jump = _em_step(data, jumped)
    keep = (np.isfinite(after_jump) & (after_jump >= after_first))[:, None]
    return tuple(np.where(keep, a, b) for a, b in zip(stepped, second, strict=True)), log_likelihood


def run_em(data: BinnedData, starts: Starts, max_cycles: int) -> tuple[Starts, np.ndarray]:
    """Accelerated EM from each start until its log-likelihood moves less than TOLERANCE per value.

    Parameters
    ----------
    data : BinnedData
        The weighted bins to fit.
    starts : Starts
        (weights, means, variances), each of shape (S, n): S starts of n components (not modified).
    max_cycles : int
        The most SQUAREM cycles run for any start.

    Returns
    -------
    tuple
        The fitted (weights, means, variances), each (S, n), and the total log-likelihood of each
        start, shape (S,).
    """
    params = tuple(p.copy() for p in starts)
    previous = np.full(params[0].shape[0], -np.inf)
    active = np.arange(previous.size)
    for _ in range(max_cycles):
        updated, log_likelihood = _squarem_cycle(data, tuple(p[active] for p in params))
        for target, source in zip(params, updated, strict=True):
            target[active] = source
        settled = np.abs(log_likelihood - previous[active]) < TOLERANCE * data.total
        previous[active] = log_likelihood
        active = active[~settled]
        if active.size == 0:
            break
    return params, _em_step(data, params)[1]


def fit_mixture(data: BinnedData, n: int) -> tuple[Mixture, float] | None:
    """The best n-component mixture over every start and its total log-likelihood (None: no start).

    Parameters
    ----------
    data, n
        As for `initial_mixtures`.

    Returns
    -------
    tuple of (Mixture, float) or None
        The mixture with the highest log-likelihood (means shifted back by the data's offset) and that
        log-likelihood; None when `initial_mixtures` gives no start.
    """
    starts = initial_mixtures(data, n)
    if not starts:
        return None
    stacked = tuple(np.array([start[i] for start in starts]) for i in range(3))
    params, log_likelihood = run_em(data, stacked, WARMUP_CYCLES)
    keep = np.argsort(-log_likelihood, kind="stable")[:KEPT_STARTS]
    params, log_likelihood = run_em(data, tuple(p[keep] for p in params), MAX_CYCLES)
    best = int(np.argmax(log_likelihood))
    weights, means, variances = (p[best] for p in params)
    return Mixture(weights, means + data.offset, variances), float(log_likelihood[best])


def fast_fits(histogram: DyadicHistogram) -> dict[int, tuple[Mixture, float]]:
    """The best fast fit of each number of components that has a start, and its log-likelihood.

    Parameters
    ----------
    histogram : DyadicHistogram
        The slab's fine histogram, fitted bin by bin.

    Returns
    -------
    dict of int to (Mixture, float)
        Per number of components (1-3), the mixture and its total log-likelihood over the
        histogram's values (interval masses for quantised data).
    """
    data = BinnedData(histogram)
    fits = {n: fit_mixture(data, n) for n in range(1, MAX_COMPONENTS + 1)}
    return {n: fit for n, fit in fits.items() if fit is not None}


def fast_gmm_fit(histogram: DyadicHistogram, sample_size: float) -> Mixture:
    """The lowest-BIC mixture of 1-3 components, BIC taken as for `sample_size` sampled values.

    Parameters
    ----------
    histogram : DyadicHistogram
        The slab's fine histogram, fitted bin by bin.
    sample_size : float
        The number of values the BIC is computed for (the log-likelihood is scaled to it).

    Returns
    -------
    Mixture
        The mixture with the lowest BIC (fewer components on a tie).
    """
    scale = sample_size / histogram.total
    fits = {n: (mixture, log_likelihood * scale) for n, (mixture, log_likelihood) in fast_fits(histogram).items()}
    return lowest_bic(fits, sample_size)
