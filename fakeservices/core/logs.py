"""The server's log output: one line per request, cheap enough to write for every request.

``fakeservices serve`` logs each request at info (``POST /v3/mail/send 202 0.4ms``). With the
stdlib's defaults that line cost about a tenth of a SendGrid send's server time (bench/NOTES.md,
2026-11-30): a ``LogRecord`` gathering the caller's frame, thread and process names the format
never shows, and ``time.strftime`` for every timestamp. :func:`configure` keeps the same output
and skips that work; it is for the server's own process (``serve``), never for an application
that embeds the server, whose logging is its own.
"""

from __future__ import annotations

import logging
import time
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class LineFormatter(logging.Formatter):
    """:class:`logging.Formatter` whose default timestamp (``2026-11-30 01:02:03,456``, the
    stdlib's ``default_time_format`` and ``default_msec_format``) is formatted once per second
    and reused: the same text, without a ``strftime`` per line."""

    def __init__(self, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._second = -1
        self._prefix = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._prefix = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        return f"{self._prefix},{int(record.msecs):03d}"


def configure(level: str, stream: TextIO) -> None:
    """Log at ``level`` to ``stream`` in :data:`FORMAT`, for the server's own process."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LineFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # What FORMAT does not show is not gathered for each record (the logging HOWTO,
    # "Optimization"): the caller's file and line, thread, process and multiprocessing names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
