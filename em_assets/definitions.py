"""The em_assets code location: every definition found under em_assets/defs."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Load the assets, checks, sensors and resources under em_assets/defs."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
