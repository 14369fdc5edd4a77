"""The code location loads, in process and through the dagster CLI."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).parents[2]


def test_definitions_are_loadable(definitions: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(definitions)
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_tomogram", "sampled_voxels", "contrast_limits", "neuroglancer_state", "tomogram_catalog"} <= keys
    assert definitions.resolve_sensor_def("tomogram_landing_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert definitions.resolve_sensor_def("automation_sensor").default_status == dg.DefaultSensorStatus.RUNNING


def test_dagster_cli_validates_the_workspace() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "em_assets" in result.stdout + result.stderr
