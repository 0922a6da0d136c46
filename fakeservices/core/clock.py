"""Time formatting shared by the fakes and the admin API."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """``2026-11-24T22:24:55.123456Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
