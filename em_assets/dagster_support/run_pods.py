"""How big a Kubernetes pod each heavy asset needs: the `dagster-k8s/config` tag that dagster-k8s reads.

With the K8sRunLauncher every run is one pod, and the in-process executor runs the run's steps one
after the other inside it (partitions, not steps, give the parallelism). So a job's pod needs the
requests of its heaviest asset. The asset carries its request as an op tag (what a step pod would get
under the k8s_job_executor); its job carries the same tag as a run tag, which is what the
K8sRunLauncher reads when it builds the run's pod.
"""

from __future__ import annotations

K8S_CONFIG_TAG = "dagster-k8s/config"


def pod_resources(cpu: str, memory: str) -> dict[str, object]:
    """A `dagster-k8s/config` tag requesting `cpu` and `memory` for the run container.

    Parameters
    ----------
    cpu, memory
        Kubernetes quantities, e.g. "2" and "8Gi". The memory request is also the memory limit, so
        the scheduler places the pod where that much is free and the kernel never lets it use more.

    Returns
    -------
    dict
        `{"dagster-k8s/config": {"container_config": {"resources": ...}}}`, for op or run tags.
    """
    resources = {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}}
    return {K8S_CONFIG_TAG: {"container_config": {"resources": resources}}}


# A landing or portal tomogram is read, copied to OME-Zarr and downsampled a level at a time: a few
# GiB of float32 at once for a full-size tomogram (e.g. 500 x 2000 x 2000 voxels is 8 GB on disk).
RAW_TOMOGRAM_POD = pod_resources(cpu="1", memory="12Gi")
# One worker per core turns a dataset's chunk pairs into tensors; each holds a few chunks in memory.
PROCESSED_CHUNKS_POD = pod_resources(cpu="4", memory="8Gi")
