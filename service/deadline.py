"""The deadline of the request being served: set by the HTTP layer, checked by the core.

A thread cannot be stopped from outside, so the core checks the deadline between its stages
and before it commits: a request past its time stops there, and stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from service.errors import RequestTimeoutError

_DEADLINE: ContextVar[float | None] = ContextVar("crosscheck_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Give the work started inside (threads it starts included) `seconds` to finish."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Stop work whose request has run out of time.

    Raises:
        RequestTimeoutError: the deadline has passed.
    """
    due = _DEADLINE.get()
    if due is not None and time.monotonic() > due:
        raise RequestTimeoutError(
            "the request took longer than allowed (setting CROSSCHECK_REQUEST_TIMEOUT_SECONDS); "
            "nothing was stored"
        )
