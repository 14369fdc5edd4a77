"""Process a dataset's chunk pairs in parallel threads, streaming, collecting failures per synapse,
and the batch's manifest: every tensor's statistics and every failure, as JSON."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.parallel import OrderedMap
from em_assets.core.synapses.loading import ChunkBuffers
from em_assets.core.synapses.metadata import ChunkRecord
from em_assets.core.synapses.pairing import ChunkPair
from em_assets.core.synapses.preprocessing import (
    PreprocessingSettings,
    process_chunk_pair,
)


@dataclass(frozen=True)
class ChunkFailure:
    """A synapse that could not be processed and why."""

    synapse_id: str
    error: str


@dataclass(frozen=True)
class ChunkBatch:
    """The records of the synapses processed and the failures, both sorted by synapse id."""

    records: tuple[ChunkRecord, ...]
    failures: tuple[ChunkFailure, ...]

    @classmethod
    def sorted(cls, records: Iterable[ChunkRecord], failures: Iterable[ChunkFailure]) -> ChunkBatch:
        """The batch of `records` and `failures`, each sorted by synapse id.

        Parameters
        ----------
        records : Iterable[ChunkRecord]
            The records of the synapses processed.
        failures : Iterable[ChunkFailure]
            The synapses that could not be processed.

        Returns
        -------
        ChunkBatch
            Both collections as tuples sorted by synapse id.
        """
        return cls(
            records=tuple(sorted(records, key=lambda record: record.synapse_id)),
            failures=tuple(sorted(failures, key=lambda failure: failure.synapse_id)),
        )


def available_cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_chunk_pairs(
    pairs: Iterable[ChunkPair],
    out_dir: Path,
    settings: PreprocessingSettings,
    max_workers: int = 0,
    on_done: Callable[[int], None] | None = None,
    map_batches: OrderedMap | None = None,
    batch_size: int = 16,
) -> ChunkBatch:
    """Write every pair's tensor into `out_dir` with `max_workers` threads (0: one per core).

    At most two chunks per worker are queued and each worker reuses its own buffers, so memory stays
    bounded by a few chunks; a chunk with bad input (or an unreadable file) becomes a `ChunkFailure`
    and the others carry on. With `map_batches` (e.g. `em_assets.core.parallel.dask_map(client)`)
    the pairs go out in batches of `batch_size`, one task each, instead of to local threads; the
    records and failures are the same.

    Parameters
    ----------
    pairs : Iterable[ChunkPair]
        The EM/mask pairs to process; consumed lazily.
    out_dir : Path
        Where the tensors are written; created if missing.
    settings : PreprocessingSettings
        The preprocessing settings.
    max_workers : int, optional
        Local threads to use; 0 or less means one per available core (default 0).
    on_done : Callable[[int], None] or None, optional
        Called with the number of pairs finished so far (records plus failures) as they finish.
    map_batches : OrderedMap or None, optional
        Where to run batches instead of local threads; None for local threads.
    batch_size : int, optional
        Pairs per task with `map_batches` (at least 1; default 16).

    Returns
    -------
    ChunkBatch
        The records of the tensors written and the failures, each sorted by synapse id.
    """
    if map_batches is not None:
        return _process_on(map_batches, pairs, out_dir, settings, batch_size, on_done)
    workers = max_workers if max_workers > 0 else available_cores()
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[ChunkRecord] = []
    failures: list[ChunkFailure] = []

    def collect(done: Iterable[Future[ChunkRecord]]) -> None:
        for future in done:
            synapse_id = in_flight.pop(future)
            try:
                records.append(future.result())
            except (InputError, OSError) as error:
                failures.append(ChunkFailure(synapse_id, str(error)))
            if on_done is not None:
                on_done(len(records) + len(failures))

    worker_state = threading.local()

    def process(pair: ChunkPair) -> ChunkRecord:
        if not hasattr(worker_state, "buffers"):
            worker_state.buffers = ChunkBuffers()
        return process_chunk_pair(pair, out_dir, settings, worker_state.buffers)

    in_flight: dict[Future[ChunkRecord], str] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chunk") as pool:
        for pair in pairs:
            if len(in_flight) >= 2 * workers:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                collect(done)
            in_flight[pool.submit(process, pair)] = pair.synapse_id
        collect(wait(in_flight).done)
    return ChunkBatch.sorted(records, failures)


def process_pair_batch(
    pairs: tuple[ChunkPair, ...], out_dir: Path, settings: PreprocessingSettings
) -> list[ChunkRecord | ChunkFailure]:
    """Process `pairs` one after the other with one set of buffers; bad input becomes a failure.

    Parameters
    ----------
    pairs : tuple of ChunkPair
        The pairs of one batch.
    out_dir : Path
        Where the tensors are written.
    settings : PreprocessingSettings
        The preprocessing settings.

    Returns
    -------
    list of ChunkRecord or ChunkFailure
        One per pair, in order.
    """
    buffers = ChunkBuffers()
    results: list[ChunkRecord | ChunkFailure] = []
    for pair in pairs:
        try:
            results.append(process_chunk_pair(pair, out_dir, settings, buffers))
        except (InputError, OSError) as error:
            results.append(ChunkFailure(pair.synapse_id, str(error)))
    return results


def _batches(pairs: Iterable[ChunkPair], size: int) -> Iterator[tuple[ChunkPair, ...]]:
    iterator = iter(pairs)
    while batch := tuple(islice(iterator, size)):
        yield batch


def _process_on(
    map_batches: OrderedMap,
    pairs: Iterable[ChunkPair],
    out_dir: Path,
    settings: PreprocessingSettings,
    batch_size: int,
    on_done: Callable[[int], None] | None,
) -> ChunkBatch:
    out_dir.mkdir(parents=True, exist_ok=True)
    work = partial(process_pair_batch, out_dir=out_dir, settings=settings)
    done: list[ChunkRecord | ChunkFailure] = []
    for results in map_batches(work, _batches(pairs, max(1, batch_size))):
        done.extend(results)
        if on_done is not None:
            on_done(len(done))
    records = [item for item in done if isinstance(item, ChunkRecord)]
    failures = [item for item in done if isinstance(item, ChunkFailure)]
    return ChunkBatch.sorted(records, failures)


def write_manifest(batch: ChunkBatch, settings: PreprocessingSettings, target: Path) -> Path:
    """Record the settings, every written tensor's statistics and every failure as JSON.

    Parameters
    ----------
    batch : ChunkBatch
        What `process_chunk_pairs` returned.
    settings : PreprocessingSettings
        The settings the batch was processed with.
    target : Path
        The manifest file to write.

    Returns
    -------
    Path
        `target`.
    """
    document = {
        "settings": {
            "cutout_threshold": settings.cutout_threshold,
            "axial_to_sagittal_spacing": settings.axial_to_sagittal_spacing,
            "mask_channel_labels": [list(labels) for labels in settings.mask_channel_labels],
        },
        "chunks": [record.to_dict() for record in batch.records],
        "failures": [{"synapse_id": f.synapse_id, "error": f.error} for f in batch.failures],
    }
    target.write_text(json.dumps(document, indent=1))
    return target


def read_manifest_records(path: Path) -> list[ChunkRecord]:
    """The records of the tensors a manifest written by `write_manifest` lists.

    Parameters
    ----------
    path : Path
        The manifest file.

    Returns
    -------
    list of ChunkRecord
        One per written tensor, in the manifest's order.
    """
    return [ChunkRecord.from_dict(row) for row in json.loads(path.read_text())["chunks"]]
