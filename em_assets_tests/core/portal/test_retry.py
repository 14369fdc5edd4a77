"""Backoff, time budget and the transient/permanent split of the retry helper."""

from __future__ import annotations

import pytest
import requests
from gql.transport.exceptions import TransportQueryError, TransportServerError

from em_assets.core.errors import InputError
from em_assets.core.portal.retry import (
    RetriesExhausted,
    RetryPolicy,
    TransientFailure,
    call_with_retry,
    is_transient,
)


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
        (TimeoutError(), True),
        (ValueError("bad"), False),
    ],
)
def test_classification(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
