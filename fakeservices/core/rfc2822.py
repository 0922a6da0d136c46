"""RFC 2822 dates in UTC (``Thu, 24 Aug 2023 05:01:45 +0000``): Twilio's resource dates and the
``Date`` header of mail the send APIs render.

:func:`email.utils.format_datetime` takes about 7 us; a Twilio create wrote three of them and
every HTTP email send one, all within the same second. :func:`utc` builds the text from
:func:`time.gmtime` and remembers the last second it formatted, with the same result.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: The last second formatted and its text (one tuple, replaced whole: safe across threads).
_last: tuple[int, str] = (-1, "")


def _format(seconds: int) -> str:
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def utc(ts: float) -> str:
    """``format_datetime(datetime.fromtimestamp(ts, UTC))``, which drops the fraction of a second.

    ``fromtimestamp`` rounds to whole microseconds, so a fraction within half a microsecond of
    the next second (and a time before 1970) takes the stdlib's own path.
    """
    global _last
    whole = int(ts)
    if ts < 0 or ts - whole >= 0.999999:
        return format_datetime(datetime.fromtimestamp(ts, UTC))
    last = _last
    if last[0] == whole:
        return last[1]
    text = _format(whole)
    _last = (whole, text)
    return text
