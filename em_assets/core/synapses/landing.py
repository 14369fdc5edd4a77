"""The EM landing folder: each `landing/em/<dataset>/` with `em/` and `mask/` is one dataset."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.landing import LandingScan, LandingScanner
from em_assets.core.store import PARTITION_KEY_PATTERN, PARTITION_KEY_RULE
from em_assets.core.synapses.pairing import EM_FOLDER, MASK_FOLDER


def scan_em_landing(folder: Path) -> LandingScan:
    """Every dataset folder below `folder` (sorted); bad names and incomplete folders are refused.

    Parameters
    ----------
    folder : Path
        The EM landing folder (missing: nothing landed).

    Returns
    -------
    LandingScan
        Entries by dataset name with cheap fingerprints; refused folders with the reason.

    Raises
    ------
    OSError
        If `folder` exists but cannot be listed.
    """
    scanner = LandingScanner(folder)
    for path in scanner.listing():
        if path.name.startswith(".") or not path.is_dir():
            continue
        missing = [name for name in (EM_FOLDER, MASK_FOLDER) if not (path / name).is_dir()]
        if missing:
            scanner.refuse(path, f"no {' or '.join(name + '/' for name in missing)} sub-folder")
        elif not PARTITION_KEY_PATTERN.match(path.name):
            scanner.refuse(path, f"{path.name!r} is not a valid partition key: {PARTITION_KEY_RULE}")
        else:
            scanner.accept(path.name, path)
    return scanner.scan()
