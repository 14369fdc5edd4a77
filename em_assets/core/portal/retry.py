"""Retries with exponential backoff and a bounded total time, for transient network failures."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests
import urllib3.exceptions
from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from gql.transport.exceptions import TransportConnectionFailed, TransportServerError

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
TRANSIENT_S3_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "ServiceUnavailable"}
)
# Connection resets, bodies cut short, connect and read timeouts, from every layer a fetch goes through.
TRANSIENT_ERRORS = (
    TransportConnectionFailed,
    TimeoutError,
    ConnectionError,
    http.client.IncompleteRead,
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    BotoConnectionError,
    ReadTimeoutError,
    HTTPClientError,
    IncompleteReadError,
)


class TransientFailure(RuntimeError):
    """A failure worth retrying: a timeout, a reset connection or a 5xx answer.

    `retry_after` is the pause in seconds the server asked for (its Retry-After header), if any.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
        """The pause before retry number `retry` (1-based): doubling from `first_delay`, capped.

        Parameters
        ----------
        retry : int
            Which retry the pause precedes, counting from 1.

        Returns
        -------
        float
            `first_delay * 2 ** (retry - 1)` seconds, at most `max_delay`.
        """
        return min(self.max_delay, self.first_delay * 2 ** (retry - 1))

    def within(self, seconds: float) -> RetryPolicy:
        """This policy with its total time budget cut to at most `seconds`.

        Parameters
        ----------
        seconds : float
            The largest total time budget allowed.

        Returns
        -------
        RetryPolicy
            A copy with `total_seconds` the smaller of its own and `seconds`.
        """
        return RetryPolicy(self.attempts, self.first_delay, self.max_delay, min(self.total_seconds, seconds))


def status_is_transient(status: int | None) -> bool:
    """True for HTTP statuses that a later attempt may not see (timeouts, throttling, 5xx).

    Parameters
    ----------
    status : int or None
        An HTTP status code, or None when there was none.

    Returns
    -------
    bool
        True for 408, 425, 429 and every 5xx status.
    """
    return status is not None and (status in TRANSIENT_STATUS or 500 <= status < 600)


def is_transient(error: BaseException) -> bool:
    """True if `error` is a timeout, a connection failure or a transient HTTP status.

    Parameters
    ----------
    error : BaseException
        The failure to classify.

    Returns
    -------
    bool
        True for `TransientFailure`, connection resets and timeouts from every network layer, S3
        throttling or internal-error codes, and GraphQL, requests or botocore answers with a
        transient HTTP status (see `status_is_transient`).
    """
    if isinstance(error, (TransientFailure, *TRANSIENT_ERRORS)):
        return True
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in TRANSIENT_S3_CODES:
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


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if absent or invalid.

    Parameters
    ----------
    value
        The header's text, or None when the answer had no such header.
    now
        The current Unix time, for HTTP dates (default: the system clock).

    Returns
    -------
    float | None
        A pause of at least 0 seconds, or None.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def requested_pause(error: BaseException) -> float:
    """The pause the server asked for with `error` (Retry-After over HTTP or S3), else 0.

    Parameters
    ----------
    error : BaseException
        A failure, possibly carrying a Retry-After (a `TransientFailure` or a botocore `ClientError`).

    Returns
    -------
    float
        The requested pause in seconds, or 0.0 if none was asked for or it was unreadable.
    """
    if isinstance(error, TransientFailure):
        return error.retry_after or 0.0
    if isinstance(error, ClientError):
        headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return parse_retry_after(headers.get("retry-after")) or 0.0
    return 0.0


def call_with_retry(
    action: Callable[[], T],
    policy: RetryPolicy,
    subject: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `action`; retry transient failures with backoff until attempts or time run out.

    The pause before a retry is the backoff delay or the server's Retry-After, whichever is longer;
    a pause that would end past the policy's total time is not taken.

    Parameters
    ----------
    action : Callable[[], T]
        The call to make; it takes no arguments.
    policy : RetryPolicy
        Attempts, backoff delays and total time budget.
    subject : str
        What is being attempted, named in the `RetriesExhausted` message.
    sleep : Callable[[float], None], optional
        How to pause (default `time.sleep`).
    clock : Callable[[], float], optional
        A monotonic clock in seconds (default `time.monotonic`).

    Returns
    -------
    T
        What `action` returned on its first successful attempt.

    Raises
    ------
    RetriesExhausted
        If a transient failure (see `is_transient`) occurs on the last allowed attempt, or the next
        pause would exceed the time budget; it is chained to the last failure.
    Exception
        Any non-transient failure of `action`, re-raised at once.
    """
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
            pause = max(policy.delay(attempt), requested_pause(error))
            if attempt >= policy.attempts or elapsed + pause > policy.total_seconds:
                raise RetriesExhausted(subject, attempt, elapsed, error) from error
            sleep(pause)
