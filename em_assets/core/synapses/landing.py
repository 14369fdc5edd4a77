"""The EM landing folder: each `landing/em/<dataset>/` with `em/` and `mask/` is one dataset."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.landing import LINK_REFUSAL, LandingScan, LandingScanner
from em_assets.core.store import PARTITION_KEY_RULE, is_valid_partition_key
from em_assets.core.synapses.pairing import EM_FOLDER, MASK_FOLDER


def scan_em_landing(folder: Path) -> LandingScan:
    """Every dataset folder below `folder` (sorted); bad names and incomplete folders are refused.

    The EM counterpart of `em_assets.core.tomograms.landing.scan_tomogram_landing`, with the same
    parameter, result and errors; an entry here is a dataset folder holding `em/` and `mask/`.
    """
    scanner = LandingScanner(folder)
    for item in scanner.listing():
        if item.name.startswith(".") or not item.is_dir():
            continue
        path = Path(item.path)
        missing = [name for name in (EM_FOLDER, MASK_FOLDER) if not (path / name).is_dir()]
        linked = [link for link in (path, path / EM_FOLDER, path / MASK_FOLDER) if link.is_symlink()]
        if linked:
            scanner.refuse(item, f"{linked[0].relative_to(folder)} {LINK_REFUSAL}")
        elif missing:
            scanner.refuse(item, f"no {' or '.join(name + '/' for name in missing)} sub-folder")
        elif not is_valid_partition_key(item.name):
            scanner.refuse(item, f"{ascii(item.name)} is not a valid partition key: {PARTITION_KEY_RULE}")
        else:
            scanner.accept(item.name, item)
    return scanner.scan()
