"""The GMM method: fit 1-3 Gaussians, keep the lowest BIC, open limits around the component nearest the mean."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MAX_COMPONENTS = 3
SIGMA_MULTIPLIERS = {1: (2.0, 0.5), 2: (2.2, 0.65), 3: (3.0, 0.8)}
RANDOM_STATE = 42


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
    """(mu - a*sigma, mu + b*sigma) of the component nearest `data_mean`, clamped to [minimum, maximum]."""
    nearest = np.argmin(np.abs(mixture.means - data_mean))
    mean, sigma = mixture.means[nearest], np.sqrt(mixture.variances[nearest])
    low_multiplier, high_multiplier = SIGMA_MULTIPLIERS[mixture.n_components]
    low, high = mean - low_multiplier * sigma, mean + high_multiplier * sigma
    return float(max(low, minimum)), float(min(high, maximum))


def _sklearn_mixture(n_components: int, max_iter: int):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(
        n_components=n_components,
        covariance_type="full",
        max_iter=max_iter,
        random_state=RANDOM_STATE,
        init_params="k-means++",
    )


def exact_gmm_fit(samples: np.ndarray) -> Mixture:
    """The reference: scikit-learn fits for 1-3 components, lowest BIC, refit with max_iter=300."""
    column = samples.reshape(-1, 1)
    bics = np.full(MAX_COMPONENTS, np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(1, MAX_COMPONENTS + 1):
            try:
                bics[n - 1] = _sklearn_mixture(n, 100).fit(column).bic(column)
            except ValueError:
                continue
        best = _sklearn_mixture(int(np.argmin(bics)) + 1, 300).fit(column)
    return Mixture(best.weights_, best.means_.reshape(-1), best.covariances_.reshape(-1))


def exact_gmm_limits(samples: np.ndarray) -> tuple[tuple[float, float], Mixture]:
    """The reference GMM limits of `samples` and the chosen mixture."""
    mixture = exact_gmm_fit(samples)
    return limits_around_nearest(mixture, np.mean(samples), np.min(samples), np.max(samples)), mixture
