"""Read deploy/helm/values.yaml the way Dagster's Helm chart turns it into run-launcher configuration.

The chart's templates are not run here (no Helm, no cluster). These functions state, for the keys our
values file uses, what the chart hands to dagster-k8s: the K8sRunLauncher's instance config, and the
container context the user deployment passes to its code server (which every launched run inherits),
and the daemon's run queue config. An unknown key fails loudly, so the values file cannot grow something this reading ignores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

VALUES_FILE = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "values.yaml"
LAUNCHER_KEYS = {"imagePullPolicy": "image_pull_policy", "envVars": "env_vars", "resources": "resources"}
DEPLOYMENT_KEYS = {"env": "env", "volumes": "volumes", "volumeMounts": "volume_mounts"}
RUN_QUEUE_KEYS = {"tagConcurrencyLimits": "tag_concurrency_limits"}
DEPLOYMENT_CHART_KEYS = {"name", "image", "codeServerArgs", "port", "includeConfigInLaunchedRuns", "resources"}


def load_values() -> dict[str, Any]:
    """The parsed values file."""
    return yaml.safe_load(VALUES_FILE.read_text())


def run_queue_config(values: dict[str, Any]) -> dict[str, Any]:
    """The QueuedRunCoordinator config that dagsterDaemon.runCoordinator sets."""
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] and coordinator["type"] == "QueuedRunCoordinator"
    section = coordinator["config"]["queuedRunCoordinator"]
    unknown = set(section) - set(RUN_QUEUE_KEYS)
    if unknown:
        raise KeyError(f"{VALUES_FILE}: queuedRunCoordinator keys this test does not map: {sorted(unknown)}")
    return {RUN_QUEUE_KEYS[key]: value for key, value in section.items()}


def code_deployment(values: dict[str, Any]) -> dict[str, Any]:
    """The one user code deployment (the em-assets code location)."""
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def image_name(deployment: dict[str, Any]) -> str:
    """`repository:tag`, as the chart names the deployment's image."""
    return f"{deployment['image']['repository']}:{deployment['image']['tag']}"


def launcher_config(values: dict[str, Any]) -> dict[str, Any]:
    """The K8sRunLauncher arguments that runLauncher.config.k8sRunLauncher sets."""
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    section = values["runLauncher"]["config"]["k8sRunLauncher"]
    unknown = set(section) - set(LAUNCHER_KEYS)
    if unknown:
        raise KeyError(f"{VALUES_FILE}: k8sRunLauncher keys this test does not map: {sorted(unknown)}")
    return {LAUNCHER_KEYS[key]: value for key, value in section.items()}


def container_context(deployment: dict[str, Any], namespace: str, service_account: str) -> dict[str, Any]:
    """The `k8s` container context the chart gives the code server when includeConfigInLaunchedRuns is on."""
    unknown = set(deployment) - set(DEPLOYMENT_KEYS) - DEPLOYMENT_CHART_KEYS
    if unknown:
        raise KeyError(f"{VALUES_FILE}: deployment keys this test does not map: {sorted(unknown)}")
    assert deployment["includeConfigInLaunchedRuns"]["enabled"]
    k8s = {DEPLOYMENT_KEYS[key]: deployment[key] for key in DEPLOYMENT_KEYS if key in deployment}
    k8s.update(
        image_pull_policy=deployment["image"]["pullPolicy"],
        namespace=namespace,
        service_account_name=service_account,
    )
    return {"k8s": k8s}
