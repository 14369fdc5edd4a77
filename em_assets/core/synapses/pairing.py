"""Strict pairing of EM chunks (`em/<id>.npy`) with their masks (`mask/<id>_<suffix>.npy`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.landing import LINK_REFUSAL

SYNAPSE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{0,127}"
EM_FILE_NAME = re.compile(rf"\A(?P<synapse_id>{SYNAPSE_ID_PATTERN})\.npy\Z")
MASK_FILE_NAME = re.compile(rf"\A(?P<synapse_id>{SYNAPSE_ID_PATTERN})_[A-Za-z0-9][A-Za-z0-9._-]*\.npy\Z")
EM_FOLDER = "em"
MASK_FOLDER = "mask"


@dataclass(frozen=True)
class ChunkPair:
    """One synapse: its id (a string, leading zeros kept), EM file and mask file."""

    synapse_id: str
    em_path: Path
    mask_path: Path


@dataclass(frozen=True)
class ChunkPairing:
    """Every complete pair of one dataset plus the files that could not be paired."""

    dataset_dir: Path
    pairs: tuple[ChunkPair, ...]
    em_without_mask: tuple[str, ...]
    mask_without_em: tuple[str, ...]
    misnamed_files: tuple[str, ...]
    linked_files: tuple[str, ...] = ()

    @property
    def unpaired_ids(self) -> tuple[str, ...]:
        """Synapse ids that have an EM file or a mask file but not both."""
        return tuple(sorted(self.em_without_mask + self.mask_without_em))

    def to_json(self, relative_to: Path | None = None) -> str:
        """The pairing as JSON, with file names relative to the dataset folder (and that folder
        relative to `relative_to`, if given and below it, so the record is the same in every home).

        Parameters
        ----------
        relative_to : Path or None, optional
            A folder to express `dataset_dir` relative to; ignored if None or not above it.

        Returns
        -------
        str
            The pairing as indented JSON.
        """
        inside = relative_to is not None and self.dataset_dir.is_relative_to(relative_to)
        return json.dumps(
            {
                "dataset_dir": self.dataset_dir.relative_to(relative_to).as_posix() if inside else str(self.dataset_dir),
                "pairs": [
                    {
                        "synapse_id": pair.synapse_id,
                        "em_file": pair.em_path.relative_to(self.dataset_dir).as_posix(),
                        "mask_file": pair.mask_path.relative_to(self.dataset_dir).as_posix(),
                    }
                    for pair in self.pairs
                ],
                "em_without_mask": list(self.em_without_mask),
                "mask_without_em": list(self.mask_without_em),
                "misnamed_files": list(self.misnamed_files),
                "linked_files": list(self.linked_files),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, base: Path | None = None) -> ChunkPairing:
        """Read a pairing written by `to_json` (a relative dataset folder is resolved against `base`).

        Parameters
        ----------
        text : str
            The JSON `to_json` wrote.
        base : Path or None, optional
            The folder a relative `dataset_dir` is joined to; None for the current folder.

        Returns
        -------
        ChunkPairing
            The pairing with absolute (or `base`-relative) file paths.

        Raises
        ------
        ValueError
            If `text` is not JSON (`json.JSONDecodeError`).
        KeyError
            If a required field is missing.
        """
        data = json.loads(text)
        root = Path(base or "") / data["dataset_dir"]
        return cls(
            dataset_dir=root,
            pairs=tuple(
                ChunkPair(str(row["synapse_id"]), root / row["em_file"], root / row["mask_file"])
                for row in data["pairs"]
            ),
            em_without_mask=tuple(data["em_without_mask"]),
            mask_without_em=tuple(data["mask_without_em"]),
            misnamed_files=tuple(data["misnamed_files"]),
            linked_files=tuple(data.get("linked_files", ())),
        )


def npy_files(folder: Path) -> list[Path]:
    """The `.npy` files and links directly inside `folder`, sorted by name (sub-folders ignored).

    Parameters
    ----------
    folder : Path
        The folder to list.

    Returns
    -------
    list[Path]
        The regular files and symbolic links named `*.npy`; empty if `folder` is not a folder.
    """
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.suffix == ".npy" and (path.is_symlink() or path.is_file())
    )


def _files_by_id(
    folder: Path, pattern: re.Pattern[str], misnamed: list[str], linked: list[str]
) -> dict[str, Path]:
    by_id: dict[str, list[Path]] = {}
    for path in npy_files(folder):
        if path.is_symlink():
            linked.append(f"{folder.name}/{path.name}")
            continue
        match = pattern.match(path.name)
        if match is None:
            misnamed.append(f"{folder.name}/{path.name}")
            continue
        by_id.setdefault(match["synapse_id"], []).append(path)
    for synapse_id, paths in by_id.items():
        if len(paths) > 1:
            names = ", ".join(path.name for path in paths)
            raise InputError(folder, f"synapse id {synapse_id!r} has {len(paths)} files: {names}")
    return {synapse_id: paths[0] for synapse_id, paths in by_id.items()}


def pair_chunks(dataset_dir: Path) -> ChunkPairing:
    """Pair `em/<id>.npy` with `mask/<id>_<suffix>.npy` below `dataset_dir`.

    Parameters
    ----------
    dataset_dir : Path
        One dataset's landing folder, holding `em/` and `mask/`.

    Returns
    -------
    ChunkPairing
        The pairs; unpartnered, misnamed and linked files (links are never followed) are listed.

    Raises
    ------
    InputError
        If the folder or its `em/`/`mask/` is missing or a symbolic link, or an id has two files.
    """
    dataset_dir = Path(dataset_dir)
    for folder in (dataset_dir, dataset_dir / EM_FOLDER, dataset_dir / MASK_FOLDER):
        if folder.is_symlink():
            raise InputError(folder, LINK_REFUSAL)
    for folder in (EM_FOLDER, MASK_FOLDER):
        if not (dataset_dir / folder).is_dir():
            raise InputError(dataset_dir, f"has no '{folder}/' sub-folder")
    misnamed: list[str] = []
    linked: list[str] = []
    em = _files_by_id(dataset_dir / EM_FOLDER, EM_FILE_NAME, misnamed, linked)
    masks = _files_by_id(dataset_dir / MASK_FOLDER, MASK_FILE_NAME, misnamed, linked)
    return ChunkPairing(
        dataset_dir=dataset_dir,
        pairs=tuple(ChunkPair(i, em[i], masks[i]) for i in sorted(em.keys() & masks.keys())),
        em_without_mask=tuple(sorted(em.keys() - masks.keys())),
        mask_without_em=tuple(sorted(masks.keys() - em.keys())),
        misnamed_files=tuple(misnamed),
        linked_files=tuple(linked),
    )
