"""Read-only HTTP access to a remote zarr: retried GETs and a zarr store built on them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter
from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype

from em_assets.core.errors import InputError
from em_assets.core.portal.retry import (
    RetryPolicy,
    TransientFailure,
    call_with_retry,
    parse_retry_after,
    status_is_transient,
)

METADATA_NAMES = frozenset({".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"})
USER_AGENT = "em-assets (cryoet-data-portal mirror)"


def pooled_session(connections: int) -> requests.Session:
    """A session that keeps at most `connections` connections per host open, blocking beyond that.

    Parameters
    ----------
    connections
        The most connections to one host at a time; also the number kept alive for reuse.

    Returns
    -------
    requests.Session
        A session safe to share between that many threads for plain GETs.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=connections, pool_block=True)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class HttpFetcher:
    """GETs with a timeout and retries; 404 gives None, other permanent errors an InputError.

    Up to `concurrency` threads may share one fetcher: its session holds that many connections per
    host, and a Retry-After from the server holds back every thread's next request, not just one.
    """

    subject: str
    timeout: float
    policy: RetryPolicy
    concurrency: int = 1
    session: requests.Session | None = field(default=None, repr=False)
    _resume_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise InputError(self.subject, f"concurrency must be at least 1, not {self.concurrency}")
        if self.session is None:
            self.session = pooled_session(self.concurrency)

    def get(self, url: str) -> bytes | None:
        """The body at `url`, or None if the server says it does not exist.

        Waits first if the server asked (with Retry-After) any thread of this fetcher to hold back.

        Parameters
        ----------
        url : str
            The URL to GET.

        Returns
        -------
        bytes or None
            The response body, or None for HTTP 404.

        Raises
        ------
        InputError
            If the server answers with a non-transient HTTP error status (400 or above).
        RetriesExhausted
            If transient failures (timeouts, resets, 408/425/429/5xx) outlast the fetcher's policy.
        """
        return call_with_retry(lambda: self._get_once(url), self.policy, f"{self.subject}: GET {url}")

    def _get_once(self, url: str) -> bytes | None:
        self._wait_for_server()
        response = self.session.get(url, timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        status = response.status_code
        if status == 404:
            return None
        if status_is_transient(status):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self._hold_back(retry_after)
            suffix = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
            raise TransientFailure(f"HTTP {status} from {url}{suffix}", retry_after)
        if status >= 400:
            raise InputError(self.subject, f"{url} answered HTTP {status} {response.reason}")
        return response.content

    def _hold_back(self, seconds: float | None) -> None:
        # A pause beyond the retry budget ends the fetch that got it, so it must not stall the others.
        if seconds and seconds <= self.policy.total_seconds:
            with self._lock:
                self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def _wait_for_server(self) -> None:
        with self._lock:
            pause = self._resume_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)


class HttpZarrStore(Store):
    """A read-only zarr store over HTTP: one retried GET per key; a missing chunk is an error.

    Metadata documents are fetched once and remembered, since zarr and the copy both read them.
    """

    supports_writes = False
    supports_deletes = False
    supports_listing = False

    def __init__(self, base_url: str, fetcher: HttpFetcher) -> None:
        super().__init__(read_only=True)
        self.base_url = base_url.rstrip("/")
        self.fetcher = fetcher
        self.metadata: dict[str, bytes | None] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HttpZarrStore) and other.base_url == self.base_url

    def __hash__(self) -> int:
        return hash(self.base_url)

    def url(self, key: str) -> str:
        """The URL of `key` below the store's base URL.

        Parameters
        ----------
        key : str
            A zarr key such as `0/.zarray` or `0/1.2.3`.

        Returns
        -------
        str
            `<base_url>/<key>`.
        """
        return f"{self.base_url}/{key}"

    def fetch(self, key: str) -> bytes | None:
        """The bytes of `key`: None for absent metadata, an InputError for an absent chunk.

        Metadata documents (`.zgroup`, `.zattrs`, ...) are fetched once and remembered.

        Parameters
        ----------
        key : str
            A zarr key below the store's base URL.

        Returns
        -------
        bytes or None
            The key's bytes; None only for a metadata document the server does not have.

        Raises
        ------
        InputError
            If a chunk is missing (HTTP 404) or the server refuses the request.
        RetriesExhausted
            If transient failures outlast the fetcher's policy.
        """
        if key.rsplit("/", 1)[-1] not in METADATA_NAMES:
            data = self.fetcher.get(self.url(key))
            if data is None:
                raise InputError(self.fetcher.subject, f"chunk {key} is missing at {self.url(key)}")
            return data
        if key not in self.metadata:
            self.metadata[key] = self.fetcher.get(self.url(key))
        return self.metadata[key]

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        data = await asyncio.to_thread(self.fetch, key)
        if data is None:
            return None
        return prototype.buffer.from_bytes(_slice(data, byte_range))

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.fetcher.get, self.url(key)) is not None

    async def set(self, key: str, value: Buffer) -> None:
        self._check_writable()

    async def delete(self, key: str) -> None:
        self._check_writable()

    def list(self) -> AsyncIterator[str]:
        raise NotImplementedError("an HTTP zarr store cannot list its keys")

    def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        """Not supported: an HTTP zarr store cannot list its keys.

        Parameters
        ----------
        prefix : str
            The key prefix zarr asks about.

        Raises
        ------
        NotImplementedError
            Always.
        """
        raise NotImplementedError("an HTTP zarr store cannot list its keys")

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """Not supported: an HTTP zarr store cannot list its keys.

        Parameters
        ----------
        prefix : str
            The folder prefix zarr asks about.

        Raises
        ------
        NotImplementedError
            Always.
        """
        raise NotImplementedError("an HTTP zarr store cannot list its keys")


def _slice(data: bytes, byte_range: ByteRequest | None) -> bytes:
    if byte_range is None:
        return data
    if isinstance(byte_range, RangeByteRequest):
        return data[byte_range.start : byte_range.end]
    if isinstance(byte_range, OffsetByteRequest):
        return data[byte_range.offset :]
    if isinstance(byte_range, SuffixByteRequest):
        return data[-byte_range.suffix :]
    raise TypeError(f"unsupported byte range {byte_range!r}")
