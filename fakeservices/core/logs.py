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
        return self.timestamp(record.created)

    def timestamp(self, created: float) -> str:
        """The default timestamp of a record created at ``created`` (``time.time()``)."""
        second = int(created)
        if second != self._second:
            self._prefix = time.strftime(self.default_time_format, self.converter(created))
            self._second = second
        # LogRecord's msecs: int((ct - int(ct)) * 1000).
        return f"{self._prefix},{int((created - second) * 1000):03d}"


#: The handler and formatter :func:`configure` installed: :func:`info_line` writes to them.
_direct: tuple[logging.StreamHandler[TextIO], LineFormatter] | None = None


def info_line(logger: logging.Logger, text: str) -> None:
    """``logger.info(text)``, for the lines written per request or SMTP message; the caller has
    checked ``logger.isEnabledFor(logging.INFO)`` (and builds ``text`` only then).

    In the server's own process (after :func:`configure`) the line goes straight to the one
    handler there is, as the same text logging would write, without a ``LogRecord`` run through
    the logger and handler hierarchy: about 3.6 us instead of 14 us per request, which was 2-3%
    of a SendGrid send's server time (bench/NOTES.md). Nothing else in that process adds
    handlers or filters, so nothing is skipped. Anywhere else (an application embedding the
    server, the tests) it is ``logger.info``.
    """
    direct = _direct
    if direct is None:
        logger.info("%s", text)
        return
    handler, formatter = direct
    line = f"{formatter.timestamp(time.time())} INFO {logger.name} {text}{handler.terminator}"
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.stream.flush()
    except Exception:  # a closed or broken stream: logging's own error handling says so
        handler.handleError(logger.makeRecord(logger.name, logging.INFO, "", 0, text, (), None))
    finally:
        handler.release()


def configure(level: str, stream: TextIO) -> None:
    """Log at ``level`` to ``stream`` in :data:`FORMAT`, for the server's own process."""
    global _direct
    handler = logging.StreamHandler(stream)
    formatter = LineFormatter()
    handler.setFormatter(formatter)
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # basicConfig does nothing where the root logger has handlers already.
    _direct = (handler, formatter) if logging.getLogger().handlers == [handler] else None
    # What FORMAT does not show is not gathered for each record (the logging HOWTO,
    # "Optimization"): the caller's file and line, thread, process and multiprocessing names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
