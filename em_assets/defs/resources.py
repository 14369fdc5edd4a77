"""Every resource of the code location, each class bound once: store, viewer, portal and Dask."""

from __future__ import annotations

import os
from collections.abc import Iterator, Set
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from em_assets.core.cluster import ClusterSettings, dask_client
from em_assets.core.errors import InputError
from em_assets.core.parallel import OrderedMap, dask_map
from em_assets.core.portal.client import (
    DEFAULT_URL,
    PortalFilters,
    PortalSettings,
    PortalTomogram,
    fetch_tomogram,
    iter_tomogram_pages,
)
from em_assets.core.portal.download import Progress
from em_assets.core.portal.ingest import PortalIngest, ingest_tomogram
from em_assets.core.portal.retry import RetryPolicy
from em_assets.core.portal.scan import ScanStep, scan_new_tomograms
from em_assets.core.store import STORE_URL_VARIABLE, StoreLayout, configured_layout
from em_assets.core.tomograms.neuroglancer import DEFAULT_URL_PREFIX

DEFAULT_LOCAL_DATA_URL = "http://127.0.0.1:8765"
PORTAL_URL_VARIABLE = "EM_ASSETS_PORTAL_URL"
PORTAL_DATASETS_VARIABLE = "EM_ASSETS_PORTAL_DATASETS"
PORTAL_TRANSPORTS = ("https", "s3")
LANDING_QUIET_VARIABLE = "EM_ASSETS_LANDING_QUIET_SECONDS"
DEFAULT_LANDING_QUIET_SECONDS = 45.0
NEUROGLANCER_URL_VARIABLE = "EM_ASSETS_NEUROGLANCER_URL"
DASK_VARIABLE = "EM_ASSETS_DASK"
DASK_SCHEDULER_VARIABLE = "EM_ASSETS_DASK_SCHEDULER"


class StoreResource(dg.ConfigurableResource):
    """EM_ASSETS_HOME: `landing/` for the sensors, `store/<asset>/<partition>/` for the assets."""

    home: str = ""
    landing_quiet_seconds: float | None = Field(
        default=None,
        description=(
            "How long a landing item must stay unchanged before it is ingested; "
            f"unset: ${LANDING_QUIET_VARIABLE}, else {DEFAULT_LANDING_QUIET_SECONDS:g}"
        ),
    )
    store_url: str = Field(
        default="", description=f"Store root (shared folder or s3:// URL); empty: ${STORE_URL_VARIABLE}, else home/store"
    )

    @property
    def layout(self) -> StoreLayout:
        """The folder layout below the configured home (EM_ASSETS_HOME or ./data by default)."""
        layout = configured_layout(Path(self.home).resolve() if self.home else None)
        return StoreLayout(layout.home, self.store_url) if self.store_url else layout

    def quiet_seconds(self) -> float:
        """The landing quiet period, with the environment filling an unset field."""
        if self.landing_quiet_seconds is not None:
            return self.landing_quiet_seconds
        text = os.environ.get(LANDING_QUIET_VARIABLE, "")
        try:
            return float(text) if text else DEFAULT_LANDING_QUIET_SECONDS
        except ValueError:
            raise InputError(f"${LANDING_QUIET_VARIABLE}={text!r}", "expected a number of seconds") from None


class NeuroglancerResource(dg.ConfigurableResource):
    """The viewer app URLs open in, and the base URL `em-assets view` serves the store at."""

    url_prefix: str = DEFAULT_URL_PREFIX
    local_data_url: str = DEFAULT_LOCAL_DATA_URL

    def local_source(self, relative_path: str) -> str:
        """The zarr layer source of a store path served by `em-assets view`."""
        return f"zarr://{self.local_data_url.rstrip('/')}/{relative_path.lstrip('/')}"


class PortalResource(dg.ConfigurableResource):
    """The CryoET Data Portal: which datasets to follow, which levels to ingest, how to fetch them."""

    graphql_url: str = Field(
        default="", description=f"GraphQL endpoint; empty: ${PORTAL_URL_VARIABLE}, else {DEFAULT_URL}"
    )
    datasets: str = Field(
        default="", description=f"Comma-separated dataset ids to follow; empty: ${PORTAL_DATASETS_VARIABLE}"
    )
    run_names: list[str] = Field(default=[], description="Follow only runs with these names (empty: all runs)")
    voxel_spacing: float | None = Field(default=None, description="Follow only tomograms at this spacing (Å)")
    visualization_default_only: bool = Field(default=False, description="Only each run's default tomogram")
    levels: str = Field(default="lowest", description='Levels to ingest: "lowest", "highest", "all" or "0,2"')
    transport: str = Field(default="https", description='"https" (zarr chunk by chunk) or "s3" (download_omezarr)')
    concurrency: int = Field(default=16, ge=1, description="HTTPS chunk requests in flight at once (per host)")
    request_timeout_seconds: float = Field(default=30.0, description="Timeout of one HTTP request")
    retry_attempts: int = Field(default=5, description="Attempts per request on transient failures")
    retry_first_delay_seconds: float = Field(default=0.5, description="First backoff pause, doubled per retry")
    retry_max_delay_seconds: float = Field(default=8.0, description="Longest backoff pause")
    retry_total_seconds: float = Field(default=120.0, description="Give up retrying a request after this long")
    page_size: int = Field(default=100, description="Tomograms per discovery query")
    tick_seconds: float = Field(default=25.0, description="Time budget of one sensor tick's scan")

    def settings(self) -> PortalSettings:
        """Endpoint, timeout and retry policy, with the environment filling unset fields."""
        url = self.graphql_url or os.environ.get(PORTAL_URL_VARIABLE, "") or DEFAULT_URL
        retry = RetryPolicy(
            attempts=self.retry_attempts,
            first_delay=self.retry_first_delay_seconds,
            max_delay=self.retry_max_delay_seconds,
            total_seconds=self.retry_total_seconds,
        )
        return PortalSettings(url=url, timeout=self.request_timeout_seconds, retry=retry, concurrency=self.concurrency)

    def filters(self) -> PortalFilters:
        """The followed datasets and optional run, spacing and default-tomogram filters."""
        text = self.datasets or os.environ.get(PORTAL_DATASETS_VARIABLE, "")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise InputError(f"portal datasets {text!r}", "expected comma-separated numeric dataset ids")
        return PortalFilters(
            dataset_ids=tuple(int(part) for part in parts),
            run_names=tuple(self.run_names),
            voxel_spacing=self.voxel_spacing,
            visualization_default_only=self.visualization_default_only,
        )

    def tomogram(self, tomogram_id: int) -> PortalTomogram:
        """Metadata of one tomogram; InputError if the portal does not have it."""
        return fetch_tomogram(self.settings(), tomogram_id)

    def pages(self, filters: PortalFilters | None = None) -> Iterator[list[PortalTomogram]]:
        """Pages of the followed tomograms (or those matching `filters`) in id order."""
        return iter_tomogram_pages(self.settings(), filters or self.filters(), page_size=self.page_size)

    def scan(self, known: Set[str], after_id: int) -> ScanStep:
        """One tick's worth of discovery: new `portal-<id>` keys after `after_id`."""
        return scan_new_tomograms(
            self.settings(), self.filters(), known, after_id, self.tick_seconds, self.page_size
        )

    def ingest_tomogram(self, tomogram_id: int, dest: Path, progress: Progress | None = None) -> PortalIngest:
        """Mirror the configured levels of tomogram `tomogram_id` into `dest` (resumable, verified)."""
        if self.transport not in PORTAL_TRANSPORTS:
            raise InputError(f"portal tomogram {tomogram_id}", f"unknown transport {self.transport!r}: use https or s3")
        return ingest_tomogram(self.settings(), tomogram_id, Path(dest), self.levels, self.transport, progress)


class DaskResource(dg.ConfigurableResource):
    """Where the heavy loops run: in the run's process (default), a local Dask cluster, or a scheduler."""

    enabled: bool = Field(default=False, description="Start a LocalCluster of worker processes for the run")
    scheduler_address: str = Field(default="", description="Join this scheduler instead (implies enabled)")
    n_workers: int = Field(default=2, ge=1, description="LocalCluster worker processes")
    threads_per_worker: int = Field(default=1, ge=1, description="Threads of each LocalCluster worker")
    memory_limit: str = Field(default="4GiB", description="Memory limit of each LocalCluster worker")
    dashboard: bool = Field(default=False, description="Serve the LocalCluster dashboard on 127.0.0.1:8787")

    @property
    def active(self) -> bool:
        """Whether the heavy loops leave the run's process."""
        return self.enabled or bool(self.scheduler_address)

    @contextmanager
    def ordered_map(self) -> Iterator[OrderedMap | None]:
        """A map onto the cluster's workers for the duration of the block; None when Dask is off."""
        if not self.active:
            yield None
            return
        settings = ClusterSettings(
            self.scheduler_address, self.n_workers, self.threads_per_worker, self.memory_limit, self.dashboard
        )
        with dask_client(settings) as client:
            yield dask_map(client)


@dg.definitions
def resources() -> dg.Definitions:
    """Bind every resource once: `store`, `neuroglancer` and `dask` (set from the environment), `portal`."""
    return dg.Definitions(
        resources={
            "store": StoreResource(),
            "neuroglancer": NeuroglancerResource(
                url_prefix=dg.EnvVar(NEUROGLANCER_URL_VARIABLE).get_value(DEFAULT_URL_PREFIX),
                local_data_url=dg.EnvVar("EM_ASSETS_LOCAL_DATA_URL").get_value(DEFAULT_LOCAL_DATA_URL),
            ),
            "portal": PortalResource(),
            "dask": DaskResource(
                enabled=dg.EnvVar(DASK_VARIABLE).get_value("off") == "local",
                scheduler_address=dg.EnvVar(DASK_SCHEDULER_VARIABLE).get_value(""),
            ),
        }
    )
