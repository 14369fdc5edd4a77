"""Bad landing tomograms: each is refused by name with its problem before anything is written, or
handled as the README's bad-input table says (types converted, absent chunks counted)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.ingest import ingest_landing_tomogram
from em_assets.core.tomograms.landing import scan_tomogram_landing
from em_assets.core.tomograms.source_checks import MAX_COMPRESSION_RATIO, as_stored
from em_assets.core.tomograms.volumes import open_multiscale, write_multiscale
from em_assets_tests.fixtures.tomograms import (
    SHAPE,
    corrupt_chunk,
    noise,
    write_mrc,
    write_oversized_claim,
    write_zarr,
)

SECRET = b"s3cr3t:x:0:0:s3cr3t:/s3cr3t:/bin/bash\n"


def set_mrc_header(path: Path, **fields: int) -> None:
    with mrcfile.open(path, mode="r+", permissive=True) as mrc:
        for name, value in fields.items():
            setattr(mrc.header, name, value)


def zattrs(path: Path) -> dict:
    return json.loads((path / ".zattrs").read_text())


def edit_zattrs(path: Path, change: Callable[[dict], None]) -> None:
    attrs = zattrs(path)
    change(attrs)
    (path / ".zattrs").write_text(json.dumps(attrs))


def ingest(landing: Path, key: str, tmp_path: Path):
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    record, _ = ingest_landing_tomogram(landing, key, dest)
    return record, dest


def refused(landing: Path, key: str, tmp_path: Path) -> InputError:
    """The InputError ingesting `key` raises; checks that are up front have written nothing."""
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(InputError) as caught:
        ingest_landing_tomogram(landing, key, dest)
    if "corrupt chunk" not in caught.value.problem:
        assert not (dest / TOMOGRAM_ZARR).exists(), "an up-front refusal writes nothing"
    return caught.value


def _garbage_chunk(path: Path) -> None:
    (path / "0" / "0.0.1").write_bytes(b"\x02\x01\x00\x04" + b"\xff" * 60)


def _flipped_chunk_body(path: Path) -> None:
    corrupt_chunk(path)


def _delete_zattrs(path: Path) -> None:
    (path / ".zattrs").unlink()


def _delete_zgroup(path: Path) -> None:
    (path / ".zgroup").unlink()


def _delete_level_metadata(path: Path) -> None:
    (path / "1" / ".zarray").unlink()


def _drop_dataset_paths(path: Path) -> None:
    edit_zattrs(path, lambda a: [d.pop("path") for d in a["multiscales"][0]["datasets"]])


def _multiscales_not_a_list(path: Path) -> None:
    edit_zattrs(path, lambda a: a.update(multiscales={"datasets": []}))


def _negative_scale(path: Path) -> None:
    edit_zattrs(path, lambda a: a["multiscales"][0]["datasets"][0]["coordinateTransformations"][0].update(scale=[-1, 1, 1]))


def _two_axis_scale(path: Path) -> None:
    edit_zattrs(path, lambda a: a["multiscales"][0]["datasets"][0]["coordinateTransformations"][0].update(scale=[1, 1]))


def _no_datasets(path: Path) -> None:
    edit_zattrs(path, lambda a: a["multiscales"][0].update(datasets=[]))


@pytest.mark.parametrize(
    ("damage", "subject", "problem"),
    [
        (_garbage_chunk, "t.zarr/0/0.0.1", "corrupt chunk: it cannot be decoded"),
        (_flipped_chunk_body, "t.zarr/0/0.0.1", r"corrupt chunk: it cannot be decoded \(RuntimeError\)"),
        (_delete_zattrs, "t.zarr", "no 'multiscales'"),
        (_delete_zgroup, "t.zarr", "is not a zarr group"),
        (_delete_level_metadata, "t.zarr", "lists level '1' but has no such array"),
        (_drop_dataset_paths, "t.zarr", r"a dataset entry has no 'path'"),
        (_multiscales_not_a_list, "t.zarr", r"'multiscales'"),
        (_negative_scale, "t.zarr", r"scale \[-1.0, 1.0, 1.0\] must be positive"),
        (_two_axis_scale, "t.zarr", "scale must list 3 numbers"),
        (_no_datasets, "t.zarr", "lists no datasets"),
    ],
)
def test_damaged_ome_zarr_is_refused_by_name(tmp_path: Path, damage, subject: str, problem: str) -> None:
    landing = tmp_path / "landing"
    path = write_zarr(landing / "t.zarr", [noise(), noise((3, 5, 6))])
    damage(path)
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith(subject)
    assert re.search(problem, error.problem), error.problem


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (".zgroup", SECRET, r"is not a zarr group \(JSONDecodeError\)"),
        (".zgroup", b'{"zarr_format": "s3cr3t"}', r"is not a zarr group \(ValueError\)"),
        (".zattrs", SECRET, r"is not a zarr group \(JSONDecodeError\)"),
        ("0/.zarray", SECRET, r"level '0' has unreadable metadata \(JSONDecodeError\)"),
    ],
    ids=["zgroup-text", "zgroup-bad-format", "zattrs-text", "zarray-text"],
)
def test_unreadable_zarr_metadata_is_refused_without_quoting_it(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    landing = tmp_path / "landing"
    path = write_zarr(landing / "t.zarr", [noise()])
    (path / name).write_bytes(content)
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith("t.zarr") and re.search(problem, error.problem), error.problem
    assert "s3cr3t" not in str(error)


def test_zarr_v3_without_zarr_json_is_refused(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_zarr(landing / "t.ome.zarr", [noise()], zarr_format=3)
    (path / "zarr.json").unlink()
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith("t.ome.zarr") and "is not a zarr group" in error.problem


@pytest.mark.parametrize(
    ("levels", "problem"),
    [
        ([noise(), noise((7, 10, 12))], r"level 1 \(shape \(7, 10, 12\)\) is larger than level 0"),
        ([noise(), noise((3, 5, 6), np.int16)], "level 1 is int16, level 0 float32"),
        ([np.zeros((0, 4, 4), np.float32)], r"is empty \(shape \(0, 4, 4\)\)"),
        ([noise((10, 12))], r"level '0' is not 3-D \(shape \(10, 12\)\)"),
        ([noise((2, 3, 10, 12))], r"level '0' is not 3-D \(shape \(2, 3, 10, 12\)\)"),
    ],
    ids=["growing-level", "mixed-dtypes", "empty", "2-D", "4-D"],
)
def test_inconsistent_or_misshapen_multiscales_are_refused(tmp_path: Path, levels, problem: str) -> None:
    landing = tmp_path / "landing"
    write_zarr(landing / "t.zarr", levels)
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith("t.zarr")
    assert re.search(problem, error.problem), error.problem


def test_metadata_claiming_80_gb_in_a_tiny_store_is_refused_before_reading(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_oversized_claim(landing / "huge.zarr")
    stored = sum(p.stat().st_size for p in (landing / "huge.zarr").rglob("*") if p.is_file())
    assert stored < 80e9 / MAX_COMPRESSION_RATIO
    error = refused(landing, "huge", tmp_path)
    assert error.subject.endswith("huge.zarr")
    assert "claims 80.0 GB for level '0'" in error.problem and "refused before reading" in error.problem


def test_absent_chunks_are_counted_not_silent(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_zarr(landing / "t.zarr", [noise()])
    (path / "0" / "1.1.1").unlink()
    record, _ = ingest(landing, "t", tmp_path)
    assert record.missing_source_chunks == 1


def test_a_complete_zarr_counts_no_absent_chunk(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_zarr(landing / "t.zarr", [noise()])
    assert ingest(landing, "t", tmp_path)[0].missing_source_chunks == 0


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        (noise(dtype=np.int16), "int16"),
        (noise(dtype=np.uint16), "uint16"),
        (noise(dtype=np.float16), "float32"),
        (noise(dtype=">f4"), "float32"),
        (noise(dtype=np.int8), "int8"),
    ],
    ids=["int16", "uint16", "float16", "big-endian-float32", "int8"],
)
def test_mrc_voxel_types_are_read_and_stored_natively(tmp_path: Path, data: np.ndarray, stored: str) -> None:
    landing = tmp_path / "landing"
    write_mrc(landing / "t.mrc", data)
    record, dest = ingest(landing, "t", tmp_path)
    level0 = open_multiscale(dest / TOMOGRAM_ZARR).array(0)
    assert record.dtype == stored and level0.dtype == np.dtype(stored) and level0.dtype.isnative
    np.testing.assert_array_equal(level0[:], data.astype(stored))


def test_big_endian_mrc_header_is_decoded(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_mrc(landing / "t.mrc", noise(dtype=">f4"))
    with mrcfile.open(landing / "t.mrc", header_only=True) as mrc:
        assert mrc.header.mode.dtype.byteorder == ">"
    record, _ = ingest(landing, "t", tmp_path)
    assert record.shape == SHAPE


def test_float64_zarr_is_stored_as_float32(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    data = noise(dtype=np.float64)
    write_zarr(landing / "t.zarr", [data])
    _, dest = ingest(landing, "t", tmp_path)
    np.testing.assert_array_equal(open_multiscale(dest / TOMOGRAM_ZARR).array(0)[:], data.astype(np.float32))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: write_mrc(p, noise(dtype=np.complex64)), r"complex float32 data \(mode 4\)"),
        (lambda p: write_mrc(p, np.zeros((0, 5, 6), np.float32)), r"has an empty grid"),
        (lambda p: write_mrc(p, noise((10, 12))), r"is a single 2-D image \(12 × 10\)"),
        (lambda p: write_mrc(p, noise((2, 3, 10, 12))), r"is a volume stack"),
        (lambda p: set_mrc_header(write_mrc(p, noise()), mode=5), r"has MRC mode 5; only modes 0, 1, 2, 6 and 12 are read"),
        (lambda p: set_mrc_header(write_mrc(p, noise()), nx=2**20, ny=2**20, nz=2**20), "truncated"),
        (lambda p: p.write_bytes(write_mrc(p, noise()).read_bytes()[:1500]), "truncated"),
        (lambda p: p.write_bytes(SECRET * 40), "not a readable MRC file"),
    ],
    ids=["complex", "empty", "2-D", "4-D", "unknown-mode", "header-claims-more", "truncated", "not-mrc"],
)
def test_bad_mrc_files_are_refused_by_name(tmp_path: Path, make, problem: str) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    make(landing / "t.mrc")
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith("t.mrc")
    assert re.search(problem, error.problem), error.problem
    assert "s3cr3t" not in str(error)


def test_float64_has_no_mrc_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="float64"), mrcfile.new(tmp_path / "t.mrc") as mrc:
        mrc.set_data(noise(dtype=np.float64))


@pytest.mark.parametrize("name", ["my tomo.mrc", "tömo.mrc", "t\u200b.mrc", "a..b.zarr", "x" * 129 + ".mrc"])
def test_names_that_are_not_keys_are_refused_with_the_reason(tmp_path: Path, name: str) -> None:
    landing = tmp_path / "landing"
    write_mrc(landing / name, noise()) if name.endswith(".mrc") else write_zarr(landing / name, [noise()])
    scan = scan_tomogram_landing(landing)
    assert scan.entries == {}
    assert "is not a valid partition key" in list(scan.refused.values())[0]


def _link(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    return link


@pytest.mark.parametrize(
    ("make", "subject"),
    [
        (lambda landing: _link(landing / "t.zarr", Path("/etc")), "t.zarr"),
        (lambda landing: _link(landing / "t.mrc", Path("/etc/passwd")), "t.mrc"),
        (lambda landing: _link(landing / "t.mrc", landing / "other.mrc"), "t.mrc"),
        (lambda landing: _link(landing / "t.zarr" / "0" / "0.0.0", landing / "other.zarr" / "0" / "0.0.0"), "t.zarr/0/0.0.0"),
        (lambda landing: _link(landing / "t.zarr" / ".zattrs", Path("/etc/passwd")), "t.zarr/.zattrs"),
        (lambda landing: _link(landing / "t.zarr" / "1", Path("/etc")), "t.zarr/1"),
    ],
    ids=["item-to-etc", "mrc-to-passwd", "item-to-other-tomogram", "chunk-of-other-tomogram", "zattrs-to-passwd", "level-to-etc"],
)
def test_symlinks_are_never_followed(tmp_path: Path, make, subject: str) -> None:
    landing = tmp_path / "landing"
    write_mrc(landing / "other.mrc", noise())
    write_zarr(landing / "other.zarr", [noise()])
    if "zarr/" in subject:
        path = write_zarr(landing / "t.zarr", [noise(), noise((3, 5, 6))])
        target = path / Path(subject).relative_to("t.zarr")
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    make(landing)
    error = refused(landing, "t", tmp_path)
    assert error.subject.endswith(subject)
    assert "symbolic link" in error.problem and "never followed" in error.problem
    assert "s3cr3t" not in str(error)


def test_write_multiscale_of_a_converted_volume_keeps_the_pyramid(tmp_path: Path) -> None:
    data = noise((8, 8, 8), np.float16)
    converted = as_stored(data, "t")
    multiscale = write_multiscale(tmp_path / "t.zarr", converted, (1.0, 1.0, 1.0), "t")
    assert [a.dtype for a in multiscale.arrays] == [np.dtype(np.float32)] * 3
