"""The on-disk layout under EM_ASSETS_HOME, partition-key rules and atomic writes."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from em_assets.core.errors import InputError

PARTITION_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def validate_partition_key(key: str) -> str:
    """Return `key` if it is safe as a path part, else raise InputError."""
    if not isinstance(key, str) or not PARTITION_KEY_PATTERN.match(key):
        raise InputError(
            repr(key),
            "not a valid partition key: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    return key


@dataclass(frozen=True)
class StoreLayout:
    """Where landing folders and asset outputs live below one home folder."""

    home: Path

    @property
    def landing(self) -> Path:
        """The folder the sensors watch."""
        return self.home / "landing"

    @property
    def tomogram_landing(self) -> Path:
        """Landing folder for OME-Zarr and MRC tomograms."""
        return self.landing / "tomograms"

    @property
    def em_landing(self) -> Path:
        """Landing folder for synapse EM datasets (one sub-folder per dataset)."""
        return self.landing / "em"

    @property
    def store(self) -> Path:
        """The folder assets write to."""
        return self.home / "store"

    def asset_dir(self, asset: str, partition: str | None = None) -> Path:
        """`store/<asset>/<partition>/`, or `store/<asset>/` for an unpartitioned asset."""
        base = self.store / asset
        return base if partition is None else base / validate_partition_key(partition)


def checkout_root() -> Path | None:
    """The source checkout em_assets runs from (the folder with its pyproject.toml), or None if installed."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "em-assets"' in pyproject.read_text():
        return root
    return None


def default_home() -> Path:
    """The home folder: EM_ASSETS_HOME, else the source checkout's `data/` folder, never the cwd.

    Returns
    -------
    Path
        The absolute home folder (it may not exist yet).

    Raises
    ------
    InputError
        If EM_ASSETS_HOME is unset and em_assets is installed rather than run from a checkout.
    """
    configured = os.environ.get("EM_ASSETS_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    root = checkout_root()
    if root is None:
        raise InputError("EM_ASSETS_HOME", "not set: point it at the folder holding landing/ and store/")
    return root / "data"


def _temporary_sibling(target: Path, suffix: str = "") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    return Path(name)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    tmp = _temporary_sibling(target, target.suffix)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; swap it in for `target` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(target: Path, text: str) -> Path:
    """Write `text` to `target` atomically and return `target`."""
    with atomic_file(target) as tmp:
        tmp.write_text(text)
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically and return `target`."""
    with atomic_file(target) as tmp:
        tmp.write_bytes(data)
    return target
