"""Retries with exponential backoff and a bounded total time, for transient network failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError, ReadTimeoutError
from gql.transport.exceptions import TransportConnectionFailed, TransportServerError

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class TransientFailure(RuntimeError):
    """A failure worth retrying: a timeout, a reset connection or a 5xx answer."""


class RetriesExhausted(RuntimeError):
    """A transient failure that outlasted every retry: names what failed, how often and why."""

    def __init__(self, subject: str, attempts: int, elapsed: float, last: BaseException) -> None:
        self.subject = subject
        self.attempts = attempts
        self.last = last
        super().__init__(
            f"{subject}: still failing after {attempts} attempt(s) over {elapsed:.1f} s "
            f"(last error: {type(last).__name__}: {last})"
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: attempts, first delay, delay cap and total time budget."""

    attempts: int = 5
    first_delay: float = 0.5
    max_delay: float = 8.0
    total_seconds: float = 120.0

    def delay(self, retry: int) -> float:
        """The pause before retry number `retry` (1-based): doubling from `first_delay`, capped."""
        return min(self.max_delay, self.first_delay * 2 ** (retry - 1))

    def within(self, seconds: float) -> RetryPolicy:
        """This policy with its total time budget cut to at most `seconds`."""
        return RetryPolicy(self.attempts, self.first_delay, self.max_delay, min(self.total_seconds, seconds))


def status_is_transient(status: int | None) -> bool:
    """True for HTTP statuses that a later attempt may not see (timeouts, throttling, 5xx)."""
    return status is not None and (status in TRANSIENT_STATUS or 500 <= status < 600)


def is_transient(error: BaseException) -> bool:
    """True if `error` is a timeout, a connection failure or a transient HTTP status."""
    if isinstance(error, TransientFailure | TransportConnectionFailed | TimeoutError | ConnectionError):
        return True
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return True
    if isinstance(error, BotoConnectionError | ReadTimeoutError | HTTPClientError):
        return True
    if isinstance(error, TransportServerError):
        return status_is_transient(error.code)
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return status_is_transient(error.response.status_code)
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status_is_transient(status)
    return False


def call_with_retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    subject: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `action`; retry transient failures with backoff until attempts or time run out."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return action()
        except Exception as error:
            if not is_transient(error):
                raise
            elapsed = clock() - started
            pause = policy.delay(attempt)
            if attempt >= policy.attempts or elapsed + pause > policy.total_seconds:
                raise RetriesExhausted(subject, attempt, elapsed, error) from error
            sleep(pause)
