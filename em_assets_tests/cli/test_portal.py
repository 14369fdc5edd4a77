"""`em-assets portal list` and `em-assets portal add` against the fixture portal."""

from __future__ import annotations

import dagster as dg
import pytest

from em_assets.cli import main
from em_assets_tests.fixtures.portal.portal_records import fixture_tomograms
from em_assets_tests.fixtures.portal.servers import PortalWorld


def listed_keys(output: str) -> list[str]:
    """The partition keys printed in the first column of a listing."""
    return [line.split()[0] for line in output.splitlines() if line.startswith("portal-")]


def test_list_prints_every_tomogram_of_the_dataset(portal: PortalWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["portal", "list", "--dataset", "10005"]) == 0
    output = capsys.readouterr().out
    assert listed_keys(output) == ["portal-801", "portal-802"]
    assert "TS_01" in output and "32x64x64" in output
    assert f"2 tomogram(s) at {portal.graphql_url}" in output


def test_list_defaults_to_the_followed_datasets_and_filters(portal: PortalWorld, capsys) -> None:
    assert main(["portal", "list", "--voxel-spacing", "15.12"]) == 0
    expected = [f"portal-{t.id}" for t in fixture_tomograms() if t.dataset_id == 10004 and t.voxel_spacing == 15.12]
    assert listed_keys(capsys.readouterr().out) == expected


def test_list_without_any_dataset_is_a_clear_error(portal: PortalWorld, capsys, monkeypatch) -> None:
    monkeypatch.delenv("EM_ASSETS_PORTAL_DATASETS")
    assert main(["portal", "list"]) == 1
    assert "--dataset" in capsys.readouterr().err


def test_add_registers_the_partition_in_the_instance(portal: PortalWorld, capsys) -> None:
    assert main(["portal", "add", "773"]) == 0
    assert "registered portal-773" in capsys.readouterr().out
    assert main(["portal", "add", "773"]) == 0
    output = capsys.readouterr().out
    assert "portal-773 is already registered" in output
    assert portal.https_url(773) in output
    assert dg.DagsterInstance.get().get_dynamic_partitions("tomogram") == ["portal-773"]


def test_add_of_an_unknown_tomogram_registers_nothing(portal: PortalWorld, capsys) -> None:
    assert main(["portal", "add", "424242"]) == 1
    assert "portal tomogram 424242: not found" in capsys.readouterr().err
    assert dg.DagsterInstance.get().get_dynamic_partitions("tomogram") == []
