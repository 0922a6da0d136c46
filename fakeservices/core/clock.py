"""Time: the injectable :class:`Clock` the fakes read, and the formatting the admin API uses.

A domain model never calls :mod:`time` itself: it is handed a clock, so a test (or a Stripe test
clock) decides what "now" is. ``now()`` is wall time in Unix seconds (what objects show);
``monotonic()`` is for windows and intervals (the ``rate_limit`` fault), never shown to users.
:class:`SystemClock` is the real clock; :class:`ManualClock` moves only when told, so tests move
time forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where a model gets the current time."""

    def now(self) -> float:
        """Wall time, Unix seconds."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go back (only differences mean anything)."""
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`time.monotonic`."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it.

    Its monotonic reading is its wall reading. Safe to advance from a test thread while the
    server's loop reads it (tests: ``start_server(clock=ManualClock())``).
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.now()

    def set(self, when: float) -> None:
        with self._lock:
            self._now = when

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); return the new reading."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds
            return self._now


#: The process-wide wall clock (the default of every model).
SYSTEM_CLOCK: Clock = SystemClock()


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """``2026-11-24T22:24:55.123456Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
