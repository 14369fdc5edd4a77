"""SIGKILL the synapse pipeline (chain and merge) at random points, over and over, and check the store."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets_tests.fixtures.kill_checks import KillCampaign
from em_assets_tests.fixtures.kill_runner import KillRunner

KILLS = 30
DEPTH = {"raw_em_chunks": 2, "processed_chunks": 2, "chunk_metadata": 2, "merged_metadata": 1}


def test_killed_synapse_runs_never_tear_the_store(kill_runner: KillRunner, layout: StoreLayout, tmp_path: Path) -> None:
    first = write_demo_em_datasets(tmp_path / "variant0", chunks_per_dataset=3, size=16)[0]
    second = tmp_path / "variant1" / first.name
    shutil.copytree(first, second)
    em_file = sorted((second / "em").glob("*.npy"))[0]
    np.save(em_file, np.flip(np.load(em_file), axis=0))
    variants = [first, second]

    def set_variant(index: int) -> None:
        target = layout.em_landing / first.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(variants[index], target)

    campaign = KillCampaign(kill_runner, layout, "synapses", first.name, set_variant, DEPTH)
    duration = campaign.record_references()
    assert campaign.references[0] != campaign.references[1]
    campaign.inject(KILLS, duration, random.Random(20261123))
    campaign.finish()
    assert campaign.kills == KILLS
