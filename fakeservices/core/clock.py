"""Time: formatting shared by the fakes and the admin API, and the clock rules measure time on.

Time-based machinery (the ``rate_limit`` fault's windows) reads a :class:`Clock` the runtime is
given instead of calling :mod:`time` itself, so a test can hand the server a :class:`ManualClock`
and move time forward without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """``2026-11-24T22:24:55.123456Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Clock(Protocol):
    """Monotonic seconds (for windows and intervals, never shown to users)."""

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock: :func:`time.monotonic`."""

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (tests: ``start_server(clock=ManualClock())``).

    Safe to advance from a test thread while the server's loop reads it.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); return the new reading."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds
            return self._now
