"""The server's log line: the same text as the stdlib's formatter, gathered more cheaply."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeservices.core.logs import FORMAT, LineFormatter, info_line


def record_at(created: float, msg: str = "POST /v3/mail/send 202 0.4ms") -> logging.LogRecord:
    record = logging.LogRecord("fakeservices.http", logging.INFO, __file__, 1, msg, None, None)
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


@given(st.lists(st.floats(min_value=0, max_value=4_102_444_800), min_size=1, max_size=20))
def test_the_line_equals_the_stdlib_formatters(times: list[float]) -> None:
    # One formatter across many times, in any order: the cached second must never leak into a
    # line of another second.
    ours, stdlib = LineFormatter(), logging.Formatter(FORMAT)
    for created in sorted(times) + times:
        record = record_at(created)
        assert ours.format(record) == stdlib.format(record)


def test_lines_within_one_second_and_across_its_end() -> None:
    ours, stdlib = LineFormatter(), logging.Formatter(FORMAT)
    base = float(int(time.time()))
    for created in (base + 0.001, base + 0.5, base + 0.9995, base + 1.0, base + 1.25, base):
        record = record_at(created)
        assert ours.format(record) == stdlib.format(record)


def test_an_explicit_date_format_is_the_stdlibs() -> None:
    record = record_at(1_700_000_000.25)
    ours = LineFormatter()
    assert ours.formatTime(record, "%H:%M") == logging.Formatter().formatTime(record, "%H:%M")


def test_serve_logs_a_request_line_in_the_documented_format() -> None:
    # configure() changes process-wide logging settings: run it where it belongs, in a process
    # of its own, and read what it writes.
    code = (
        "import logging, sys\n"
        "from fakeservices.core.logs import configure\n"
        "configure('info', sys.stdout)\n"
        "log = logging.getLogger('fakeservices.http')\n"
        "log.info('%s %s %s %.1fms', 'POST', '/email', 200, 0.4)\n"
        "log.debug('not shown at info')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    assert len(lines) == 1, out
    date, clock, level, name, *message = lines[0].split(" ")
    assert time.strptime(f"{date} {clock.split(',')[0]}", "%Y-%m-%d %H:%M:%S")
    assert len(clock.split(",")[1]) == 3
    assert (level, name, " ".join(message)) == (
        "INFO",
        "fakeservices.http",
        "POST /email 200 0.4ms",
    )


def test_info_line_writes_what_logging_writes_in_the_servers_process() -> None:
    # After configure() (serve), info_line writes the line itself: the same text as log.info,
    # nothing at a level that hides info, and a stream error reported as logging reports it.
    code = (
        "import logging, sys\n"
        "from fakeservices.core.logs import configure, info_line\n"
        "configure(sys.argv[1], sys.stdout)\n"
        "log = logging.getLogger('fakeservices.gateway')\n"
        "log.info('%s %s %s %.1fms%s', 'POST', '/v3/mail/send', 202, 0.4123, '')\n"
        "if log.isEnabledFor(logging.INFO):\n"
        "    info_line(log, 'POST /v3/mail/send 202 0.4ms')\n"
        "sys.stdout.flush()\n"
        "sys.stdout.close()\n"
        "info_line(log, 'after close')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "info"], capture_output=True, text=True, check=True
    )
    first, second = run.stdout.splitlines()
    assert (
        first.split(" ", 2)[2]
        == second.split(" ", 2)[2]
        == ("INFO fakeservices.gateway POST /v3/mail/send 202 0.4ms")
    )
    assert len(first.split(" ")[1]) == len(second.split(" ")[1]) == len("03:14:32,758")
    assert "--- Logging error ---" in run.stderr and "after close" in run.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", code, "warning"], capture_output=True, text=True, check=True
    )
    assert quiet.stdout == ""


def test_info_line_is_log_info_where_configure_did_not_install_its_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The tests' process (and an application embedding the server): plain logging, so caplog
    # and the application's own handlers see the line.
    with caplog.at_level(logging.INFO, logger="fakeservices.gateway"):
        info_line(logging.getLogger("fakeservices.gateway"), "GET /x 404 0.1ms")
    assert [r.getMessage() for r in caplog.records] == ["GET /x 404 0.1ms"]


def test_timestamp_equals_the_formatters_time_for_a_record() -> None:
    ours = LineFormatter()
    for created in (1_700_000_000.0, 1_700_000_000.0005, 1_700_000_000.999, 1_700_000_001.5):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert ours.timestamp(created) == logging.Formatter().formatTime(record)


def test_a_record_from_configured_logging_still_formats_every_field() -> None:
    # The skipped fields (caller, thread, process) are ones FORMAT never shows; a handler with a
    # richer format of its own still works, with placeholders where the values were not gathered.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LineFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("fakeservices.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("hello %s", "there")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "WARNING hello there\n"
