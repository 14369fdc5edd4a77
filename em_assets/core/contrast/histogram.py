"""Fine histograms on a shared power-of-two grid, so that partial histograms merge exactly.

Bin k covers [k * 2**exponent, (k + 1) * 2**exponent). The exponent of a histogram
is the smallest that fits its finite range in MAX_BINS bins, so merging partial histograms (coarsened
by whole powers of two) gives the same counts as one histogram of all the values, in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

MAX_BINS = 1 << 18
SAFE_INDEX_BITS = 52
SAFE_INDEX = 2.0**SAFE_INDEX_BITS
SMALLEST_EXPONENT = -1074
BLOCK = 1 << 18


@dataclass(frozen=True)
class DyadicHistogram:
    """Counts of finite values on the grid k * 2**exponent, k from `first` on.

    `minimum` and `maximum` are the extremes of the counted values. Finite values judged extreme
    (outside the robust bounds, see `robust`) are not on the grid: `below` and `above` count them and
    `lowest`/`highest` are the extremes of every finite value, counted or not.
    """

    counts: np.ndarray
    exponent: int
    first: int
    minimum: float
    maximum: float
    integer_valued: bool
    below: int = 0
    above: int = 0
    lowest: float = math.inf
    highest: float = -math.inf

    @property
    def n_outliers(self) -> int:
        """How many finite values lie outside the grid's robust bounds."""
        return self.below + self.above

    @property
    def data_range(self) -> tuple[float, float]:
        """The smallest and largest finite value, outliers included."""
        return min(self.lowest, self.minimum), max(self.highest, self.maximum)

    def quantum(self) -> float:
        """The spacing of the lattice the values sit on: 1 for integers, else detected, 0 if none.

        Float values sit on a lattice when no two occupied fine bins are adjacent: the smallest gap
        between occupied bins, times the bin width, is then the quantum (within one bin width).
        """
        if self.integer_valued:
            return 1.0
        occupied = np.flatnonzero(self.counts)
        if occupied.size < 2:
            return 0.0
        gap = int(np.min(np.diff(occupied)))
        return gap * self.width if gap >= 2 else 0.0

    @property
    def width(self) -> float:
        """The width of one bin."""
        return math.ldexp(1.0, self.exponent)

    @property
    def total(self) -> int:
        """The number of values counted."""
        return int(self.counts.sum())

    @property
    def edges(self) -> np.ndarray:
        """The len(counts) + 1 bin edges."""
        k = np.arange(self.first, self.first + self.counts.size + 1, dtype=np.float64)
        return np.ldexp(k, self.exponent)

    @property
    def values(self) -> np.ndarray:
        """Each bin's representative value: its centre, or the mean of the integers it holds."""
        quantum = 1.0 if self.integer_valued else 0.0
        return self.edges[:-1] + (self.width - quantum) / 2

    def coarsened(self, exponent: int) -> DyadicHistogram:
        """The same values counted on the grid of a larger (or equal) `exponent`.

        Parameters
        ----------
        exponent : int
            The new bin exponent, at least the current one.

        Returns
        -------
        DyadicHistogram
            The histogram with bins of width 2**exponent (itself if the exponent is unchanged).
        """
        if exponent == self.exponent:
            return self
        shift = min(63, exponent - self.exponent)
        first = self.first >> shift
        index = (np.arange(self.first, self.first + self.counts.size, dtype=np.int64) >> shift) - first
        counts = np.bincount(index, weights=self.counts, minlength=int(index[-1]) + 1).astype(np.int64)
        return replace(self, counts=counts, exponent=exponent, first=first)

    def mean(self) -> float:
        """The mean of the counted values, taking each at its bin's representative value."""
        return float(np.dot(self.counts, self.values) / self.total)

    def quantile(self, q: float) -> float:
        """The value below which a fraction `q` of the counts lie (linear within a bin).

        Parameters
        ----------
        q : float
            The fraction, in [0, 1], of the counted values (the extremes off the grid are not counted).

        Returns
        -------
        float
            The quantile, clamped to [minimum, maximum].
        """
        cumulative = np.cumsum(self.counts)
        target = q * cumulative[-1]
        k = int(np.searchsorted(cumulative, target, side="left"))
        below = cumulative[k - 1] if k else 0
        left = math.ldexp(self.first + k, self.exponent)
        value = left + (target - below) / self.counts[k] * self.width
        return float(min(max(value, self.minimum), self.maximum))


def _bin_of(value: float, exponent: int) -> int:
    return math.floor(math.ldexp(value, -exponent))


def grid_exponent(minimum: float, maximum: float, integer_valued: bool) -> int:
    """The smallest exponent whose grid spans [minimum, maximum] in MAX_BINS bins with safe indices.

    Parameters
    ----------
    minimum, maximum : float
        The range of the values.
    integer_valued : bool
        Whether the values are integers (the exponent is then at least 0: bins are never narrower than 1).

    Returns
    -------
    int
        The exponent e of bins of width 2**e.
    """
    lowest = 0 if integer_valued else SMALLEST_EXPONENT
    reach = max(abs(maximum), abs(minimum))
    if reach == 0:
        return lowest
    span = maximum - minimum
    fit_bound = math.frexp(span)[1] - MAX_BINS.bit_length() if span > 0 else lowest
    exponent = max(lowest, fit_bound, math.frexp(reach)[1] - SAFE_INDEX_BITS - 1)
    while (
        _bin_of(maximum, exponent) - _bin_of(minimum, exponent) >= MAX_BINS
        or math.ldexp(reach, -exponent) >= SAFE_INDEX
    ):
        exponent += 1
    return exponent


def histogram_of(values: np.ndarray, integer_valued: bool) -> DyadicHistogram | None:
    """The dyadic histogram of finite `values` (None when there are none).

    Parameters
    ----------
    values : numpy.ndarray
        Finite values, of any shape.
    integer_valued : bool
        Whether the values are integers.

    Returns
    -------
    DyadicHistogram or None
        The histogram on the finest grid `grid_exponent` allows; None for an empty array.
    """
    if values.size == 0:
        return None
    minimum, maximum = float(values.min()), float(values.max())
    exponent = grid_exponent(minimum, maximum, integer_valued)
    first = _bin_of(minimum, exponent)
    length = _bin_of(maximum, exponent) - first + 1
    counts = np.zeros(length, dtype=np.int64)
    flat = values.reshape(-1)
    for start in range(0, flat.size, BLOCK):
        block = flat[start : start + BLOCK].astype(np.float64)
        index = np.floor(np.ldexp(block, -exponent, out=block), out=block).astype(np.int64)
        index -= first
        counts += np.bincount(index, minlength=length)
    return DyadicHistogram(counts, exponent, first, minimum, maximum, integer_valued)


def merged(a: DyadicHistogram | None, b: DyadicHistogram | None) -> DyadicHistogram | None:
    """The histogram of the values of both `a` and `b`.

    Parameters
    ----------
    a, b : DyadicHistogram or None
        Two histograms (None: no values), both integer-valued or both not.

    Returns
    -------
    DyadicHistogram or None
        Both coarsened to a common grid and added, extreme counts and data ranges combined; the other
        one when either is None.
    """
    if a is None or b is None:
        return a if b is None else b
    minimum, maximum = min(a.minimum, b.minimum), max(a.maximum, b.maximum)
    exponent = grid_exponent(minimum, maximum, a.integer_valued)
    a, b = a.coarsened(exponent), b.coarsened(exponent)
    first = min(a.first, b.first)
    counts = np.zeros(max(a.first + a.counts.size, b.first + b.counts.size) - first, dtype=np.int64)
    counts[a.first - first : a.first - first + a.counts.size] += a.counts
    counts[b.first - first : b.first - first + b.counts.size] += b.counts
    return DyadicHistogram(
        counts,
        exponent,
        first,
        minimum,
        maximum,
        a.integer_valued,
        a.below + b.below,
        a.above + b.above,
        min(a.lowest, b.lowest),
        max(a.highest, b.highest),
    )
