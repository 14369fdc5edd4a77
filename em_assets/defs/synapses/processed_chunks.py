"""Asset `processed_chunks`: one dataset's (C, X, Y, Zc) uint8 training tensors, written in parallel."""

import dagster as dg

from em_assets.core.render import markdown_image
from em_assets.core.store import MANIFEST_FILE, MONTAGE_FILE
from em_assets.core.synapses.batch import (
    ChunkBatch,
    process_chunk_pairs,
    write_manifest,
)
from em_assets.core.synapses.montage import render_montage
from em_assets.core.synapses.pairing import ChunkPairing
from em_assets.core.synapses.preprocessing import PreprocessingSettings
from em_assets.dagster_support.batched_runs import PartitionEvents, each_partition
from em_assets.dagster_support.pools import COMPUTE_POOL
from em_assets.dagster_support.publication import publication
from em_assets.dagster_support.run_pods import PROCESSED_CHUNKS_POD
from em_assets.defs.resources import DaskResource, StoreResource
from em_assets.defs.synapses.partitions import em_dataset_asset, em_dataset_check
from em_assets.defs.synapses.raw_em_chunks import raw_em_chunks

MONTAGE_PANELS = 4
MONTAGE_DPI = 100  # about one screen pixel per voxel of a 256-wide chunk, in the PNG file
PREVIEW_DPI = 48  # the inline preview in the UI: under 100 kB
ALL_PROCESSED_CHECK = "every_chunk_processed"
ALL_PROCESSED_CHECK_SPEC = em_dataset_check(
    ALL_PROCESSED_CHECK,
    asset="processed_chunks",
    blocking=True,
    description="Fails when any paired chunk could not be read or processed; lists each failed synapse.",
)
FAILURES_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("synapse_id", "string", description="the chunk's synapse id"),
        dg.TableColumn("error", "string", description="why it could not be processed"),
    ]
)


def failures_table(batch: ChunkBatch) -> dg.MetadataValue:
    """The failed chunks as a table the UI renders: synapse id and error."""
    records = [dg.TableRecord({"synapse_id": f.synapse_id, "error": f.error}) for f in batch.failures]
    return dg.MetadataValue.table(records, schema=FAILURES_SCHEMA)


class ChunkProcessingConfig(dg.Config):
    """The notebook's hyperparameters, and how many threads process chunks (0: one per core)."""

    cutout_threshold: float = 0.01
    axial_to_sagittal_spacing: int = 5
    mask_channel_labels: list[list[int]] = []
    max_workers: int = 0

    def settings(self) -> PreprocessingSettings:
        """The core settings these values stand for."""
        return PreprocessingSettings(
            cutout_threshold=self.cutout_threshold,
            axial_to_sagittal_spacing=self.axial_to_sagittal_spacing,
            mask_channel_labels=tuple(tuple(labels) for labels in self.mask_channel_labels),
        )


def failures_check(batch: ChunkBatch) -> dg.AssetCheckResult:
    """Every paired chunk became a tensor; the failures are listed by synapse."""
    total = len(batch.records) + len(batch.failures)
    errors = [failure.error for failure in batch.failures]
    return dg.AssetCheckResult(
        check_name=ALL_PROCESSED_CHECK,
        passed=not batch.failures,
        description="\n".join([f"{len(batch.failures)} of {total} chunks failed", *errors]),
        metadata={"failed": len(batch.failures), "failures": failures_table(batch)},
    )


@em_dataset_asset(
    deps=[raw_em_chunks],
    kinds={"numpy"},
    op_tags=PROCESSED_CHUNKS_POD,
    check_specs=[ALL_PROCESSED_CHECK_SPEC],
    pool=COMPUTE_POOL,
)
def processed_chunks(
    context: dg.AssetExecutionContext, config: ChunkProcessingConfig, store: StoreResource, dask: DaskResource
) -> PartitionEvents:
    """Central z crop, cutout sections zeroed, EM and mask stacked as uint8 tensors (one per synapse)."""
    yield from each_partition(context, lambda key: process_dataset(context, config, store, dask, key))


def process_dataset(
    context: dg.AssetExecutionContext, config: ChunkProcessingConfig, store: StoreResource, dask: DaskResource, key: str
) -> dg.MaterializeResult:
    """Turn dataset `key`'s chunk pairs into tensors and publish them with their manifest and montage."""
    inputs = {"raw_em_chunks": store.layout.raw_em_chunks_dir(key)}
    settings = config.settings()
    folder = store.layout.processed_chunks_dir(key)
    with publication(store.layout, context.asset_key.to_user_string(), key, inputs) as staged:
        pairing = ChunkPairing.from_json(store.layout.pairing_file(key).read_text(), base=store.layout.home)
        step = max(1, len(pairing.pairs) // 10)

        def log_progress(done: int) -> None:
            if done % step == 0 or done == len(pairing.pairs):
                context.log.info(f"{done} / {len(pairing.pairs)} chunks of {key} processed")

        tmp = staged.path
        with dask.ordered_map() as map_batches:
            batch = process_chunk_pairs(
                pairing.pairs, tmp, settings, config.max_workers, log_progress, map_batches
            )
        write_manifest(batch, settings, tmp / MANIFEST_FILE)
        shown = [(record.synapse_id, tmp / record.filename) for record in batch.records[:MONTAGE_PANELS]]
        (tmp / MONTAGE_FILE).write_bytes(render_montage(shown, dpi=MONTAGE_DPI))
        preview = render_montage(shown, dpi=PREVIEW_DPI)
        checks = [failures_check(batch)]
        published = staged.finish(checks, {ALL_PROCESSED_CHECK})
    for failure in batch.failures:
        context.log.error(failure.error)
    return dg.MaterializeResult(
        metadata={
            "chunks": len(batch.records),
            "failed": len(batch.failures),
            "failures": failures_table(batch),
            "cutout_sections": sum(record.n_cutout_sections for record in batch.records),
            "montage": dg.MetadataValue.md(markdown_image(preview, f"{key}: central sections, mask overlay")),
            "montage_path": dg.MetadataValue.path(str(store.layout.montage_file(key))),
            "path": dg.MetadataValue.path(str(folder)),
            **published,
        },
        check_results=checks,
    )

