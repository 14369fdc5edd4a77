"""Read tomograms (OME-Zarr 0.4/0.5 or MRC) lazily and write them as NGFF 0.4 multiscale pyramids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zarr

from em_assets.core.errors import InputError
from em_assets.core.store import is_url
from em_assets.core.tomograms.axes import oriented
from em_assets.core.tomograms.mrc import open_mrc
from em_assets.core.tomograms.ngff import NO_OFFSET, MultiscaleLevel, parse_multiscale
from em_assets.core.tomograms.pyramid import write_pyramid

MRC_SUFFIXES = (".mrc", ".rec", ".map")


@dataclass(frozen=True)
class SourceVolume:
    """A tomogram in the landing folder, opened without reading its voxels.

    `data` is (z, y, x); `voxel_size` and `translation` (the first voxel's position) are (z, y, x) in Å.
    """

    path: Path
    data: Any
    voxel_size: tuple[float, float, float]
    format: str
    translation: tuple[float, float, float] = NO_OFFSET


@dataclass(frozen=True)
class Multiscale:
    """A local NGFF multiscale: its levels' paths, voxel sizes and translations, and their arrays.

    Each array is the level's zarr array, or a lazy (z, y, x) view of it (`OrientedArray`) when the
    group stores another axis order or a non-native byte order.
    """

    path: Path
    levels: list[MultiscaleLevel]
    arrays: list[Any] = field(repr=False)

    def array(self, level: int) -> Any:
        """The array of `level` (negative counts from the lowest resolution).

        Parameters
        ----------
        level : int
            The level's index, 0 the full resolution.

        Returns
        -------
        Any
            The level's zarr array or (z, y, x) view of it.

        Raises
        ------
        InputError
            If the multiscale has no such level.
        """
        try:
            return self.arrays[level]
        except IndexError:
            raise InputError(self.path, f"has no resolution level {level} ({len(self.arrays)} levels)") from None


def open_source_volume(path: Path) -> SourceVolume:
    """Open an MRC file or an OME-Zarr folder as a lazily read (z, y, x) volume with its geometry.

    Parameters
    ----------
    path : Path
        An MRC file (.mrc, .rec, .map) or an OME-Zarr (NGFF 0.4 or 0.5) multiscale folder.

    Returns
    -------
    SourceVolume
        The full-resolution voxels in (z, y, x) order, their size and the first voxel's position in Å.

    Raises
    ------
    InputError
        If `path` is missing, of another kind, or its header or metadata cannot be read as a volume.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "does not exist")
    if path.is_file() and path.suffix.lower() in MRC_SUFFIXES:
        volume = open_mrc(path)
        return SourceVolume(path, volume.data, volume.voxel_size, "mrc", volume.translation)
    if path.is_dir():
        multiscale = open_multiscale(path)
        level = multiscale.levels[0]
        return SourceVolume(path, multiscale.arrays[0], level.voxel_size, "ome-zarr", level.translation)
    raise InputError(path, "is neither an MRC file (.mrc, .rec, .map) nor an OME-Zarr folder")


def open_multiscale(path: Path) -> Multiscale:
    """Open an OME-Zarr multiscale folder (NGFF 0.4 or 0.5), local or at an s3:// URL, every level seen as (z, y, x).

    Parameters
    ----------
    path : Path
        The multiscale group.

    Returns
    -------
    Multiscale
        Its levels (voxel sizes and translations in Å) and their arrays, reordered lazily to
        (z, y, x) when stored in another axis order.

    Raises
    ------
    InputError
        If `path` is not a zarr group, its NGFF metadata is malformed, or a listed level is missing
        or not 3-D.
    """
    path = path if is_url(path) else Path(path)
    try:
        group = zarr.open_group(str(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"is not a zarr group ({type(error).__name__})") from None
    parsed = parse_multiscale(dict(group.attrs), path)
    arrays = []
    for level in parsed.levels:
        try:
            array = group[level.path]
        except KeyError:
            raise InputError(path, f"lists level {level.path!r} but has no such array") from None
        except (ValueError, TypeError) as error:
            raise InputError(path, f"level {level.path!r} has unreadable metadata ({type(error).__name__})") from None
        if not isinstance(array, zarr.Array) or array.ndim != 3:
            raise InputError(path, f"level {level.path!r} is not 3-D (shape {getattr(array, 'shape', None)})")
        arrays.append(oriented(array, parsed.order))
    return Multiscale(path, parsed.levels, arrays)


def write_multiscale(
    dest: Path, data: Any, voxel_size: tuple[float, float, float], name: str, n_levels: int = 3,
    metadata: dict[str, Any] | None = None,
) -> Multiscale:  # fmt: skip
    """Write `data` (z, y, x) and its 2× mean pyramid to `dest` as an NGFF 0.4 zarr v2 multiscale.

    Parameters
    ----------
    dest, data, voxel_size, name, n_levels, metadata
        As for `em_assets.core.tomograms.pyramid.write_pyramid`.

    Returns
    -------
    Multiscale
        The written multiscale, opened.

    Raises
    ------
    InputError
        If `data` is not 3-D.
    """
    write_pyramid(dest, data, voxel_size, name, n_levels, metadata)
    return open_multiscale(dest)
