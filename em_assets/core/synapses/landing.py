"""The EM landing folder: each `landing/em/<dataset>/` with `em/` and `mask/` is one dataset."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.landing import LINK_REFUSAL, LandingEntry, LandingScan, fingerprint
from em_assets.core.store import is_valid_partition_key
from em_assets.core.synapses.pairing import EM_FOLDER, MASK_FOLDER


def scan_em_landing(folder: Path) -> LandingScan:
    """Every dataset folder below `folder` (sorted); bad names and incomplete folders are refused."""
    entries: dict[str, LandingEntry] = {}
    refused: dict[str, str] = {}
    if not folder.is_dir():
        return LandingScan(entries, refused)
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        missing = [name for name in (EM_FOLDER, MASK_FOLDER) if not (path / name).is_dir()]
        linked = [item for item in (path, path / EM_FOLDER, path / MASK_FOLDER) if item.is_symlink()]
        if linked:
            refused[str(path)] = f"{linked[0].relative_to(folder)} {LINK_REFUSAL}"
        elif missing:
            refused[str(path)] = f"no {' or '.join(name + '/' for name in missing)} sub-folder"
        elif not is_valid_partition_key(path.name):
            refused[str(path)] = f"{path.name!r} is not a valid partition key"
        else:
            entries[path.name] = LandingEntry(path.name, path, fingerprint(path))
    return LandingScan(entries, refused)
