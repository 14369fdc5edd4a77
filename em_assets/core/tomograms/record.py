"""What `raw_tomogram` records about an ingested volume, stored as `info.json` beside the zarr."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from em_assets.core.atomic import write_text_atomic
from em_assets.core.errors import InputError
from em_assets.core.store import TOMOGRAM_RECORD


@dataclass(frozen=True)
class LevelRecord:
    """One resolution level: its path in the multiscale, shape and voxel size (z, y, x) in Å."""

    path: str
    shape: tuple[int, int, int]
    voxel_size: tuple[float, float, float]


@dataclass(frozen=True)
class TomogramRecord:
    """An ingested tomogram: where it came from, its geometry, and a public URL if it has one.

    `translation` is the position (z, y, x, Å) of the first voxel, from the source's header or NGFF
    metadata; `portal_limits` the contrast limits the CryoET Data Portal publishes for it, by
    dimension ("2d", "3d"), when it comes from the portal.
    """

    key: str
    source: str
    source_format: str
    dtype: str
    levels: list[LevelRecord]
    public_url: str | None = None
    public_shape: tuple[int, int, int] | None = None
    public_voxel_size: tuple[float, float, float] | None = None
    links: dict[str, str] = field(default_factory=dict)
    translation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    portal_limits: dict[str, tuple[float, float]] | None = None
    missing_source_chunks: int = 0

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape (z, y, x) of the full-resolution level."""
        return self.levels[0].shape

    @property
    def voxel_size(self) -> tuple[float, float, float]:
        """Voxel size (z, y, x) in Å of the full-resolution level."""
        return self.levels[0].voxel_size

    @property
    def display_geometry(self) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
        """Shape and voxel size of the full-resolution volume a viewer shows (the public one if any)."""
        if self.public_url and self.public_shape and self.public_voxel_size:
            return self.public_shape, self.public_voxel_size
        return self.shape, self.voxel_size

    def save(self, folder: Path) -> Path:
        """Write the record as `info.json` in `folder`.

        Parameters
        ----------
        folder : Path
            The tomogram's folder (created if missing).

        Returns
        -------
        Path
            The file written, atomically.
        """
        return write_text_atomic(folder / TOMOGRAM_RECORD, json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, folder: Path) -> TomogramRecord:
        """Read the record of the tomogram stored in `folder`.

        Parameters
        ----------
        folder : Path
            The tomogram's folder.

        Returns
        -------
        TomogramRecord
            The record `save` wrote there.

        Raises
        ------
        InputError
            If `folder` holds no `info.json`.
        """
        path = folder / TOMOGRAM_RECORD
        if not path.is_file():
            raise InputError(path, "missing: materialise raw_tomogram for this partition first")
        data: dict[str, Any] = json.loads(path.read_text())
        levels = [
            LevelRecord(level["path"], tuple(level["shape"]), tuple(level["voxel_size"])) for level in data.pop("levels")
        ]
        for name in ("public_shape", "public_voxel_size", "translation"):
            if data.get(name) is not None:
                data[name] = tuple(data[name])
        if data.get("portal_limits") is not None:
            data["portal_limits"] = {key: tuple(pair) for key, pair in data["portal_limits"].items()}
        return cls(levels=levels, **data)
