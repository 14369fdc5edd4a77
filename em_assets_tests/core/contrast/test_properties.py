"""Any finite volume gives ordered, finite limits inside its data range from every method, or an InputError."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from em_assets.core.contrast.limits import contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs
from em_assets.core.errors import InputError

FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=32)
SHAPES = st.tuples(st.integers(1, 6), st.integers(1, 8), st.integers(2, 8))


@st.composite
def volumes(draw) -> np.ndarray:
    """Finite float32 or integer volumes: arbitrary values, or a few distinct ones, or a spike in noise."""
    shape = draw(SHAPES)
    kind = draw(st.sampled_from(["any", "few", "int16", "uint8"]))
    if kind == "any":
        return draw(arrays(np.float32, shape, elements=FLOATS))
    if kind == "few":
        return draw(arrays(np.float32, shape, elements=st.sampled_from([draw(FLOATS), draw(FLOATS), 0.0])))
    return draw(arrays(np.dtype(kind), shape))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(volumes())
def test_limits_are_ordered_finite_and_inside_the_data_range_or_an_input_error(volume):
    try:
        report = contrast_report(summarize_slabs(volume, name="prop", z_radius=None))
    except InputError as error:
        assert error.subject == "prop"
        assert str(error)
        return
    finite = volume[np.isfinite(volume)].astype(np.float64)
    low, high = float(finite.min()), float(finite.max())
    assert report.data_range == (low, high)
    for method, (a, b) in report.by_method().items():
        assert np.isfinite(a) and np.isfinite(b), method
        assert low <= a < b <= high, (method, a, b)
