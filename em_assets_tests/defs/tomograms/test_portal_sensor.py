"""portal_sensor ticks (cursor, paging, bounded work) and the nightly schedule alternative."""

from __future__ import annotations

import json
from collections.abc import Iterator

import dagster as dg
import pytest

from em_assets.defs.resources import PortalResource
from em_assets.defs.tomograms.portal_sensor import portal_nightly_scan, portal_sensor
from em_assets_tests.fixtures.portal.servers import PortalWorld

FAST = {"request_timeout_seconds": 2.0, "retry_first_delay_seconds": 0.01, "retry_max_delay_seconds": 0.05}


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A temporary Dagster instance."""
    with dg.instance_for_test() as instance:
        yield instance


def tick(instance: dg.DagsterInstance, resource: PortalResource, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    """Evaluate the sensor once and apply its partition requests, as the daemon would."""
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"portal": resource}) as context:
        result = portal_sensor(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def requested(result: dg.SensorResult) -> list[str]:
    """Partition keys of the result's run requests."""
    return [request.partition_key for request in result.run_requests or []]


def test_ticks_page_through_the_dataset_and_keep_a_small_cursor(portal: PortalWorld, instance) -> None:
    resource = PortalResource(page_size=4, tick_seconds=0, **FAST)
    first = tick(instance, resource, None)
    assert requested(first) == ["portal-773", "portal-774", "portal-775", "portal-776"]
    assert json.loads(first.cursor) == {"after_id": 776}
    second = tick(instance, resource, first.cursor)
    assert requested(second) == ["portal-777", "portal-778", "portal-779", "portal-790"]
    third = tick(instance, resource, second.cursor)
    assert requested(third) == ["portal-791", "portal-792"]
    assert json.loads(third.cursor) == {"after_id": 0}
    fourth = tick(instance, resource, third.cursor)
    assert requested(fourth) == []
    assert "0 new of 4 listed" in fourth.skip_reason.skip_message
    assert len(instance.get_dynamic_partitions("tomogram")) == 10
    assert portal.graphql.count("/graphql", "POST") == 2 * 4


def test_one_tick_within_its_budget_registers_everything(portal: PortalWorld, instance) -> None:
    result = tick(instance, PortalResource(page_size=4, **FAST), None)
    assert len(requested(result)) == 10
    assert json.loads(result.cursor) == {"after_id": 0}
    request = result.run_requests[0]
    assert request.run_key == request.partition_key == "portal-773"
    assert request.tags["em_assets/source"] == "cryoet-data-portal"


def test_known_partitions_are_not_requested_again(portal: PortalWorld, instance) -> None:
    instance.add_dynamic_partitions("tomogram", ["portal-775", "portal-790", "landing-demo"])
    result = tick(instance, PortalResource(visualization_default_only=True, **FAST), None)
    assert requested(result) == ["portal-773", "portal-774", "portal-776", "portal-777", "portal-778", "portal-779"]


def test_sensor_skips_when_no_dataset_is_followed(portal: PortalWorld, instance, monkeypatch) -> None:
    monkeypatch.delenv("EM_ASSETS_PORTAL_DATASETS")
    result = tick(instance, PortalResource(**FAST), None)
    assert isinstance(result, dg.SkipReason)
    assert "EM_ASSETS_PORTAL_DATASETS" in result.skip_message
    assert portal.graphql.count("/graphql") == 0


def test_sensor_and_schedule_are_stopped_by_default() -> None:
    assert portal_sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert portal_nightly_scan.default_status == dg.DefaultScheduleStatus.STOPPED
    assert portal_sensor.job_name == portal_nightly_scan.job_name == "tomogram_pipeline"


def test_nightly_scan_registers_partitions_and_requests_their_runs(portal: PortalWorld, instance) -> None:
    resource = PortalResource(datasets="10005", **FAST)
    with dg.build_schedule_context(instance=instance, resources={"portal": resource}) as context:
        result = portal_nightly_scan(context)
    assert [request.partition_key for request in result] == ["portal-801", "portal-802"]
    assert sorted(instance.get_dynamic_partitions("tomogram")) == ["portal-801", "portal-802"]
    with dg.build_schedule_context(instance=instance, resources={"portal": resource}) as context:
        again = portal_nightly_scan(context)
    assert isinstance(again, dg.SkipReason)
    assert "0 new of 2 listed" in again.skip_message
