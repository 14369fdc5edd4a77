"""SIGKILL the tomogram pipeline (chain and catalogue) at random points, over and over, and check the store."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets_tests.fixtures.kill_checks import KillCampaign
from em_assets_tests.fixtures.kill_runner import KillRunner

KILLS = 30
DEPTH = {"raw_tomogram": 2, "sampled_voxels": 2, "contrast_limits": 2, "neuroglancer_state": 2, "tomogram_catalog": 1}


def _scaled(volume):
    return (2e4 * volume).astype("float32")


def test_killed_tomogram_runs_never_tear_the_store(kill_runner: KillRunner, layout: StoreLayout, tmp_path: Path) -> None:
    variants = [
        write_demo_tomogram(tmp_path / f"variant{seed}", DemoTomogram("t", (16, 32, 32), 10.0, "mrc", _scaled, seed=seed))
        for seed in (3, 4)
    ]

    def set_variant(index: int) -> None:
        layout.tomogram_landing.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(variants[index], layout.tomogram_landing / variants[index].name)

    campaign = KillCampaign(kill_runner, layout, "tomograms", "t", set_variant, DEPTH)
    duration = campaign.record_references()
    assert campaign.references[0] != campaign.references[1]
    campaign.inject(KILLS, duration, random.Random(20261122))
    campaign.finish()
    assert campaign.kills == KILLS
