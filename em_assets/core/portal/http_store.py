"""Read-only HTTP access to a remote zarr: retried GETs and a zarr store built on them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

import requests
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
    status_is_transient,
)

METADATA_NAMES = frozenset({".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"})
USER_AGENT = "em-assets (cryoet-data-portal mirror)"


@dataclass
class HttpFetcher:
    """GETs with a timeout and retries; 404 gives None, other permanent errors an InputError."""

    subject: str
    timeout: float
    policy: RetryPolicy
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def get(self, url: str) -> bytes | None:
        """The body at `url`, or None if the server says it does not exist."""
        return call_with_retry(lambda: self._get_once(url), self.policy, f"{self.subject}: GET {url}")

    def _get_once(self, url: str) -> bytes | None:
        response = self.session.get(url, timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        status = response.status_code
        if status == 404:
            return None
        if status_is_transient(status):
            raise TransientFailure(f"HTTP {status} from {url}")
        if status >= 400:
            raise InputError(self.subject, f"{url} answered HTTP {status} {response.reason}")
        return response.content


class HttpZarrStore(Store):
    """A read-only zarr store over HTTP: one retried GET per key; a missing chunk is an error."""

    supports_writes = False
    supports_deletes = False
    supports_listing = False

    def __init__(self, base_url: str, fetcher: HttpFetcher) -> None:
        super().__init__(read_only=True)
        self.base_url = base_url.rstrip("/")
        self.fetcher = fetcher

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HttpZarrStore) and other.base_url == self.base_url

    def __hash__(self) -> int:
        return hash(self.base_url)

    def url(self, key: str) -> str:
        """The URL of `key` below the store's base URL."""
        return f"{self.base_url}/{key}"

    def fetch(self, key: str) -> bytes | None:
        """The bytes of `key`: None for absent metadata, an InputError for an absent chunk."""
        data = self.fetcher.get(self.url(key))
        if data is None and key.rsplit("/", 1)[-1] not in METADATA_NAMES:
            raise InputError(self.fetcher.subject, f"chunk {key} is missing at {self.url(key)}")
        return data

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
        raise NotImplementedError("an HTTP zarr store cannot list its keys")

    def list_dir(self, prefix: str) -> AsyncIterator[str]:
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
