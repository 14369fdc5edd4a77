"""Turn bad-input errors from the core into Dagster failures with a clear, traceback-free message."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from em_assets.core.errors import InputError


@contextmanager
def input_errors_as_failures() -> Iterator[None]:
    """Re-raise an InputError as a `dg.Failure` naming the file and the problem (no retries)."""
    try:
        yield
    except InputError as error:
        raise dg.Failure(
            description=str(error),
            metadata={"subject": error.subject, "problem": error.problem},
            allow_retries=False,
        ) from None
