"""The chunked DATA reader (core/smtp_data.py): what aiosmtpd's line reader yields, any chunking.

The model below is aiosmtpd 1.4's ``smtp_DATA`` loop reduced to its rules (lines end at CRLF,
a lone dot line ends the data, the size is counted before unstuffing, a leading dot is removed).
Hypothesis feeds both the same stream, cut into chunks at random points; the wire tests then
drive the real listener through a socket: an empty message, commands pipelined after the dot,
a line too long, a message too big.
"""

from __future__ import annotations

import base64
import itertools
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeservices.core.smtp_data import DataReader, DataState
from fakeservices.server import EmbeddedServer, start_server

LINE_LIMIT = 1001  # aiosmtpd's line_length_limit


def model(
    stream: bytes, size_limit: int | None, line_limit: int
) -> tuple[DataState, bytes, bytes] | None:
    """aiosmtpd's line loop: (state, content, bytes after the end), or None if no end came."""
    pos, num, state, data = 0, 0, DataState.NOMINAL, []
    while True:
        i = stream.find(b"\r\n", pos)
        if i < 0:
            return None
        line, pos = stream[pos : i + 2], i + 2
        if line == b".\r\n":
            break
        num += len(line)
        if state is DataState.NOMINAL and size_limit and num > size_limit:
            state, data = DataState.TOO_MUCH, []
        if state is DataState.NOMINAL and len(line) > line_limit:
            state, data = DataState.TOO_LONG, []
        if state is DataState.NOMINAL:
            data.append(line[1:] if line.startswith(b".") else line)
    return state, b"".join(data), stream[pos:]


def read(stream: bytes, cuts: list[int], size_limit: int | None, line_limit: int) -> Any:
    reader = DataReader(size_limit, line_limit)
    bounds = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for start, end in itertools.pairwise(bounds):
        rest = reader.feed(stream[start:end])
        if rest is not None:
            tail = rest + stream[end:]
            content = reader.content() if reader.state is DataState.NOMINAL else b""
            return reader.state, content, tail
    return None


# Streams made of the bytes that matter (CR, LF, dot) and a filler, so terminators, dot lines,
# bare CRs and LFs, and CRLFs split across chunks all come up often.
streams = st.lists(
    st.sampled_from([b"\r\n", b".", b"\r", b"\n", b"a", b"bc", b"\r\n.\r\n", b"\xff"]),
    max_size=60,
).map(b"".join)
cuts = st.lists(st.integers(min_value=0, max_value=400), max_size=8)


@settings(max_examples=400, deadline=None)
@given(stream=streams, cuts=cuts)
def test_any_chunking_reads_what_the_line_reader_reads(stream: bytes, cuts: list[int]) -> None:
    assert read(stream, cuts, None, LINE_LIMIT) == model(stream, None, LINE_LIMIT)


@settings(max_examples=300, deadline=None)
@given(stream=streams, cuts=cuts, size_limit=st.integers(min_value=1, max_value=40))
def test_the_size_limit_is_the_line_readers(
    stream: bytes, cuts: list[int], size_limit: int
) -> None:
    assert read(stream, cuts, size_limit, LINE_LIMIT) == model(stream, size_limit, LINE_LIMIT)


@settings(max_examples=300, deadline=None)
@given(stream=streams, cuts=cuts, line_limit=st.integers(min_value=3, max_value=12))
def test_the_line_limit_is_the_line_readers(
    stream: bytes, cuts: list[int], line_limit: int
) -> None:
    assert read(stream, cuts, None, line_limit) == model(stream, None, line_limit)


def test_a_big_message_in_network_sized_chunks() -> None:
    body = b"".join(b".%06d line\r\n" % i for i in range(100_000))  # every line dot-leading
    stream = body.replace(b"\r\n.", b"\r\n..").replace(b".", b"..", 1) + b".\r\nQUIT\r\n"
    reader = DataReader(10 * 1024 * 1024, LINE_LIMIT)
    rests = [reader.feed(stream[i : i + 65536]) for i in range(0, len(stream), 65536)]
    assert rests[:-1] == [None] * (len(rests) - 1)
    assert rests[-1] == b"QUIT\r\n"
    assert reader.content() == body


# -- on the wire ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> Iterator[EmbeddedServer]:
    with start_server(max_message_bytes=4096) as s:
        yield s


class Session:
    """A raw SMTP client: the bytes go out as written, replies are read line by line."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.sock = socket.create_connection((server.smtp_host, server.smtp_port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith("220")

    def reply(self) -> str:
        lines = [self.file.readline()]
        while lines[-1][3:4] == b"-":
            lines.append(self.file.readline())
        return lines[-1].decode().rstrip()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, line: str) -> str:
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def start(self, account: str, to: str) -> None:
        assert self.command("EHLO me.test").startswith("250")
        self.send(f"AUTH PLAIN {plain(account)}\r\n".encode())
        assert self.reply().startswith("235")
        assert self.command("MAIL FROM:<a@data.test>").startswith("250")
        assert self.command(f"RCPT TO:<{to}>").startswith("250")
        assert self.command("DATA").startswith("354")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def plain(account: str) -> str:
    return base64.b64encode(f"\0{account}\0x".encode()).decode()


def stored(server: EmbeddedServer, account: str) -> list[bytes]:
    mails = httpx.get(f"{server.url}/__admin/emails", params={"account": account}).json()["data"]
    return [httpx.get(f"{server.url}/__admin/emails/{m['id']}/raw").content for m in mails]


def test_empty_message_and_commands_pipelined_after_the_dot(
    small: EmbeddedServer, unique: str
) -> None:
    s = Session(small)
    try:
        s.start(unique, "b@data.test")
        s.send(b".\r\n")  # no line at all: the data's start is a line start
        assert s.reply().startswith("250")
        assert s.command("MAIL FROM:<a@data.test>").startswith("250")
        assert s.command("RCPT TO:<c@data.test>").startswith("250")
        assert s.command("DATA").startswith("354")
        # The end of the data and two commands in one write: each is answered, in order.
        s.send(b"Subject: two\r\n\r\n..dotted\r\n.\r\nNOOP\r\nQUIT\r\n")
        assert s.reply().startswith("250")
        assert s.reply().startswith("250")  # NOOP
        assert s.reply().startswith("221")  # QUIT
    finally:
        s.close()
    assert sorted(stored(small, unique)) == [b"", b"Subject: two\r\n\r\n.dotted\r\n"]


def test_a_line_too_long_gets_500_after_the_data_and_the_session_goes_on(
    small: EmbeddedServer, unique: str
) -> None:
    s = Session(small)
    try:
        s.start(unique, "b@data.test")
        s.send(b"Subject: long\r\n\r\n" + b"x" * 1000 + b"\r\nmore\r\n.\r\n")
        assert s.reply() == "500 Line too long (see RFC5321 4.5.3.1.6)"
        assert s.command("NOOP").startswith("250")
        assert s.command("MAIL FROM:<a@data.test>").startswith("250")  # a fresh transaction
    finally:
        s.close()
    assert stored(small, unique) == []


def test_too_much_data_gets_552_after_the_data_and_the_session_goes_on(
    small: EmbeddedServer, unique: str
) -> None:
    s = Session(small)
    try:
        s.start(unique, "b@data.test")
        s.send(b"Subject: big\r\n\r\n" + b"y" * 70 + b"\r\n" * 1 + (b"z" * 70 + b"\r\n") * 80)
        s.send(b".\r\n")
        assert s.reply() == "552 Error: Too much mail data"
        assert s.command("NOOP").startswith("250")
    finally:
        s.close()
    assert stored(small, unique) == []


def test_a_line_too_long_before_the_size_limit_is_reported_as_such() -> None:
    # In one chunk, as aiosmtpd would read it line by line: the long line comes first.
    reader = DataReader(50, 10)
    assert reader.feed(b"x" * 20 + b"\r\n" + b"y" * 40 + b"\r\n.\r\n") == b""
    assert reader.state is DataState.TOO_LONG
    reader = DataReader(50, 100)
    assert reader.feed(b"x" * 20 + b"\r\n" + b"y" * 40 + b"\r\n.\r\n") == b""
    assert reader.state is DataState.TOO_MUCH
