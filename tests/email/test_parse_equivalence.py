"""The full parse with its two shortcuts against the plain stdlib parse: a corpus, and Hypothesis.

``mime.parse_message`` shares parsed header objects (``email/policies.py``) and builds a plain
single-part message without the feed parser's line splitting (``mime._parse``). The reference here
has neither: ``BytesParser(policy=policy.default)`` over the whole message, then the same
``fields_of``. Every input must give the same ``ParsedMail`` (and the same message object, part by
part), and re-serialising a parsed message must give the same bytes.
"""

from __future__ import annotations

import base64
import sys
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeservices.email import mime
from fakeservices.email.mime import ParsedMail, fields_of, parse_message

SETTINGS = settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def reference_parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def reference(raw: bytes) -> ParsedMail:
    """What ``parse_message`` gave before: a full stdlib parse, headers parsed on every fetch."""
    try:
        msg = reference_parse(raw)
    except Exception as exc:  # pragma: no cover - as parse_message reports it
        out = ParsedMail()
        out.errors.append(f"message could not be parsed: {type(exc).__name__}: {exc}")
        return out
    return fields_of(msg)


def shape(msg: Message) -> Any:
    """Everything the parser leaves in a message object, recursively, as plain values."""
    payload = msg.get_payload()
    return (
        type(msg).__name__,
        msg.get_unixfrom(),
        [(name, str(value)) for name, value in msg.raw_items()],
        [(type(d).__name__, str(d)) for d in msg.defects],
        msg.get_default_type(),
        msg.preamble,
        msg.epilogue,
        [shape(p) for p in payload] if isinstance(payload, list) else payload,
    )


def serialised(msg: Message, pol: Any) -> bytes | str:
    try:
        return msg.as_bytes(policy=pol)
    except Exception as exc:  # the same failure on both sides is the same result
        return f"{type(exc).__name__}: {exc}"


def check(raw: bytes) -> None:
    assert parse_message(raw) == reference(raw), raw
    ours, theirs = mime._parse(raw), reference_parse(raw)
    assert shape(ours) == shape(theirs), raw
    assert serialised(ours, mime.SMTP_POLICY) == serialised(theirs, policy.SMTP), raw
    for index, info in enumerate(parse_message(raw).attachments):
        leaves = list(mime._leaves(theirs))
        assert mime.attachment_bytes(raw, info) == mime._part_bytes(leaves[info.part]), index


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")


def _bench_message() -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from load import make_message
    finally:
        sys.path.pop(0)
    raw: bytes = make_message(3, 10 * 1024, "x")
    return raw


HEAD = "From: Ann <ann@x.example>\nTo: bob@x.example\nSubject: hi\nMIME-Version: 1.0\n"
PDF = base64.encodebytes(b"%PDF-1.4 " * 40).decode()
MANY = ", ".join(f'"User {i}" <user{i}@x.example>' for i in range(1200))

#: (name, raw, takes the single-part shortcut)
CORPUS: list[tuple[str, bytes, bool]] = [
    ("bench", _bench_message(), True),
    ("plain", _crlf(HEAD + "Content-Type: text/plain; charset=utf-8\n\nhello\nworld\n"), True),
    ("no content type", _crlf(HEAD + "\nhello\n"), True),
    ("html only", _crlf(HEAD + "Content-Type: text/html\n\n<p>hi</p>\n"), True),
    ("no body", _crlf(HEAD + "\n"), True),
    ("no final newline", _crlf(HEAD + "\nlast line without end").rstrip(b"\n"), True),
    (
        "base64 text",
        _crlf(
            HEAD + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        )
        + base64.encodebytes("héllo wörld\n".encode()).replace(b"\n", b"\r\n"),
        True,
    ),
    (
        "bad base64",
        _crlf(HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!abc=\n"),
        True,
    ),
    (
        "quoted-printable",
        _crlf(
            HEAD + "Content-Type: text/plain; charset=iso-8859-1\n"
            "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9 =\nsoft break\n"
        ),
        True,
    ),
    ("unknown charset", _crlf(HEAD + "Content-Type: text/plain; charset=x-nope\n\nhi\n"), True),
    ("wrong charset", _crlf(HEAD + "Content-Type: text/plain; charset=ascii\n\ncafé\n"), True),
    ("8-bit body", _crlf(HEAD + "\n") + b"caf\xe9 \xff\xfe\r\n", True),
    ("bare CR and LF in body", _crlf(HEAD + "\n") + b"a\rb\nc\r\n\r\rd", True),
    ("From lines in body", _crlf(HEAD + "\nFrom me\n>From you\nFrom \n"), True),
    (
        "single-part attachment",
        _crlf(
            HEAD + 'Content-Type: application/pdf; name="a.pdf"\n'
            'Content-Disposition: attachment; filename="a.pdf"\n'
            "Content-Transfer-Encoding: base64\n\n" + PDF
        ),
        True,
    ),
    ("text without a slash", _crlf(HEAD + "Content-Type: text\n\nhi\n"), True),
    ("empty content type", _crlf(HEAD + "Content-Type:\n\nhi\n"), True),
    (
        "folded headers",
        _crlf(
            "Subject: a long\n  folded\n\tsubject\nTo: a@x.example,\n b@x.example\n"
            "Content-Type: text/plain;\n charset=utf-8\n\nbody\n"
        ),
        True,
    ),
    (
        "encoded words",
        _crlf("From: =?utf-8?q?J=C3=B6rg?= <j@x.example>\nSubject: =?utf-8?b?w6l0w6k=?=\n\nhi\n"),
        True,
    ),
    (
        "duplicate headers",
        _crlf(
            "To: a@x.example\nTo: b@x.example\nSubject: one\nSubject: two\n"
            "Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=b\n\nhi\n"
        ),
        True,
    ),
    ("broken address", _crlf("From: <<a@@\nTo: undisclosed:;\nCc: a@x.example,\n\nhi\n"), True),
    ("huge address header", _crlf(f"From: a@x.example\nTo: {MANY}\nCc: {MANY}\n\nhi\n"), True),
    (
        "body across parser chunks",
        _crlf(HEAD + "\n") + b"x" * 8190 + b"\r\n" + b"y" * 8191 + b"\r" + b"\nz" * 10,
        True,
    ),
    ("header name of specials", _crlf("X-a.b_c!~: v\nSubject: s\n\nhi\n"), True),
    (
        "multipart/alternative",
        _crlf(
            HEAD + 'Content-Type: multipart/alternative; boundary="b1"\n\n'
            "--b1\nContent-Type: text/plain\n\ntext\n--b1\nContent-Type: text/html\n\n"
            "<p>html</p>\n--b1--\n"
        ),
        False,
    ),
    (
        "attachments",
        _crlf(
            HEAD + "Content-Type: multipart/mixed; boundary=XX\n\npreamble\n--XX\n"
            "Content-Type: text/plain\n\nsee attached\n--XX\n"
            'Content-Type: application/pdf; name="a.pdf"\nContent-Disposition: attachment; '
            'filename="a.pdf"\nContent-Transfer-Encoding: base64\n\n' + PDF + "--XX\n"
            "Content-Type: image/png\nContent-ID: <img1>\nContent-Disposition: inline\n"
            "Content-Transfer-Encoding: base64\n\n!!bad\n--XX--\nepilogue\n"
        ),
        False,
    ),
    (
        "message/rfc822",
        _crlf(
            HEAD + "Content-Type: message/rfc822\n\nFrom: c@x.example\nSubject: inner\n\ninner\n"
        ),
        False,
    ),
    (
        "delivery status",
        _crlf(
            HEAD + "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
            "Final-Recipient: rfc822; a@x.example\nAction: failed\n"
        ),
        False,
    ),
    ("multipart without boundary", _crlf(HEAD + "Content-Type: multipart/mixed\n\nhi\n"), False),
    (
        "upper-case multipart",
        _crlf(HEAD + "Content-Type: MULTIPART/Mixed; boundary=q\n\n--q\n\nin\n--q--\n"),
        False,
    ),
    ("8-bit headers", b"From: J\xc3\xb6rg <j@x.example>\r\nSubject: caf\xe9\r\n\r\nhi\r\n", False),
    ("LF-only line ends", (HEAD + "Content-Type: text/plain\n\nhi\nthere\n").encode(), False),
    ("missing blank line", _crlf(HEAD + "this is no header\nbody\n"), False),
    ("no header block", _crlf("\nbody only\n"), False),
    ("empty", b"", False),
    (
        "From line",
        _crlf("From sender@x.example Mon Jan 1 00:00:00 2024\n" + HEAD + "\nhi\n"),
        False,
    ),
    ("continuation first", _crlf(" x\n" + HEAD + "\nhi\n"), False),
    ("bare CR in header", b"Subject: a\rb\r\nTo: a@x.example\r\n\r\nhi\r\n", False),
    ("missing header name", _crlf(": no name\n" + HEAD + "\nhi\n"), False),
]


@pytest.mark.parametrize(("name", "raw", "shortcut"), CORPUS, ids=[c[0] for c in CORPUS])
def test_the_corpus_parses_as_the_stdlib_parses_it(name: str, raw: bytes, shortcut: bool) -> None:
    # Twice: the second parse reads every header object from the cache.
    check(raw)
    check(raw)
    assert (mime._parse_single_part(raw) is not None) is shortcut, name


def test_the_bench_message_reads_as_expected() -> None:
    """Not just equal to the reference: right (a change in both would show here)."""
    parsed = parse_message(_bench_message())
    assert parsed.subject == "x" and parsed.to == ["user3@example.com"]
    assert parsed.text is not None and parsed.text.startswith("The quick brown fox")
    assert parsed.html is None and parsed.attachments == [] and parsed.errors == []


def test_a_cached_header_object_is_the_same_object_on_every_fetch() -> None:
    raw = _bench_message()
    first, second = mime._parse(raw), mime._parse(raw)
    assert first.get("content-type") is second.get("content-type")
    assert first.get("content-type") is first.get("content-type")
    fresh = reference_parse(raw)
    assert fresh.get("content-type") is not fresh.get("content-type")  # the stdlib: new each time


# -- generated messages ---------------------------------------------------------------------------
_CTYPE = st.sampled_from(
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "text/html; charset=iso-8859-1",
        "text/plain; charset=x-unknown",
        "application/octet-stream",
        'application/pdf; name="f.pdf"',
        "multipart/alternative; boundary=b",
        'multipart/mixed; boundary="b"',
        "multipart/mixed",
        "message/rfc822",
        "message/delivery-status",
        "text",
        "",
        "TEXT/PLAIN",
        "=?utf-8?q?x?=",
    ]
)
_VALUE = st.one_of(
    st.sampled_from(
        [
            "a@x.example",
            '"Doe, J" <j@x.example>, b@x.example',
            "=?utf-8?q?J=C3=B6rg?= <j@x.example>",
            "g: a@x.example;",
            "<<bad",
            "<id@x.example>",
            "caf\udce9",
            "hello world",
            "a,\r\n b@x.example",
            "",
        ]
    ),
    st.text(alphabet=st.characters(max_codepoint=0x7E, min_codepoint=0x20), max_size=30),
)
_HEADER = st.one_of(
    st.builds(lambda c: f"Content-Type: {c}", _CTYPE),
    st.builds(
        lambda e: f"Content-Transfer-Encoding: {e}",
        st.sampled_from(["base64", "quoted-printable", "7bit", "8bit", "x-junk"]),
    ),
    st.builds(
        lambda d: f"Content-Disposition: {d}",
        st.sampled_from(["attachment", 'attachment; filename="a.txt"', "inline", "x; y"]),
    ),
    st.builds(
        lambda n, v: f"{n}: {v}",
        st.sampled_from(["From", "To", "Cc", "Subject", "Message-ID", "Date", "X-A"]),
        _VALUE,
    ),
    st.sampled_from(["From x@y Mon Jan 1", " continued", "not a header", ": empty name"]),
)
_BODY_PIECE = st.one_of(
    st.sampled_from(
        [
            "--b",
            "--b--",
            "Content-Type: text/html",
            "Content-Type: text/plain",
            "",
            "aGVsbG8gd29ybGQ=",
            "!!!",
            "caf=E9=",
            "From here",
            "From: inner@x.example",
            "x\ry",
            "\udcff\udcfe",
        ]
    ),
    st.text(alphabet=st.characters(max_codepoint=0x7E, min_codepoint=0x20), max_size=20),
)


@SETTINGS
@given(
    st.lists(_HEADER, max_size=7),
    st.lists(_BODY_PIECE, max_size=12),
    st.sampled_from(["\r\n", "\n", "\r\n"]),
    st.booleans(),
)
def test_generated_messages_parse_as_the_stdlib_parses_them(
    headers: list[str], body: list[str], eol: str, blank: bool
) -> None:
    text = eol.join(headers) + (eol + eol if blank else eol) + eol.join(body)
    check(text.encode("utf-8", "surrogateescape"))


@SETTINGS
@given(
    st.lists(
        st.builds(
            lambda n, v: f"{n}: {v}",
            st.sampled_from(["From", "To", "Subject", "MIME-Version", "X-A"]),
            st.text(alphabet=st.characters(max_codepoint=0x7E, min_codepoint=0x20), max_size=30),
        ),
        max_size=5,
    ),
    _CTYPE,
    st.binary(max_size=300),
)
def test_plain_single_part_messages_take_the_shortcut_and_agree(
    headers: list[str], ctype: str, body: bytes
) -> None:
    raw = "\r\n".join([*headers, f"Content-Type: {ctype}", "", ""]).encode() + body
    check(raw)
    main = ctype.partition("/")[0].lower() if ctype.count("/") == 1 else "text"
    single = main not in ("multipart", "message")
    assert (mime._parse_single_part(raw) is not None) is single, raw
