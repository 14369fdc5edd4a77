"""Backoff, time budget and the transient/permanent split of the retry helper."""

from __future__ import annotations

import http.client

import pytest
import requests
import urllib3.exceptions
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ResponseStreamingError,
)
from botocore.exceptions import ReadTimeoutError as BotoReadTimeout
from gql.transport.exceptions import TransportQueryError, TransportServerError

from em_assets.core.errors import InputError
from em_assets.core.portal.retry import (
    RetriesExhausted,
    RetryPolicy,
    TransientFailure,
    call_with_retry,
    is_transient,
    parse_retry_after,
    requested_pause,
)


def s3_error(code: str, status: int, retry_after: str | None = None) -> ClientError:
    """A botocore ClientError as S3 raises it, with its status and optional Retry-After header."""
    headers = {} if retry_after is None else {"retry-after": retry_after}
    response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers}}
    return ClientError(response, "GetObject")


class FlakyAction:
    """Fails with the given errors in turn, then returns "done"; counts its calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_transient_failures_are_retried_with_doubling_pauses() -> None:
    pauses: list[float] = []
    action = FlakyAction(TransientFailure("503"), requests.ConnectionError("reset"), requests.Timeout("slow"))
    policy = RetryPolicy(attempts=5, first_delay=0.1, max_delay=0.3, total_seconds=60)
    assert call_with_retry(action, policy, "thing", sleep=pauses.append) == "done"
    assert action.calls == 4
    assert pauses == [0.1, 0.2, 0.3]


def test_permanent_failure_is_raised_at_once() -> None:
    action = FlakyAction(InputError("thing", "gone"))
    with pytest.raises(InputError, match="gone"):
        call_with_retry(action, RetryPolicy(attempts=5, first_delay=0.01), "thing", sleep=lambda _: None)
    assert action.calls == 1


def test_exhausted_retries_name_the_subject_attempts_and_last_error() -> None:
    action = FlakyAction(*[TransientFailure(f"HTTP 503 #{i}") for i in range(10)])
    with pytest.raises(RetriesExhausted, match=r"tomogram 7: still failing after 3 attempt\(s\).*HTTP 503 #2"):
        call_with_retry(action, RetryPolicy(attempts=3, first_delay=0.01), "tomogram 7", sleep=lambda _: None)
    assert action.calls == 3


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_total_time_budget_stops_retrying_before_the_attempts_run_out() -> None:
    action = FlakyAction(*[TransientFailure("503") for _ in range(10)])
    policy = RetryPolicy(attempts=10, first_delay=1.0, max_delay=100.0, total_seconds=2.5)
    fake = FakeTime()
    with pytest.raises(RetriesExhausted, match="2 attempt"):
        call_with_retry(action, policy, "x", sleep=fake.sleep, clock=lambda: fake.now)
    assert action.calls == 2
    assert fake.now == 1.0


def test_within_cuts_only_the_time_budget() -> None:
    policy = RetryPolicy(attempts=4, first_delay=0.5, max_delay=2.0, total_seconds=120).within(10)
    assert (policy.attempts, policy.first_delay, policy.max_delay, policy.total_seconds) == (4, 0.5, 2.0, 10)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TransportServerError("boom", 502), True),
        (TransportServerError("throttled", 429), True),
        (TransportServerError("not found", 404), False),
        (TransportQueryError("Cannot query field"), False),
        (requests.ReadTimeout("read timed out"), True),
        (requests.ConnectTimeout("connect timed out"), True),
        (requests.ConnectionError("Connection reset by peer"), True),
        (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"), True),
        (urllib3.exceptions.ProtocolError("Connection aborted."), True),
        (urllib3.exceptions.IncompleteRead(100, 200), True),
        (http.client.IncompleteRead(b"partial"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (TimeoutError(), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"), True),
        (BotoReadTimeout(endpoint_url="http://127.0.0.1:9"), True),
        (ConnectionClosedError(endpoint_url="http://127.0.0.1:9"), True),
        (ResponseStreamingError(error="IncompleteRead"), True),
        (IncompleteReadError(actual_bytes=1, expected_bytes=2), True),
        (s3_error("SlowDown", 503), True),
        (s3_error("InternalError", 500), True),
        (s3_error("RequestTimeout", 400), True),
        (s3_error("NoSuchKey", 404), False),
        (s3_error("AccessDenied", 403), False),
        (requests.exceptions.ContentDecodingError("bad gzip"), False),
        (ValueError("bad"), False),
    ],
)
def test_classification(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_retry_after_outlasts_a_shorter_backoff() -> None:
    pauses: list[float] = []
    action = FlakyAction(TransientFailure("HTTP 429", retry_after=3.0), TransientFailure("HTTP 503"))
    policy = RetryPolicy(attempts=5, first_delay=0.1, max_delay=1.0, total_seconds=60)
    assert call_with_retry(action, policy, "thing", sleep=pauses.append) == "done"
    assert pauses == [3.0, 0.2]


def test_retry_after_beyond_the_budget_gives_up_without_sleeping() -> None:
    pauses: list[float] = []
    action = FlakyAction(TransientFailure("HTTP 503", retry_after=30.0))
    with pytest.raises(RetriesExhausted, match="1 attempt"):
        call_with_retry(action, RetryPolicy(attempts=5, total_seconds=10), "thing", sleep=pauses.append)
    assert pauses == []


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        # 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT; the header is 40 s later.
        ("Tue, 14 Nov 2023 22:14:00 GMT", 40.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=1_700_000_000) == seconds


def test_s3_retry_after_header_is_the_requested_pause() -> None:
    assert requested_pause(s3_error("SlowDown", 503, retry_after="4")) == 4.0
    assert requested_pause(s3_error("SlowDown", 503)) == 0.0
    assert requested_pause(requests.ConnectionError("reset")) == 0.0
