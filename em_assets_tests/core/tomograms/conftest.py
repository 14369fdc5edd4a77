"""The real EMDB maps that mrcfile's source distribution ships in `tests/test_data`.

They are fetched once into `em_assets_tests/.cache` (git-ignored) by `pip download` of the sdist,
under a file lock so parallel pytest-xdist workers share one download, and never committed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

MRCFILE_SDIST = "mrcfile==1.5.4"
SDIST_NAME = "mrcfile-1.5.4.tar.gz"
TEST_DATA = "mrcfile-1.5.4/tests/test_data"
REAL_FILES = ("EMD-3001.map", "EMD-3197.map", "fei-extended.mrc")
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "mrcfile-1.5.4"


def _fetch(cache: Path) -> None:
    sdist = cache / SDIST_NAME
    if not sdist.is_file():
        command = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                   MRCFILE_SDIST, "-d", str(cache), "--quiet", "--disable-pip-version-check"]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=600)
    staging = Path(tempfile.mkdtemp(dir=cache))
    with tarfile.open(sdist) as archive:
        for name in REAL_FILES:
            member = archive.getmember(f"{TEST_DATA}/{name}")
            member.name = name
            archive.extract(member, staging, filter="data")
    (cache / "test_data").mkdir(exist_ok=True)
    for name in REAL_FILES:
        os.replace(staging / name, cache / "test_data" / name)
    shutil.rmtree(staging)


@pytest.fixture(scope="session")
def emdb_maps() -> Path:
    """The folder holding EMD-3001.map, EMD-3197.map and fei-extended.mrc from mrcfile 1.5.4."""
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = CACHE / "test_data"
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all((folder / name).is_file() for name in REAL_FILES):
            _fetch(CACHE)
    return folder
