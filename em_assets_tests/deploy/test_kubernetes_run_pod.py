"""The pod the K8sRunLauncher would submit for one partition run, built by dagster-k8s itself (no cluster)."""

import json
import re
import tomllib
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import (
    DEFAULT_DAGSTER_ENTRY_POINT,
    JobPythonOrigin,
    RepositoryPythonOrigin,
)
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import deserialize_value
from dagster_k8s import K8sRunLauncher
from kubernetes.client import V1Job

from em_assets.dagster_support.run_pods import (
    K8S_CONFIG_TAG,
    PROCESSED_CHUNKS_POD,
    RAW_TOMOGRAM_POD,
)
from em_assets_tests.deploy.helm_values import (
    code_deployment,
    container_context,
    image_name,
    launcher_config,
    load_values,
)

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "em-assets"
SERVICE_ACCOUNT = "em-assets-dagster-user-deployments-user-deployments"
DAGSTER_HOME = "/opt/dagster/dagster_home"
# A kubeconfig is required to build the launcher; nothing is ever sent to this address.
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


class RecordingBatchApi:
    """Stands in for kubernetes' BatchV1Api: keeps the Jobs the launcher creates."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, V1Job]] = []

    def create_namespaced_job(self, body: V1Job, namespace: str, **_: object) -> V1Job:
        self.jobs.append((namespace, body))
        return body


def submitted_job(
    definitions: dg.Definitions, job_name: str, partition: str | None, tmp_path: Path
) -> tuple[V1Job, str]:
    """Launch one partition run of `job_name` with the values file's configuration: the Job and the run id."""
    values = load_values()
    deployment = code_deployment(values)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    batch_api = RecordingBatchApi()
    launcher = K8sRunLauncher(
        service_account_name="em-assets-dagster",
        instance_config_map="em-assets-dagster-instance",
        postgres_password_secret="dagster-postgresql-secret",
        dagster_home=DAGSTER_HOME,
        job_namespace=NAMESPACE,
        load_incluster_config=False,
        kubeconfig_file=str(kubeconfig),
        k8s_client_batch_api=batch_api,
        **launcher_config(values),
    )
    # What `dagster code-server start -m em_assets.definitions` in the image reports for its runs.
    repository = RepositoryPythonOrigin(
        executable_path="/usr/local/bin/python",
        code_pointer=ModuleCodePointer("em_assets.definitions", "defs", "/opt/em-assets"),
        container_image=image_name(deployment),
        entry_point=DEFAULT_DAGSTER_ENTRY_POINT,
        container_context=container_context(deployment, NAMESPACE, SERVICE_ACCOUNT),
    )
    job = definitions.resolve_job_def(job_name)
    with dg.instance_for_test() as instance:
        launcher.register_instance(instance)
        run = instance.create_run_for_job(
            job_def=job,
            job_code_origin=JobPythonOrigin(job_name, repository),
            tags={**job.run_tags, **({"dagster/partition": partition} if partition else {})},
        )
        launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
        assert instance.get_run_by_id(run.run_id).tags["dagster/image"] == image_name(deployment)
    ((namespace, submitted),) = batch_api.jobs
    assert namespace == NAMESPACE
    return submitted, run.run_id


def container_resources(tag: dict[str, object]) -> dict[str, object]:
    """The container resources a dagster-k8s/config tag asks for."""
    return tag[K8S_CONFIG_TAG]["container_config"]["resources"]


@pytest.mark.parametrize(
    ("job_name", "partition", "asset", "tag"),
    [
        ("tomogram_pipeline", "demo-vesicles", "raw_tomogram", RAW_TOMOGRAM_POD),
        ("synapse_chunks_pipeline", "cortex-a", "processed_chunks", PROCESSED_CHUNKS_POD),
    ],
)
def test_partition_run_pod_has_image_command_env_resources_and_store(
    definitions: dg.Definitions, tmp_path: Path, job_name: str, partition: str, asset: str, tag: dict
) -> None:
    asset_tag = json.loads(definitions.resolve_assets_def(asset).op.tags[K8S_CONFIG_TAG])
    assert asset_tag == json.loads(definitions.resolve_job_def(job_name).run_tags[K8S_CONFIG_TAG]) == tag[K8S_CONFIG_TAG]
    deployment = code_deployment(load_values())
    job, run_id = submitted_job(definitions, job_name, partition, tmp_path)
    pod = job.spec.template.spec
    (container,) = pod.containers

    assert container.image == image_name(deployment)
    assert container.args[:3] == ["dagster", "api", "execute_run"]
    run_arguments = deserialize_value(container.args[3], ExecuteRunArgs)
    assert run_arguments.run_id == run_id and run_arguments.job_origin.job_name == job_name
    assert run_arguments.job_origin.repository_origin.code_pointer.module == "em_assets.definitions"

    env = {variable.name: variable for variable in container.env}
    store = env["EM_ASSETS_HOME"].value
    assert store == "/data/em-assets"
    assert env["DAGSTER_DISABLE_TELEMETRY"].value == "1"
    assert env["DAGSTER_HOME"].value == DAGSTER_HOME
    assert env["DAGSTER_PG_PASSWORD"].value is None
    assert env["DAGSTER_PG_PASSWORD"].value_from.secret_key_ref.name == "dagster-postgresql-secret"

    expected = container_resources(tag)
    assert container.resources.requests == expected["requests"]
    assert container.resources.limits == expected["limits"]

    (mount,) = [m for m in container.volume_mounts if m.mount_path == store]
    (volume,) = [v for v in pod.volumes if v.name == mount.name]
    assert volume.persistent_volume_claim.claim_name == "em-assets-store"


def test_untagged_runs_get_the_launchers_default_size(definitions: dg.Definitions, tmp_path: Path) -> None:
    job, _ = submitted_job(definitions, "__ASSET_JOB", None, tmp_path)
    (container,) = job.spec.template.spec.containers
    assert container.resources.requests == load_values()["runLauncher"]["config"]["k8sRunLauncher"]["resources"]["requests"]


def test_image_serves_the_code_location_the_chart_and_pyproject_name() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dg"]["project"]["code_location_target_module"]
    assert re.search(r"^FROM (\S+)$", dockerfile, re.MULTILINE).group(1) == "python:3.11-slim"
    command = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1))
    assert command[:3] == ["dagster", "code-server", "start"] and command[-2:] == ["-m", module]
    environment = dict(re.findall(r"\b([A-Z_]+)=(\S+)", dockerfile))
    assert environment["DAGSTER_DISABLE_TELEMETRY"] == "1"
    deployment = code_deployment(load_values())
    assert deployment["codeServerArgs"] == ["-m", module]
    assert {"name": "EM_ASSETS_HOME", "value": environment["EM_ASSETS_HOME"]} in deployment["env"]
    claim = yaml.safe_load((ROOT / "deploy" / "helm" / "store-pvc.yaml").read_text())
    (volume,) = deployment["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
