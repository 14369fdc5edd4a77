"""CryoET Data Portal adapter around the real `cryoet-data-portal` client: discovery and metadata."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryoet_data_portal import Client, Run, Tomogram

# The client exports neither its default endpoint nor its User-Agent; both are read here, in one place,
# so that our own GraphQL transport behaves exactly like the client's.
from cryoet_data_portal._client import DEFAULT_URL
from cryoet_data_portal._constants import USER_AGENT
from gql import Client as GQLClient
from gql.dsl import DSLQuery, DSLSchema, dsl_gql
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import GraphQLSchema

from em_assets.core.errors import InputError
from em_assets.core.portal.retry import RetryPolicy, call_with_retry, is_transient

T = TypeVar("T")

PORTAL_SITE = "https://cryoetdataportal.czscience.com"
VOXEL_SPACING_TOLERANCE = 1e-3
DISCOVERY_FIELDS = (
    "id", "name", "runId", "voxelSpacing", "sizeX", "sizeY", "sizeZ",
    "isVisualizationDefault", "httpsOmezarrDir", "s3OmezarrDir",
)  # fmt: skip


@dataclass(frozen=True)
class PortalSettings:
    """Where the portal's GraphQL API is, how long one request may take, how to retry, and how many
    chunk requests a mirror keeps in flight to one host."""

    url: str = DEFAULT_URL
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    concurrency: int = 16


@dataclass(frozen=True)
class PortalFilters:
    """Which tomograms to follow: datasets, and optionally run names, voxel spacing, defaults only."""

    dataset_ids: tuple[int, ...]
    run_names: tuple[str, ...] = ()
    voxel_spacing: float | None = None
    visualization_default_only: bool = False

    def where(self) -> dict[str, Any]:
        """The GraphQL `where` clause, built from the client's own filter expressions."""
        expressions = [Tomogram.run.dataset_id._in(list(self.dataset_ids))]
        if self.run_names:
            expressions.append(Tomogram.run.name._in(list(self.run_names)))
        if self.voxel_spacing is not None:
            expressions.append(Tomogram.voxel_spacing >= self.voxel_spacing - VOXEL_SPACING_TOLERANCE)
            expressions.append(Tomogram.voxel_spacing <= self.voxel_spacing + VOXEL_SPACING_TOLERANCE)
        if self.visualization_default_only:
            expressions.append(Tomogram.is_visualization_default == True)  # noqa: E712 (client DSL)
        clause: dict[str, Any] = {}
        for expression in expressions:
            _merge_into(clause, expression.to_gql())
        return clause


@dataclass(frozen=True)
class PortalTomogram:
    """What the pipeline needs to know about one portal tomogram.

    `neuroglancer_config` is the portal's own Neuroglancer state (compact JSON, empty when the portal
    has none or the query did not ask for it); `parse_portal_limits` reads its contrast limits.
    """

    id: int
    name: str
    run_id: int
    run_name: str
    dataset_id: int
    voxel_spacing: float
    size_zyx: tuple[int, int, int]
    https_omezarr_dir: str
    s3_omezarr_dir: str
    is_visualization_default: bool
    level_shapes_zyx: tuple[tuple[int, int, int], ...] = ()
    neuroglancer_config: str = ""

    @property
    def partition_key(self) -> str:
        """The `tomogram` partition key of this tomogram."""
        return portal_partition_key(self.id)

    @property
    def portal_link(self) -> str:
        """The tomogram's run page on the portal website."""
        return f"{PORTAL_SITE}/runs/{self.run_id}"


@functools.cache
def _shipped_schema() -> GraphQLSchema:
    """The schema the client ships, parsed once: the read-only part a new client may share."""
    return Client(DEFAULT_URL).schema


class PortalClient(Client):
    """The portal client with a request timeout; retries are left to `call_with_retry`.

    Sets the same attributes as `Client.__init__` (url, schema, ds) but reuses the parsed schema.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.schema = _shipped_schema()
        self.ds = DSLSchema(self.schema)
        self.timeout = timeout

    def get_client(self) -> GQLClient:
        """A fresh GraphQL client per request, as the portal client does, with a timeout."""
        transport = RequestsHTTPTransport(
            url=self.url, timeout=self.timeout, retries=0, headers={"User-agent": USER_AGENT}
        )
        return GQLClient(transport=transport, schema=self.schema)


def portal_partition_key(tomogram_id: int) -> str:
    """`portal-<id>`: the partition key of a portal tomogram.

    Parameters
    ----------
    tomogram_id : int
        The portal's tomogram id (converted with `int`).

    Returns
    -------
    str
        The partition key `portal-<tomogram_id>`.
    """
    return f"portal-{int(tomogram_id)}"


def is_portal_key(key: str) -> bool:
    """Whether `key` names a portal tomogram (`portal-<id>`) rather than a landing-folder one.

    Parameters
    ----------
    key : str
        A `tomogram` partition key.

    Returns
    -------
    bool
        True if `key` is `portal-` followed by decimal digits only.
    """
    digits = key.removeprefix("portal-")
    return digits != key and digits.isdigit()


def tomogram_id_from_key(key: str) -> int:
    """The tomogram id of a `portal-<id>` partition key.

    Parameters
    ----------
    key : str
        A partition key of the form `portal-<tomogram id>`.

    Returns
    -------
    int
        The portal tomogram id.

    Raises
    ------
    InputError
        If `key` is not a portal partition key (see `is_portal_key`).
    """
    if not is_portal_key(key):
        raise InputError(repr(key), "not a portal partition key: expected 'portal-<tomogram id>'")
    return int(key.removeprefix("portal-"))


def fetch_tomogram(settings: PortalSettings, tomogram_id: int) -> PortalTomogram:
    """Metadata of one tomogram (with its run and dataset); InputError if the portal lacks it.

    Parameters
    ----------
    settings : PortalSettings
        The portal's GraphQL URL, request timeout and retry policy.
    tomogram_id : int
        The portal's id of the tomogram.

    Returns
    -------
    PortalTomogram
        The tomogram's metadata, with its run name and dataset id.

    Raises
    ------
    InputError
        If the portal has no such tomogram or no such run, lists no OME-Zarr location (neither HTTPS
        nor S3) for it, rejects the query, or fails permanently.
    RetriesExhausted
        If transient failures outlast the retry policy.
    """
    subject = f"portal tomogram {tomogram_id}"

    def lookup() -> PortalTomogram:
        client = PortalClient(settings.url, settings.timeout)
        tomogram = Tomogram.get_by_id(client, tomogram_id)
        if tomogram is None:
            raise InputError(subject, f"not found at {settings.url}")
        run = tomogram.run
        if run is None:
            raise InputError(subject, f"its run {tomogram.run_id} is not found at {settings.url}")
        return _portal_tomogram(tomogram, {run.id: run})

    found = _query(settings, subject, lookup)
    if not found.https_omezarr_dir and not found.s3_omezarr_dir:
        raise InputError(subject, "the portal lists no OME-Zarr location for it")
    return found


def iter_tomogram_pages(
    settings: PortalSettings, filters: PortalFilters, after_id: int = 0, page_size: int = 100
) -> Iterator[list[PortalTomogram]]:
    """Pages of followed tomograms in id order, starting after `after_id`; the last page is short.

    Parameters
    ----------
    settings : PortalSettings
        The portal's GraphQL URL, request timeout and retry policy.
    filters : PortalFilters
        Which datasets, runs, voxel spacing and defaults to follow.
    after_id : int, optional
        Only tomograms with an id greater than this are listed (default 0: from the start).
    page_size : int, optional
        The number of tomograms asked for per query (default 100).

    Yields
    ------
    list[PortalTomogram]
        One page of tomograms in ascending id order; iteration stops after the first page holding
        fewer than `page_size` tomograms (possibly an empty one).

    Raises
    ------
    InputError
        If the portal rejects a query or fails permanently.
    RetriesExhausted
        If transient failures outlast the retry policy.
    """
    client = PortalClient(settings.url, settings.timeout)
    while True:
        page = _query(settings, "portal discovery", lambda: _page(client, filters, after_id, page_size))
        yield page
        if len(page) < page_size:
            return
        after_id = page[-1].id


def _page(client: PortalClient, filters: PortalFilters, after_id: int, limit: int) -> list[PortalTomogram]:
    where = filters.where()
    _merge_into(where, (Tomogram.id > after_id).to_gql())
    ds = client.ds
    query = dsl_gql(
        DSLQuery(
            ds.Query.tomograms(where=where, orderBy=[{"id": "asc"}], limitOffset={"limit": limit}).select(
                *(getattr(ds.Tomogram, name) for name in DISCOVERY_FIELDS)
            )
        )
    )
    rows = client.get_client().execute(query)["tomograms"]
    tomograms = [Tomogram(client, **row) for row in rows]
    run_ids = sorted({t.run_id for t in tomograms})
    runs = {run.id: run for run in Run.find(client, [Run.id._in(run_ids)])} if run_ids else {}
    return [_portal_tomogram(t, runs) for t in tomograms]


def _portal_tomogram(tomogram: Tomogram, runs: Mapping[int, Run]) -> PortalTomogram:
    run = runs.get(tomogram.run_id)
    return PortalTomogram(
        id=int(tomogram.id),
        name=str(tomogram.name),
        run_id=int(tomogram.run_id),
        run_name=str(run.name) if run else "",
        dataset_id=int(run.dataset_id) if run else 0,
        voxel_spacing=float(tomogram.voxel_spacing),
        size_zyx=(int(tomogram.size_z), int(tomogram.size_y), int(tomogram.size_x)),
        https_omezarr_dir=tomogram.https_omezarr_dir or "",
        s3_omezarr_dir=tomogram.s3_omezarr_dir or "",
        is_visualization_default=bool(tomogram.is_visualization_default),
        level_shapes_zyx=_level_shapes(tomogram),
        neuroglancer_config=getattr(tomogram, "neuroglancer_config", None) or "",
    )


def _level_shapes(tomogram: Tomogram) -> tuple[tuple[int, int, int], ...]:
    shapes = []
    for name in ("scale_0_dimensions", "scale_1_dimensions", "scale_2_dimensions"):
        text = getattr(tomogram, name, None)
        parts = str(text or "").split(",")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            return ()
        x, y, z = (int(p) for p in parts)
        shapes.append((z, y, x))
    return tuple(shapes)


def _query(settings: PortalSettings, subject: str, action: Callable[[], T]) -> T:
    """Run a portal query with retries; permanent GraphQL or transport failures become InputError."""
    try:
        return call_with_retry(action, settings.retry, f"{subject} at {settings.url}")
    except TransportQueryError as error:
        raise InputError(subject, f"the portal at {settings.url} rejected the query: {error}") from None
    except TransportError as error:
        if is_transient(error):
            raise
        raise InputError(subject, f"the portal at {settings.url} failed: {error}") from None


def _merge_into(target: dict[str, Any], addition: Mapping[str, Any]) -> None:
    for key, value in addition.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
