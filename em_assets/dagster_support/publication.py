"""Validate, then publish: an asset fills a staged folder, its blocking checks judge the staged copy,
and only a passing output replaces the published one (in one step, with its lineage).

A failed blocking check or an error leaves the previous output in place and records the failure in
the store (`StoreLayout.failure_file`), which the catalogues read; the next successful publication
clears it.

One step at a time writes a partition: a step holds the partition's lock (an `flock` in the store,
released by the kernel even if the run is killed) from reading its inputs until it has published, so
two runs of one partition never interleave inside a step, and runs of other partitions do not wait.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from em_assets.core.atomic import StagedDirectory, flocked, staged_directory
from em_assets.core.lineage import input_digests, record_failure, seal
from em_assets.core.shared_store import staged_version
from em_assets.core.store import StoreLayout, is_url


class Publication:
    """One asset's staged output folder, its upstream digests as read, and the publish decision."""

    def __init__(
        self, layout: StoreLayout, asset: str, partition: str | None, staged: StagedDirectory, inputs: Mapping[str, Path]
    ) -> None:
        self.layout, self.asset, self.partition, self.staged = layout, asset, partition, staged
        self.input_folders = dict(inputs)
        self.inputs = input_digests(layout, self.input_folders)

    @property
    def path(self) -> Path:
        """The staging folder to write the output into (published under the asset's folder)."""
        return self.staged.path

    def finish(self, check_results: list[dg.AssetCheckResult], blocking: Collection[str]) -> dict[str, object]:
        """Publish the staged folder if every blocking check in `check_results` passed.

        Returns the metadata saying whether it was published; raises `dg.Failure` if an upstream
        folder was republished while this run read it (the output would mix two runs).
        """
        failing = [result for result in check_results if result.check_name in blocking and not result.passed]
        if failing:
            problem = "; ".join(f"{result.check_name}: {result.description}" for result in failing)
            record_failure(self.layout, self.asset, self.partition, problem)
            return {"published": False, "kept_previous_output": True}
        changed = sorted(
            name for name, now in input_digests(self.layout, self.input_folders).items() if now != self.inputs[name]
        )
        if changed:
            raise dg.Failure(
                description=f"{', '.join(changed)} was republished while this run read it; run again",
                allow_retries=True,
            )
        digest = seal(self.path, self.inputs)
        self.staged.publish()
        self.layout.failure_file(self.asset, self.partition).unlink(missing_ok=True)
        return {"published": True, "content_digest": digest}


@contextmanager
def partition_lock(layout: StoreLayout, asset: str, partition: str | None) -> Iterator[None]:
    """Hold the lock of `partition` (of unpartitioned `asset`), saying so in the run's log if it must wait.

    On an object store there is no lock (S3 offers no `flock`): each publication there is still atomic
    (manifest last), but two runs of one partition are not kept from computing at the same time.
    """
    if is_url(layout.store):
        yield
        return
    lock = layout.lock_file(asset, partition)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.touch(exist_ok=True)
    with flocked(lock, blocking=False) as free:
        if free:
            yield
            return
    subject = f"partition {partition}" if partition is not None else asset
    dg.get_dagster_logger().info(f"{asset}: waiting for the lock of {subject}, which another run is writing")
    with flocked(lock):
        yield


@contextmanager
def publication(
    layout: StoreLayout, asset: str, partition: str | None = None, inputs: Mapping[str, Path] | None = None
) -> Iterator[Publication]:
    """Stage the folder of `asset` (for `partition`); an error inside is recorded as its last failure.

    `inputs` names the upstream folders the asset reads; their digests are recorded before it reads
    them and compared again when it publishes.
    """
    target = layout.asset_output_dir(asset, partition)
    stage = staged_directory if isinstance(target, Path) else staged_version
    with partition_lock(layout, asset, partition), stage(target) as staged:
        try:
            yield Publication(layout, asset, partition, staged, inputs or {})
        except Exception as error:
            problem = error.description if isinstance(error, dg.Failure) else str(error)
            record_failure(layout, asset, partition, problem or type(error).__name__)
            raise
