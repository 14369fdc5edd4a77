"""MRC/CCP4 maps read as mature tools read them: axis mapping, per-axis voxel size, origin, modes.

The header is read with `mrcfile` (MRC2014). The voxels are memory-mapped in file order and seen
lazily in (z, y, x) order through `mapc`, `mapr` and `maps`; every geometric quantity is returned
in (z, y, x) order and ångström.

Placement follows the convention of UCSF ChimeraX and IMP for EMDB maps: the first voxel sits at
`origin` (x, y, z) when any of its components is non-zero, else at `nxstart`, `nystart`, `nzstart`
(the first column, row and section, in grid units of the axis each one maps to) times the voxel size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np

from em_assets.core.errors import InputError
from em_assets.core.tomograms.axes import AxisOrder, oriented

HEADER_BYTES = 1024
READ_AS = {
    0: None,  # int8 (or uint8 in old IMOD files); mrcfile decides from the header
    1: np.dtype(np.int16),
    2: np.dtype(np.float32),
    6: np.dtype(np.uint16),
    12: np.dtype(np.float32),  # float16 on disk, read as float32
}
COMPLEX_MODES = {3: "complex int16", 4: "complex float32"}
VOLUME_STACK_SPACE_GROUPS = range(401, 631)


@dataclass(frozen=True)
class MrcVolume:
    """An MRC volume opened lazily: the voxels in (z, y, x) order and their geometry in Å."""

    data: Any
    voxel_size: tuple[float, float, float]
    translation: tuple[float, float, float]
    mode: int


def open_mrc(path: Path) -> MrcVolume:
    """Open an MRC map or tomogram as a lazily read (z, y, x) volume with its header geometry.

    Parameters
    ----------
    path : Path
        An MRC2014 (or older CCP4/IMOD) file, either byte order.

    Returns
    -------
    MrcVolume
        The voxels (a memory map or a lazy view, never read here), the voxel size from
        `cella / (mx, my, mz)` (1 Å where the header leaves it 0), the position of the first voxel,
        and the mode.

    Raises
    ------
    InputError
        If the header is not MRC, the mode is complex or unknown, the file is an image, an image
        stack or a volume stack, the axis mapping is not a permutation of 1, 2, 3, or the file is
        shorter than its header promises.
    """
    try:
        with mrcfile.open(path, mode="r", header_only=True, permissive=False) as mrc:
            header = mrc.header.copy()
            voxel = mrc.voxel_size.copy()
    except (ValueError, OSError) as error:
        raise InputError(path, f"is not a readable MRC file ({error})") from None
    mode = int(header.mode)
    _check_kind(path, header, mode)
    order = axis_order(path, header)
    file_dtype = np.dtype(mrcfile.utils.data_dtype_from_header(header))
    file_shape = tuple(int(n) for n in (header.nz, header.ny, header.nx))
    offset = HEADER_BYTES + int(header.nsymbt)
    expected = offset + int(np.prod(file_shape)) * file_dtype.itemsize
    size = path.stat().st_size
    if size < expected:
        raise InputError(path, f"is truncated: {size} bytes, the header promises {expected}")
    stored = np.memmap(path, dtype=file_dtype, mode="r", offset=offset, shape=file_shape)
    sizes_xyz = tuple(float(v) if float(v) > 0 else 1.0 for v in (voxel.x, voxel.y, voxel.z))
    translation_xyz = _first_voxel_position(header, sizes_xyz)
    return MrcVolume(
        data=oriented(stored, order, READ_AS[mode] or file_dtype),
        voxel_size=sizes_xyz[::-1],
        translation=translation_xyz[::-1],
        mode=mode,
    )


def _check_kind(path: Path, header: Any, mode: int) -> None:
    if mode in COMPLEX_MODES:
        raise InputError(path, f"holds {COMPLEX_MODES[mode]} data (mode {mode}), not a real-valued tomogram")
    if mode not in READ_AS:
        raise InputError(path, f"has MRC mode {mode}; only modes 0, 1, 2, 6 and 12 are read")
    nx, ny, nz, ispg = int(header.nx), int(header.ny), int(header.nz), int(header.ispg)
    if min(nx, ny, nz) < 1:
        raise InputError(path, f"has an empty grid ({nx} × {ny} × {nz})")
    if ispg in VOLUME_STACK_SPACE_GROUPS:
        raise InputError(path, f"is a volume stack (space group {ispg}), not one tomogram")
    if nz == 1:
        raise InputError(path, f"is a single 2-D image ({nx} × {ny}), not a 3-D volume")
    if ispg == 0:
        raise InputError(path, f"is an image stack of {nz} images (space group 0), not a 3-D volume")


def axis_order(path: Path, header: Any) -> AxisOrder:
    """For the z, y and x axes, the axis of the file's (section, row, column) array that holds each.

    Parameters
    ----------
    path : Path
        The file, named in errors.
    header : numpy.recarray
        Its MRC header (`mapc`, `mapr`, `maps`: the axis 1 = X, 2 = Y, 3 = Z of columns, rows, sections).

    Returns
    -------
    tuple of int
        The axis order, e.g. (0, 1, 2) for the usual `mapc, mapr, maps = 1, 2, 3`.

    Raises
    ------
    InputError
        If `mapc, mapr, maps` is not a permutation of 1, 2, 3.
    """
    stored = (int(header.maps), int(header.mapr), int(header.mapc))
    if sorted(stored) != [1, 2, 3]:
        raise InputError(path, f"has mapc, mapr, maps = {stored[::-1]}, not a permutation of 1, 2, 3")
    return tuple(stored.index(axis) for axis in (3, 2, 1))


def _first_voxel_position(header: Any, sizes_xyz: tuple[float, float, float]) -> tuple[float, float, float]:
    origin = tuple(float(header.origin[name]) for name in "xyz")
    if any(value != 0.0 for value in origin):
        return origin
    starts = {int(header.mapc): int(header.nxstart), int(header.mapr): int(header.nystart), int(header.maps): int(header.nzstart)}
    return tuple(float(starts[axis] * size) for axis, size in zip((1, 2, 3), sizes_xyz))
