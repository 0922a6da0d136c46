"""The MIME path under arbitrary input: Hypothesis properties of the parser, and one wire check.

Properties: any bytes parse without raising; the ingest head agrees with the full parse; a text
body survives base64 and quoted-printable; invalid base64 is reported in ``parse_errors`` whether
the part is the whole message or one part of a multipart.
"""

from __future__ import annotations

import base64
import smtplib

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeservices.email.mime import parse_head, parse_message
from fakeservices.server import EmbeddedServer

SETTINGS = settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=10)
_ADDRESS = st.builds(
    lambda a, b: f"{a.strip('.') or 'x'}@{b.strip('.') or 'x'}.example", _LOCAL, _LOCAL
)
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)


def single(body: bytes, encoding: str, charset: str = "utf-8") -> bytes:
    return (
        b"From: a@x.example\r\nTo: b@x.example\r\nSubject: p\r\nMIME-Version: 1.0\r\n"
        + f"Content-Type: text/plain; charset={charset}\r\n".encode()
        + f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode()
        + body
        + b"\r\n"
    )


def multipart(body: bytes, encoding: str) -> bytes:
    return (
        b"From: a@x.example\r\nTo: b@x.example\r\nSubject: p\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=BOUND\r\n\r\n--BOUND\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        + f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode()
        + body
        + b"\r\n--BOUND--\r\n"
    )


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_message(raw)
    head = parse_head(raw)
    assert isinstance(parsed.errors, list)
    assert head.to == parsed.to and head.from_addr == parsed.from_addr


@SETTINGS
@given(st.lists(_ADDRESS, min_size=1, max_size=20), st.lists(_ADDRESS, max_size=5), _TEXT)
def test_head_agrees_with_the_full_parse(to: list[str], cc: list[str], subject: str) -> None:
    cc_line = f"Cc: {', '.join(cc)}\r\n" if cc else ""
    raw = (
        f"From: a@x.example\r\nTo: {', '.join(to)}\r\n{cc_line}Subject: =?utf-8?b?"
        f"{base64.b64encode(subject.encode()).decode()}?=\r\n\r\nbody\r\n"
    ).encode()
    head, full = parse_head(raw), parse_message(raw)
    assert (head.to, head.cc, head.subject) == (full.to, full.cc, full.subject)
    assert head.to == to and head.cc == cc


@SETTINGS
@given(_TEXT.filter(lambda t: t.strip() == t and "\r" not in t))
def test_text_survives_base64_in_one_part_or_many(text: str) -> None:
    encoded = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n").rstrip()
    for raw in (single(encoded, "base64"), multipart(encoded, "base64")):
        parsed = parse_message(raw)
        assert (parsed.text or "").rstrip("\n") == text.replace("\r\n", "\n")
        assert parsed.errors == []


@SETTINGS
@given(st.text(alphabet="!*~`^", min_size=1, max_size=20), st.binary(min_size=1, max_size=30))
def test_invalid_base64_is_reported_in_one_part_or_many(junk: str, data: bytes) -> None:
    body = base64.b64encode(data)[:-1] + junk.encode()  # cut short and polluted
    for raw in (single(body, "base64"), multipart(body, "base64")):
        assert any("Base64" in e for e in parse_message(raw).errors), raw


def test_single_part_invalid_base64_shows_in_read_back(server: EmbeddedServer, unique: str) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        smtp.login(unique, "x")
        smtp.sendmail("a@x.example", ["b@x.example"], single(b"!!!not base64***", "base64"))
    r = httpx.get(f"{server.url}/__admin/emails", params={"account": unique})
    [mail] = r.json()["data"]
    assert mail["parse_errors"] == ["message body: InvalidBase64LengthDefect"]
