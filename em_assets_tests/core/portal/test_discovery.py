"""Discovery and metadata through the real client against the fixture GraphQL portal."""

from __future__ import annotations

import json

import pytest

from em_assets.core.errors import InputError
from em_assets.core.portal.client import (
    PortalFilters,
    fetch_tomogram,
    iter_tomogram_pages,
    tomogram_id_from_key,
)
from em_assets.core.portal.retry import RetriesExhausted
from em_assets_tests.fixtures.portal.portal_records import (
    COARSE_SPACING,
    FOLLOWED_DATASET,
    SECOND_DATASET,
    fixture_tomograms,
)
from em_assets_tests.fixtures.portal.servers import PortalWorld


def followed_ids(*datasets: int) -> list[int]:
    """Ids of the fixture tomograms in `datasets`, ascending."""
    return sorted(t.id for t in fixture_tomograms() if t.dataset_id in datasets)


def test_metadata_of_one_tomogram(portal: PortalWorld) -> None:
    tomogram = fetch_tomogram(portal.settings(), 773)
    assert (tomogram.id, tomogram.name, tomogram.run_name, tomogram.dataset_id) == (
        773, "Position_513", "Position_513", FOLLOWED_DATASET,
    )  # fmt: skip
    assert tomogram.run_id == 101
    assert tomogram.voxel_spacing == pytest.approx(7.56)
    assert tomogram.size_zyx == (32, 64, 64)
    assert tomogram.level_shapes_zyx == ((32, 64, 64), (16, 32, 32), (8, 16, 16))
    assert tomogram.https_omezarr_dir == portal.https_url(773)
    assert tomogram.s3_omezarr_dir.endswith(portal.tomograms[773].zarr_key)
    assert tomogram.partition_key == "portal-773"
    assert tomogram.portal_link == "https://cryoetdataportal.czscience.com/runs/101"


def test_paging_walks_every_followed_tomogram_in_id_order(portal: PortalWorld) -> None:
    pages = list(iter_tomogram_pages(portal.settings(), PortalFilters((FOLLOWED_DATASET,)), page_size=4))
    expected = followed_ids(FOLLOWED_DATASET)
    assert [len(page) for page in pages] == [4, 4, 2]
    assert [t.id for page in pages for t in page] == expected
    assert portal.graphql.count("/graphql", "POST") == 2 * len(pages)


def test_paging_resumes_after_an_id(portal: PortalWorld) -> None:
    filters = PortalFilters((FOLLOWED_DATASET, SECOND_DATASET))
    first = next(iter_tomogram_pages(portal.settings(), filters, after_id=779, page_size=3))
    assert [t.id for t in first] == [i for i in followed_ids(FOLLOWED_DATASET, SECOND_DATASET) if i > 779][:3]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (PortalFilters((SECOND_DATASET,)), [801, 802]),
        (PortalFilters((FOLLOWED_DATASET,), run_names=("Position_513", "Position_515")), [773, 775, 790, 792]),
        (PortalFilters((FOLLOWED_DATASET,), voxel_spacing=COARSE_SPACING), [790, 791, 792]),
        (PortalFilters((FOLLOWED_DATASET,), visualization_default_only=True), list(range(773, 780))),
    ],
)
def test_filters(portal: PortalWorld, filters: PortalFilters, expected: list[int]) -> None:
    found = [t.id for page in iter_tomogram_pages(portal.settings(), filters) for t in page]
    assert found == expected


def test_unknown_tomogram_is_a_clear_input_error(portal: PortalWorld) -> None:
    with pytest.raises(InputError, match="portal tomogram 99999: not found at http://127.0.0.1"):
        fetch_tomogram(portal.settings(), 99999)


def test_graphql_500_then_success_is_retried(portal: PortalWorld) -> None:
    portal.graphql.fail("/graphql", 500, times=1)
    assert fetch_tomogram(portal.settings(), 774).run_name == "Position_514"
    assert portal.graphql.count("/graphql", "POST") == 3


def test_graphql_errors_from_a_different_schema_are_permanent(portal: PortalWorld) -> None:
    answer = json.dumps({"data": None, "errors": [{"message": 'Cannot query field "sizeX" on type "Tomogram".'}]})
    portal.graphql.fail("/graphql", 200, times=5, body=answer.encode())
    with pytest.raises(InputError, match='rejected the query: .*Cannot query field "sizeX"'):
        fetch_tomogram(portal.settings(), 773)
    assert portal.graphql.count("/graphql", "POST") == 1


def test_missing_graphql_endpoint_is_permanent(portal: PortalWorld) -> None:
    settings = portal.settings()
    wrong = type(settings)(url=f"{portal.files.base_url}/graphql", timeout=settings.timeout, retry=settings.retry)
    with pytest.raises(InputError, match="404"):
        fetch_tomogram(wrong, 773)
    assert portal.files.count("/graphql", "POST") == 1


def test_hanging_graphql_server_times_out_and_gives_up(portal: PortalWorld) -> None:
    portal.graphql.hang("/graphql", times=10)
    with pytest.raises(RetriesExhausted, match="portal tomogram 773 at .*3 attempt"):
        fetch_tomogram(portal.settings(timeout=0.2), 773)


def test_partition_keys_round_trip() -> None:
    assert tomogram_id_from_key("portal-773") == 773
    for bad in ("773", "portal-", "portal-7a", "landing-773"):
        with pytest.raises(InputError, match="not a portal partition key"):
            tomogram_id_from_key(bad)
