"""How late the event loop runs: a probe task on the server's own loop, read by health/metrics.

Every request shares one asyncio loop, so anything that holds it (a parse on the loop, a
blocking call) delays every other client. The probe sleeps :data:`INTERVAL` seconds at a time and
records how much later than asked it woke: that lateness is the longest any ready callback had to
wait at that moment. Health shows the worst and the 99th percentile of the last :data:`WINDOW`
samples and the worst since start; metrics export them as gauges.

Lateness also counts time the loop's thread spent *waiting* to run: for the GIL, while a worker
thread (or the host process, when the server is embedded in a test) holds it, and for a CPU the
machine gives to other processes. So beside it the probe records how much CPU time the loop's own
thread used between two wake-ups (``busy``): work done on the loop (a parse, a garbage-collector
pass it triggered) shows there whole, waits do not, however loaded the machine. ``busy`` sums
every callback run in the interval, so it bounds the longest one from above.

A worker thread stalls the loop only while it holds the GIL without a break, which pure Python
never does for long (it hands the GIL over every 5 ms) but a garbage-collector pass does: a full
pass over a big heap (a parse's hundreds of thousands of token objects) takes 50-100 ms in one
go, whichever thread triggered it. So the probe also times every collector pass (``gc_max``:
CPU time of the thread that ran it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
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
        #: The most CPU time the loop's thread used between two wake-ups since start, in seconds.
        self.busy_max_seconds = 0.0
        #: The longest garbage-collector pass since start (CPU seconds of the thread running it).
        self.gc_max_seconds = 0.0
        self._gc_started = 0.0
        self.count = 0
        self._task: asyncio.Task[None] | None = None
        #: (count, max, p99) of the last :meth:`recent`: health may be asked thousands of times a
        #: second, and sorting the window each time cost a fifth of a health request.
        self._recent: tuple[int, float, float] = (-1, 0.0, 0.0)

    def record(self, lag: float, busy: float = 0.0) -> None:
        lag = max(lag, 0.0)
        self.samples.append(lag)
        self.count += 1
        self.max_seconds = max(self.max_seconds, lag)
        self.busy_max_seconds = max(self.busy_max_seconds, busy)

    async def _run(self) -> None:
        clock, cpu = time.perf_counter, time.thread_time  # the probe runs on the loop's thread
        while True:
            asked = clock() + self.interval
            used = cpu()
            await asyncio.sleep(self.interval)
            self.record(clock() - asked, cpu() - used)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.thread_time()
        else:
            self.gc_max_seconds = max(self.gc_max_seconds, time.thread_time() - self._gc_started)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")
            gc.callbacks.append(self._on_gc)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def recent(self) -> tuple[float, float]:
        """(max, p99) of the recent window, in seconds (0 before the first sample)."""
        if not self.samples:
            return 0.0, 0.0
        count, top, p99 = self._recent
        if count != self.count:  # a new sample since: at most 1/INTERVAL sorts a second
            ordered = sorted(self.samples)
            top, p99 = ordered[-1], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            self._recent = (self.count, top, p99)
        return top, p99

    def snapshot(self) -> dict[str, Any]:
        """What health shows: milliseconds, rounded to 0.1."""
        recent_max, p99 = self.recent()
        return {
            "max_ms": round(self.max_seconds * 1000, 1),
            "recent_max_ms": round(recent_max * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "busy_max_ms": round(self.busy_max_seconds * 1000, 1),
            "gc_max_ms": round(self.gc_max_seconds * 1000, 1),
            "samples": self.count,
        }
