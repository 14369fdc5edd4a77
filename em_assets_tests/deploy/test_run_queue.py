"""Every deployment gives the run queue one limit: one run of a partition in progress at a time (the
behaviour itself, on a real daemon: `em_assets_tests/defs/test_queued_runs.py`)."""

import dagster as dg
import pytest
import yaml

from em_assets_tests.deploy.conftest import PROFILES
from em_assets_tests.deploy.helm_values import load_values, run_queue_config

PER_PARTITION = [{"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]


@pytest.mark.parametrize("profile", ["local", "postgres"])
def test_each_profile_queues_a_second_run_of_a_partition(profile: str) -> None:
    concurrency = yaml.safe_load((PROFILES / f"{profile}.yaml").read_text())["concurrency"]
    with dg.instance_for_test(overrides={"concurrency": concurrency}) as instance:
        assert instance.get_concurrency_config().run_queue_config.tag_concurrency_limits == PER_PARTITION


def test_the_helm_values_queue_a_second_run_of_a_partition() -> None:
    coordinator = {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"}
    coordinator["config"] = run_queue_config(load_values())
    with dg.instance_for_test(overrides={"run_coordinator": coordinator}) as instance:
        assert instance.get_concurrency_config().run_queue_config.tag_concurrency_limits == PER_PARTITION
