"""Billing periods: where the n-th period after a billing cycle anchor starts.

Stripe bills a monthly price on the anchor's day of the month, or the month's last day when it
has fewer days (anchored on 31 January: 28/29 February, then 31 March); a yearly one on the
anchor's date (29 February: 28 February in other years); days and weeks are fixed lengths.
Every period is computed from the anchor, never from the previous period, so a short month
does not shift the ones after it. All in UTC.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

DAY = 86400
INTERVALS = ("day", "week", "month", "year")


def _add_months(anchor: datetime, months: int) -> datetime:
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """The start of period ``n`` (0 is the anchor) of a price billed every ``count`` intervals."""
    if interval == "day":
        return anchor + n * count * DAY
    if interval == "week":
        return anchor + n * count * 7 * DAY
    at = datetime.fromtimestamp(anchor, UTC)
    months = n * count * (12 if interval == "year" else 1)
    return int(_add_months(at, months).timestamp())


def period_index(anchor: int, interval: str, count: int, when: int) -> int:
    """The index ``n`` of the period holding ``when``: ``boundary(n) <= when < boundary(n+1)``."""
    if when < anchor:
        return 0
    if interval in ("day", "week"):
        length = count * DAY * (7 if interval == "week" else 1)
        return (when - anchor) // length
    # months: estimate, then correct by at most a step either way
    per_year = 12 if interval == "month" else 1
    span = (datetime.fromtimestamp(when, UTC).year - datetime.fromtimestamp(anchor, UTC).year) + 1
    n = max(0, (span * per_year) // count - 1)
    while n > 0 and boundary(anchor, interval, count, n) > when:
        n -= 1
    while boundary(anchor, interval, count, n + 1) <= when:
        n += 1
    return n
