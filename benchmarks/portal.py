"""Benchmark of the portal mirror: em-assets' HTTPS mirror against the official client's `download_omezarr`.

    .venv/bin/python benchmarks/portal.py [--latencies 35,20,50] [--shape 96,256,256]

Writes a three-level fixture tomogram (level 0 96×256×256 float32, chunks 16×32×32: 440 chunk files)
under benchmarks/.work/portal/ and serves it from the test suite's loopback fixtures: the GraphQL
portal, the plain HTTP file server and the moto S3 server, every answer of the file servers delayed
by the injected latency. For each latency it times, in this process and one after the other:

- em-assets `ingest_tomogram` over HTTPS, all levels, 1 chunk request at a time (the serial baseline);
- the same with the default 16 requests in flight;
- the client's `Tomogram.get_by_id(...).download_omezarr(...)` from the moto S3 server.

Each run starts from an empty folder and each copy is checked against the source, byte for byte.
Prints a markdown table of times, request counts and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryoet_data_portal import Client, Tomogram  # noqa: E402
from em_assets_tests.fixtures.portal.test_portal_ingest import tree_bytes  # noqa: E402

from em_assets.core.portal.client import PortalSettings  # noqa: E402
from em_assets.core.portal.ingest import ingest_tomogram  # noqa: E402
from em_assets.core.portal.retry import RetryPolicy  # noqa: E402
from em_assets_tests.fixtures.portal.file_servers import (  # noqa: E402
    BUCKET,
    S3Server,
    http_file_server,
)
from em_assets_tests.fixtures.portal.loopback_http import LoopbackServer  # noqa: E402
from em_assets_tests.fixtures.portal.portal_graphql import FixturePortal  # noqa: E402
from em_assets_tests.fixtures.portal.portal_records import (  # noqa: E402
    fixture_tomograms,
    portal_tables,
)
from em_assets_tests.fixtures.portal.portal_zarr import write_portal_zarr  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work" / "portal"
TOMOGRAM = 773
DEFAULT_CONCURRENCY = PortalSettings().concurrency


def resized_tables(http_base: str, shape: tuple[int, int, int]) -> dict[str, list[dict]]:
    """The fixture portal's tables with the benchmark tomogram's sizes in place of the test-sized ones."""
    tables = portal_tables(http_base, f"s3://{BUCKET}")
    z, y, x = shape
    for row in tables["Tomogram"]:
        if row["id"] == TOMOGRAM:
            row.update(sizeX=x, sizeY=y, sizeZ=z)
            for level in range(3):
                row[f"scale{level}Dimensions"] = f"{x >> level},{y >> level},{z >> level}"
    return tables


def timed(action) -> float:
    """Wall time of `action()` in seconds."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latencies", default="35,20,50", help="comma-separated per-request latencies in ms")
    parser.add_argument("--shape", default="96,256,256", help="level-0 shape z,y,x (chunks are 16,32,32)")
    args = parser.parse_args()
    latencies = [float(text) for text in args.latencies.split(",") if text]
    shape = tuple(int(text) for text in args.shape.split(","))
    if len(shape) != 3:
        parser.error("--shape needs three numbers z,y,x")

    started = time.perf_counter()
    key = next(t for t in fixture_tomograms() if t.id == TOMOGRAM).zarr_key
    shutil.rmtree(WORK, ignore_errors=True)
    source = write_portal_zarr(WORK / "served" / key, seed=1, voxel_spacing=7.56, shape=shape).path
    source_files = tree_bytes(source)
    chunk_files = sum(1 for name in source_files if not name.rsplit("/", 1)[-1].startswith("."))
    files = http_file_server(WORK / "served")
    s3 = S3Server()
    s3.upload_tree(WORK / "served", source)
    graphql = FixturePortal(resized_tables(files.base_url, shape)).serve()
    os.environ.update(
        BOTO_ENDPOINT_URL=s3.endpoint_url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="fixture",
        AWS_SECRET_ACCESS_KEY="fixture",
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
    )
    settings = PortalSettings(url=f"{graphql.base_url}/graphql", timeout=30.0, retry=RetryPolicy())
    size_mb = sum(len(data) for data in source_files.values()) / 1e6
    print(
        f"Fixture ready in {time.perf_counter() - started:.0f} s: level 0 {'×'.join(map(str, shape))} float32, "
        f"{chunk_files} chunk files in 3 levels, {size_mb:.1f} MB. Latency is added to every answer of "
        "the HTTP and S3 file servers (not the GraphQL portal); servers and clients share this process.\n"
    )
    print(
        "| latency | em-assets ×1 | em-assets ×16 | client `download_omezarr` | ×16 vs client | ×1 vs client "
        "| ×16 vs ×1 | requests ×1 / ×16 / client |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for latency_ms in latencies:
            files.latency = s3.latency = latency_ms / 1000
            row = measure_latency(settings, files, s3, source_files, source.name)
            print(
                f"| {latency_ms:g} ms | {row['serial']:.2f} s | {row['parallel']:.2f} s | {row['client']:.2f} s "
                f"| {row['client'] / row['parallel']:.1f}× | {row['client'] / row['serial']:.1f}× "
                f"| {row['serial'] / row['parallel']:.1f}× "
                f"| {row['serial_requests']} / {row['parallel_requests']} / {row['client_requests']} |"
            )
    finally:
        graphql.stop()
        files.stop()
        s3.stop()
    print(f"\nEvery copy matched the source byte for byte. Total benchmark time {time.perf_counter() - started:.0f} s.")


def measure_latency(
    settings: PortalSettings, files: LoopbackServer, s3: S3Server, source: dict[str, bytes], zarr_name: str
) -> dict:
    """Time the three mirrors at the servers' current latency and check every copy against `source`."""
    row: dict = {}
    copies: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        for name, concurrency in (("serial", 1), ("parallel", DEFAULT_CONCURRENCY)):
            dest = Path(scratch) / name / "tomogram.zarr"
            files.reset()
            run_settings = replace(settings, concurrency=concurrency)
            row[name] = timed(lambda: ingest_tomogram(run_settings, TOMOGRAM, dest, level_spec="all"))
            row[f"{name}_requests"] = files.count(method="GET")
            copies[name] = dest
        s3.log.lines.clear()
        client_dest = Path(scratch) / "client"

        def client_download() -> None:
            tomogram = Tomogram.get_by_id(Client(settings.url), TOMOGRAM)
            tomogram.download_omezarr(str(client_dest))

        with contextlib.redirect_stderr(io.StringIO()):  # the client's tqdm progress bar
            row["client"] = timed(client_download)
        row["client_requests"] = len(s3.log.lines)
        check_copies(copies, client_dest / zarr_name, source)
    return row


def check_copies(copies: dict[str, Path], client_copy: Path, source: dict[str, bytes]) -> None:
    """Fail unless both mirrors are identical and every chunk of every copy equals the source's."""
    serial, parallel = (tree_bytes(copies[name]) for name in ("serial", "parallel"))
    if serial != parallel:
        raise SystemExit("the concurrent mirror differs from the serial one")
    for name, files in (("em-assets", serial), ("client", tree_bytes(client_copy))):
        differing = [key for key, data in source.items() if key != ".zattrs" and files.get(key) != data]
        if differing:
            raise SystemExit(f"the {name} copy differs from the source in {differing[:5]}")


if __name__ == "__main__":
    main()
