"""How late the event loop runs: a probe task on the server's own loop, read by health/metrics.

Every request shares one asyncio loop, so anything that holds it (a parse on the loop, a
blocking call) delays every other client. The probe sleeps :data:`INTERVAL` seconds at a time and
records how much later than asked it woke: that lateness is the longest any ready callback had to
wait at that moment. Health shows the worst and the 99th percentile of the last :data:`WINDOW`
samples and the worst since start; metrics export them as gauges.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

#: Seconds between two wake-ups of the probe (100 a second costs nothing measurable).
INTERVAL = 0.01
#: Samples kept for the recent max and p99: at least the last ten seconds.
WINDOW = 1000


class LoopLag:
    """The probe: start it on the running loop, read :meth:`snapshot`, stop it at shutdown."""

    def __init__(self, interval: float = INTERVAL, window: int = WINDOW) -> None:
        self.interval = interval
        self.samples: deque[float] = deque(maxlen=window)
        #: The worst lateness since the probe started, in seconds.
        self.max_seconds = 0.0
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    def record(self, lag: float) -> None:
        lag = max(lag, 0.0)
        self.samples.append(lag)
        self.count += 1
        self.max_seconds = max(self.max_seconds, lag)

    async def _run(self) -> None:
        clock = time.perf_counter
        while True:
            asked = clock() + self.interval
            await asyncio.sleep(self.interval)
            self.record(clock() - asked)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def recent(self) -> tuple[float, float]:
        """(max, p99) of the recent window, in seconds (0 before the first sample)."""
        if not self.samples:
            return 0.0, 0.0
        ordered = sorted(self.samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return ordered[-1], p99

    def snapshot(self) -> dict[str, Any]:
        """What health shows: milliseconds, rounded to 0.1."""
        recent_max, p99 = self.recent()
        return {
            "max_ms": round(self.max_seconds * 1000, 1),
            "recent_max_ms": round(recent_max * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "samples": self.count,
        }
