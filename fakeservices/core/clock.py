"""Time: the injectable :class:`Clock` fakes read "now" from, and the formatting the admin API uses.

A domain model never calls ``time.time()``: it is handed a clock, so that a test (or a Stripe test
clock) can decide what "now" is. :class:`SystemClock` is wall time; :class:`ManualClock` moves
only when told.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where a model gets the current time (Unix seconds)."""

    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it."""

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        self._now = when

    def advance(self, seconds: float) -> None:
        self._now += seconds


#: The process-wide wall clock (the default of every model).
SYSTEM_CLOCK: Clock = SystemClock()


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """``2026-11-24T22:24:55.123456Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
