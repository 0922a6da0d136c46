"""`fakeservices serve` as a real process: banner, ports, env/config, bad values, signals."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fakeservices import __version__

CMD = [sys.executable, "-m", "fakeservices"]


def read_line(proc: subprocess.Popen[str], timeout: float = 15) -> str:
    """One line of stdout, waiting at most ``timeout`` seconds (bounded, no sleep)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise AssertionError(f"no output within {timeout}s")
        return proc.stdout.readline()
    finally:
        sel.close()


@contextmanager
def serve(
    *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [*CMD, "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        banner = read_line(proc)
        yield proc, banner
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def urls(banner: str) -> tuple[str, str, int]:
    words = banner.split()
    assert words[:2] == ["fakeservices", __version__], banner
    http_url, smtp_url = words[2], words[3]
    assert http_url.startswith("http://127.0.0.1:") and smtp_url.startswith("smtp://127.0.0.1:")
    host, port = smtp_url.removeprefix("smtp://").rsplit(":", 1)
    return http_url, host, int(port)


def test_serve_on_port_zero_prints_ports_health_and_smtp() -> None:
    with serve("--http-port", "0", "--smtp-port", "0") as (_proc, banner):
        http_url, smtp_host, smtp_port = urls(banner)
        health = httpx.get(f"{http_url}/__admin/health", timeout=10).json()
        assert health["http_port"] == int(http_url.rsplit(":", 1)[1])
        assert health["smtp_port"] == smtp_port
        with smtplib.SMTP(smtp_host, smtp_port, timeout=10) as smtp:
            code, _ = smtp.ehlo("client.test")
            assert code == 250
            for ext in ("size", "8bitmime", "smtputf8", "auth"):
                assert smtp.has_extn(ext), ext
            assert smtp.esmtp_features["size"] == str(10 * 1024 * 1024)
            assert "PLAIN" in smtp.esmtp_features["auth"] and "LOGIN" in smtp.esmtp_features["auth"]
            code, _ = smtp.noop()
            assert code == 250
        # QUIT answered (the context manager sent it) and the process keeps serving.
        assert httpx.get(f"{http_url}/__admin/health", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("sig", "stack"),
    [
        (signal.SIGTERM, ["--loop", "asyncio", "--http", "h11"]),
        (signal.SIGINT, ["--loop", "uvloop", "--http", "httptools"]),
    ],
)
def test_signals_stop_both_listeners_within_two_seconds(
    sig: signal.Signals, stack: list[str]
) -> None:
    with serve("--http-port", "0", "--smtp-port", "0", *stack) as (proc, banner):
        http_url, _, _ = urls(banner)
        # A long-poll in flight must not delay shutdown.
        host, port = http_url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"GET /__admin/requests/wait?timeout=60 HTTP/1.1\r\nHost: x\r\n\r\n")
            # A request on another connection, answered after the long-poll was read.
            assert httpx.get(f"{http_url}/__admin/health", timeout=10).status_code == 200
            t0 = time.monotonic()
            proc.send_signal(sig)
            assert proc.wait(timeout=5) == 0
            assert time.monotonic() - t0 < 2.0
            raw.recv(65536)  # the long-poll was answered or closed, not left hanging
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{http_url}/__admin/health", timeout=2)


def test_sigterm_with_an_events_stream_open_stops_within_two_seconds() -> None:
    with serve("--http-port", "0", "--smtp-port", "0") as (proc, banner):
        http_url, _, _ = urls(banner)
        host, port = http_url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"GET /__admin/events HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while b"fakeservices events" not in head:  # the stream is open and subscribed
                chunk = raw.recv(4096)
                assert chunk, head
                head += chunk
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
            assert time.monotonic() - t0 < 2.0
            rest = b""
            while chunk := raw.recv(4096):
                rest += chunk
            assert rest.endswith(b"0\r\n\r\n")  # the stream was ended, not cut


def test_environment_variables_and_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "fs.toml"
    cfg.write_text('max-messages = 7\nhttp_port = 1\nlog_level = "warning"\n')
    env = {
        "FAKESERVICES_HTTP_PORT": "0",
        "FAKESERVICES_SMTP_PORT": "0",
        "FAKESERVICES_MAX_STRIPE_OBJECTS": "50",
    }
    # env beats the file's http_port = 1; the file's other values apply.
    with serve("--config", str(cfg), "--journal-size", "9", env=env) as (_, banner):
        http_url, _, _ = urls(banner)
        config = httpx.get(f"{http_url}/__admin/config", timeout=10).json()
        assert config["http_port"] == 0  # the variable beat the file
        assert config["max_messages"] == 7  # from the file
        assert config["log_level"] == "warning"
        assert config["journal_size"] == 9  # from the option
        assert config["max_stripe_objects"] == 50  # from the variable
    cfg_json = tmp_path / "fs.json"
    cfg_json.write_text(json.dumps({"http_port": 0, "smtp_port": 0}))
    with serve("--config", str(cfg_json)) as (_proc, banner):
        urls(banner)


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--http-port", "abc"], {}, "--http-port"),
        (["--http-port", "70000"], {}, "--http-port"),
        (["--smtp-port", "-1"], {}, "--smtp-port"),
        (["--max-messages", "0"], {}, "--max-messages"),
        (["--max-stripe-objects", "0"], {}, "--max-stripe-objects"),
        (["--hold-seconds", "-5"], {}, "--hold-seconds"),
        (["--loop", "trio"], {}, "--loop"),
        ([], {"FAKESERVICES_HTTP": "http3"}, "FAKESERVICES_HTTP"),
        ([], {"FAKESERVICES_LOG_LEVEL": "loud"}, "FAKESERVICES_LOG_LEVEL"),
        ([], {"FAKESERVICES_MAX_MESSAGE_BYTES": "x"}, "MAX_MESSAGE_BYTES"),
        (["--bogus"], {}, "--bogus"),
        (["--config", "/nonexistent.toml"], {}, "--config"),
    ],
)
def test_bad_values_exit_2_with_one_clear_line(
    args: list[str], env: dict[str, str], needle: str
) -> None:
    proc = subprocess.run(
        [*CMD, "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fakeservices: error:")
    assert needle.lower() in lines[0].lower()


def test_port_in_use_exits_2(server: object) -> None:
    from fakeservices.server import EmbeddedServer

    assert isinstance(server, EmbeddedServer)
    proc = subprocess.run(
        [*CMD, "serve", "--http-port", str(server.http_port), "--smtp-port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line == (
        f"fakeservices: error: the HTTP listener cannot bind 127.0.0.1:{server.http_port}: "
        "address already in use. Stop what uses that port or choose another with --http-port "
        "(or FAKESERVICES_HTTP_PORT); 0 picks a free one"
    )
    smtp = subprocess.run(
        [*CMD, "serve", "--http-port", "0", "--smtp-port", str(server.smtp_port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert smtp.returncode == 2
    assert f"the SMTP listener cannot bind 127.0.0.1:{server.smtp_port}" in smtp.stderr
    assert "--smtp-port (or FAKESERVICES_SMTP_PORT)" in smtp.stderr


def test_help_shows_each_options_type_default_and_variable() -> None:
    proc = subprocess.run([*CMD, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # undo click's wrapping
    for option, metavar, default in [
        ("--http-port", "INTEGER", "4010"),
        ("--smtp-port", "INTEGER", "2525"),
        ("--host", "TEXT", "127.0.0.1"),
        ("--hold-seconds", "SECONDS", "60.0"),
        ("--fault-seed", "INTEGER", "random"),
        ("--log-level", "[debug|info|warning|error|critical]", "info"),
        ("--loop", "[auto|asyncio|uvloop]", "auto"),
    ]:
        variable = "FAKESERVICES_" + option[2:].replace("-", "_").upper()
        pattern = rf"{re.escape(option)} {re.escape(metavar)} .*?\[default: {re.escape(default)}; "
        assert re.search(pattern + rf"env var: {variable}\]", text), option
    assert "--config FILE" in text and "FAKESERVICES_CONFIG" in text


@pytest.mark.parametrize(
    ("content", "suffix", "expected"),
    [
        (
            "htp-port = 0\n",
            ".toml",
            "unknown key 'htp-port' (known keys: host, http_port, smtp_port,",
        ),
        ('{"http-port": "eighty"}', ".json", "invalid value for key 'http-port': Input should be"),
        ("max_messages = 0\n", ".toml", "invalid value for key 'max_messages': Input should be"),
    ],
)
def test_config_file_errors_name_the_file_and_the_key_as_written(
    tmp_path: Path, content: str, suffix: str, expected: str
) -> None:
    cfg = tmp_path / f"fakeservices{suffix}"
    cfg.write_text(content)
    proc = subprocess.run(
        [*CMD, "serve", "--config", str(cfg)], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"fakeservices: error: {cfg}: {expected}"), line
    assert "--htp-port" not in line


def test_version() -> None:
    out = subprocess.run([*CMD, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and __version__ in out.stdout


def log_pattern(line: str) -> re.Pattern[str]:
    """A README log line as a pattern: any timestamp, any duration, the rest as written."""
    rest = re.escape(line.split(" ", 2)[2])  # after the date and the time
    rest = re.sub(r"\d+\\\.\d+ms", lambda _m: r"\d+\.\dms", rest)
    return re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} " + rest)


def test_request_log_lines_are_what_the_readme_shows() -> None:
    from tests.test_readme import blocks

    [example] = blocks("log")
    patterns = [log_pattern(line) for line in example.strip().splitlines()]
    with serve("--http-port", "0", "--smtp-port", "0") as (proc, banner):
        http_url, smtp_host, smtp_port = urls(banner)
        with httpx.Client(base_url=http_url, auth=("sk_test_logline", ""), timeout=10) as http:
            assert http.post("/v1/customers").status_code == 200
            rule = {
                "service": "stripe",
                "match": {"path": "/v1/customers"},
                "action": {"type": "error", "status": 500},
                "times": 1,
            }
            assert http.post("/__admin/faults", json=rule).status_code == 201
            assert http.post("/v1/customers").status_code == 500
        with smtplib.SMTP(smtp_host, smtp_port, timeout=10) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx")
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    lines = err.splitlines()
    for pattern in patterns:
        assert any(pattern.fullmatch(line) for line in lines), (pattern.pattern, err)
