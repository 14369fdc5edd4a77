"""Asset `raw_em_chunks`: the strict pairing of one dataset's EM chunks with their masks."""

import dagster as dg

from em_assets.core.store import PAIRING_FILE
from em_assets.core.synapses.pairing import ChunkPairing, pair_chunks
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import StoreResource
from em_assets.dagster_support.batched_runs import PartitionEvents, each_partition
from em_assets.defs.synapses.partitions import em_dataset_asset, em_dataset_check

HAS_PAIRS_CHECK = "has_complete_pairs"
ALL_PAIRED_CHECK = "every_file_paired"
LISTED_IDS = 50


def _listed(items: tuple[str, ...]) -> dg.MetadataValue:
    return dg.MetadataValue.json({"count": len(items), "first": list(items[:LISTED_IDS])})


def pairing_checks(pairing: ChunkPairing) -> list[dg.AssetCheckResult]:
    """At least one complete pair (blocking); every file paired and well named (warning)."""
    unpaired = len(pairing.unpaired_ids) + len(pairing.misnamed_files) + len(pairing.linked_files)
    return [
        dg.AssetCheckResult(
            check_name=HAS_PAIRS_CHECK,
            passed=bool(pairing.pairs),
            description=f"{len(pairing.pairs)} complete EM/mask pairs in {pairing.dataset_dir}",
        ),
        dg.AssetCheckResult(
            check_name=ALL_PAIRED_CHECK,
            passed=unpaired == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(pairing.em_without_mask)} EM files without mask, {len(pairing.mask_without_em)} masks "
                f"without EM, {len(pairing.misnamed_files)} misnamed .npy files, "
                f"{len(pairing.linked_files)} symbolic links (never followed)"
            ),
            metadata={
                "em_without_mask": _listed(pairing.em_without_mask),
                "mask_without_em": _listed(pairing.mask_without_em),
                "misnamed_files": _listed(pairing.misnamed_files),
                "linked_files": _listed(pairing.linked_files),
            },
        ),
    ]


@em_dataset_asset(
    kinds={"numpy", "json"},
    check_specs=[
        em_dataset_check(
            HAS_PAIRS_CHECK,
            asset="raw_em_chunks",
            blocking=True,
            description="Fails (and blocks processing) when the dataset holds no complete EM/mask pair.",
        ),
        em_dataset_check(
            ALL_PAIRED_CHECK,
            asset="raw_em_chunks",
            blocking=False,
            description="Warns about EM files without a mask, masks without EM, misnamed .npy files and "
            "symbolic links, which are all left out.",
        ),
    ],
)
def raw_em_chunks(context: dg.AssetExecutionContext, store: StoreResource) -> PartitionEvents:
    """EM chunks `em/<id>.npy` paired with masks `mask/<id>_<suffix>.npy`; unpaired files reported."""
    yield from each_partition(context, lambda key: pair_dataset(context, store, key))


@input_errors_as_failures()
def pair_dataset(context: dg.AssetExecutionContext, store: StoreResource, key: str) -> dg.MaterializeResult:
    """Pair dataset `key`'s chunks and publish the pairing."""
    pairing = pair_chunks(store.layout.em_dataset_landing(key))
    with publication(store.layout, context.asset_key.to_user_string(), key) as staged:
        (staged.path / PAIRING_FILE).write_text(pairing.to_json(relative_to=store.layout.home))
        checks = pairing_checks(pairing)
        published = staged.finish(checks, {HAS_PAIRS_CHECK})
    target = store.layout.pairing_file(key)
    if pairing.unpaired_ids:
        shown = ", ".join(pairing.unpaired_ids[:LISTED_IDS])
        context.log.warning(f"{len(pairing.unpaired_ids)} synapses in {key} have no partner file: {shown}")
    return dg.MaterializeResult(
        metadata={
            "dataset_dir": dg.MetadataValue.path(str(pairing.dataset_dir)),
            "pairs": len(pairing.pairs),
            "em_without_mask": _listed(pairing.em_without_mask),
            "mask_without_em": _listed(pairing.mask_without_em),
            "misnamed_files": _listed(pairing.misnamed_files),
            "path": dg.MetadataValue.path(str(target)),
            **published,
        },
        check_results=checks,
    )
