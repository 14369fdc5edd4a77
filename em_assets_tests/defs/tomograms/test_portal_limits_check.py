"""The warning check comparing our limits with the portal's, on hand-made numbers."""

import dagster as dg
import pytest

from em_assets.defs.tomograms.contrast_limits import PORTAL_CHECK, portal_check

CHOSEN = {"2d": [0.0, 10.0], "3d": [-1.0, 12.0]}
ROBUST = (-10.0, 30.0)  # 40 wide: 1 unit is 2.5 %


def test_near_limits_pass_with_their_differences() -> None:
    result = portal_check(CHOSEN, {"2d": (1.0, 10.0), "3d": (-1.0, 11.0)}, ROBUST)
    assert result.check_name == PORTAL_CHECK and result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["difference_2d_percent"].value == pytest.approx(2.5)
    assert result.metadata["difference_3d_percent"].value == pytest.approx(2.5)
    assert result.description == "within 10% of the portal's limits (2d 2.5%, 3d 2.5% of the robust range)"


def test_far_limits_warn_naming_the_dimension() -> None:
    result = portal_check(CHOSEN, {"2d": (0.0, 10.0), "3d": (-1.0, 20.0)}, ROBUST)  # 3d high 8 apart: 20 %
    assert not result.passed
    assert result.description == "3d beyond 10% of the portal's limits (2d 0.0%, 3d 20.0% of the robust range)"


@pytest.mark.parametrize("published", [None, {}])
def test_nothing_to_compare_passes(published) -> None:
    result = portal_check(CHOSEN, published, ROBUST)
    assert result.passed and "no portal-published limits" in result.description
