"""Start-up stays light: `em-assets --help` and the contrast wing import no stack they do not use."""

import subprocess
import sys

import pytest

HEAVY = ("dagster", "pandas", "scipy", "sklearn", "zarr", "dask", "cryoet_data_portal", "neuroglancer", "matplotlib")


def _imported_after(code: str) -> set[str]:
    """The heavy packages a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


def test_help_imports_no_heavy_package() -> None:
    code = "from em_assets.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) == set()


@pytest.mark.parametrize("name", ["compute_contrast_limits", "contrast_report"])
def test_contrast_limits_of_a_numpy_volume_import_neither_dask_nor_pandas(name: str) -> None:
    code = f"import numpy as np\nfrom em_assets.core.contrast import {name}\n"
    if name == "compute_contrast_limits":
        code += "compute_contrast_limits(np.random.default_rng(0).normal(size=(8, 16, 16)), 'cdf')"
    assert _imported_after(code) == set()
