"""The stdlib-free header reading at ingest (``email/plain_headers.py``) against the stdlib.

Wherever the fast path answers, its answer must be the stdlib's; where it does not, the stdlib
runs. Generated values mix the forms the fast path reads with the characters that make a value
need the real parser (quotes, comments, groups, encoded words, folding, 8-bit bytes...).
"""

from __future__ import annotations

import sys
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeservices.email import mime, plain_headers
from fakeservices.email.mime import POLICY, header_end, parse_head, parse_message

SETTINGS = settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
KEYS = ("from", "to", "cc", "bcc", "reply-to", "subject", "message-id")

_ATOM = st.text(alphabet="abcXYZ09!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6)
_DOT_ATOM = st.lists(_ATOM, min_size=1, max_size=3).map(".".join)
_SPEC = st.builds(lambda a, b: f"{a}@{b}", _DOT_ATOM, _DOT_ATOM)
_WS = st.sampled_from(["", " ", "  ", "\t", " \t "])
_QUOTED = st.text(alphabet=" abc,;:<>@().[]", min_size=1, max_size=8).map(lambda t: f'"{t}"')
_PHRASE = st.lists(st.one_of(_ATOM, _QUOTED), min_size=1, max_size=3).map(" ".join)
_ENTRY = st.one_of(
    st.builds(lambda w1, s, w2: f"{w1}{s}{w2}", _WS, _SPEC, _WS),
    st.builds(lambda w, p, g, s: f"{w}{p}{g}<{s}>{w}", _WS, _PHRASE, _WS, _SPEC),
    st.builds(lambda s: f"<{s}>", _SPEC),
)
_PLAIN_LIST = st.lists(_ENTRY, min_size=1, max_size=5).map(",".join)
#: Pieces that push a value off the fast path, or right up to its edge.
_ODD = st.sampled_from(
    [
        "=?utf-8?q?x?=",
        "(c)",
        "\\",
        '"',
        "<",
        ">",
        ",",
        ";",
        ":",
        "[1.2.3.4]",
        "..",
        ".",
        "\r\n ",
        "\r\n\t",
        "\r",
        "\n",
        "é",
        "\udcff",
        "\x00",
        "\x7f",
        "g: a@b.c;",
        "<>",
        " ",
        "@",
        "a@b",
        "x.y@z",
        "",
        "From ",
    ]
)
_VALUE = st.one_of(
    _PLAIN_LIST,
    st.lists(st.one_of(_ODD, _ENTRY, _ATOM), max_size=8).map("".join),
    st.builds(lambda a, b, c: a + b + c, _PLAIN_LIST, _ODD, _PLAIN_LIST),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40),
)
_MESSAGE_ID = st.one_of(
    _SPEC.map(lambda s: f"<{s}>"),
    st.builds(lambda a, b, c: a + b + c, _WS, _SPEC.map(lambda s: f"<{s}>"), _WS),
    _VALUE,
)


def _stdlib_read(key: str, value: str) -> str | list[str]:
    """What ``parse_head`` took from the stdlib for one value before the fast path existed."""
    header, text = mime._fetch(POLICY, key, mime._unescape(value))
    return mime._addresses(header) if key in plain_headers.ADDRESS_HEADERS else text


def _check(key: str, value: str) -> bool:
    fast = plain_headers.read_value(key, value)
    if fast is None:
        return False
    assert fast == _stdlib_read(key, value), (key, value)
    return True


@SETTINGS
@given(st.sampled_from(KEYS), _VALUE)
def test_a_value_reads_as_the_stdlib_reads_it(key: str, value: str) -> None:
    _check(key, value)


@SETTINGS
@given(
    st.sampled_from(sorted(plain_headers.ADDRESS_HEADERS)),
    _PLAIN_LIST.filter(lambda v: "=?" not in v),  # may be an encoded word: the stdlib's
)
def test_plain_address_lists_take_the_fast_path(key: str, value: str) -> None:
    assert _check(key, value), value


@SETTINGS
@given(_MESSAGE_ID)
def test_a_message_id_reads_as_the_stdlib_reads_it(value: str) -> None:
    _check("message-id", value)


@SETTINGS
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60))
def test_a_subject_reads_as_the_stdlib_reads_it(value: str) -> None:
    _check("subject", value)


_NAME = st.sampled_from(["From", "To", "Subject", "X-A", "Message-ID", "cc", "Date"])
_LINE = st.one_of(
    st.builds(lambda n, w, v: f"{n}:{w}{v}", _NAME, _WS, _VALUE),
    st.builds(lambda w, v: f"{w or ' '}{v}", _WS, _VALUE),  # a continuation line
    _ODD,
)


def _stdlib_items(block: bytes) -> list[tuple[str, Any]]:
    return list(BytesParser(policy=POLICY).parsebytes(block, headersonly=True).raw_items())


@SETTINGS
@given(st.lists(_LINE, min_size=1, max_size=6))
def test_a_header_block_splits_as_the_stdlib_splits_it(lines: list[str]) -> None:
    raw = ("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode("utf-8", "surrogateescape")
    block = raw[: header_end(raw)]
    items = plain_headers.header_items(block)
    if items is not None:
        assert items == _stdlib_items(block)


@SETTINGS
@given(st.lists(st.builds(lambda n, v: f"{n}: {v}", _NAME, _PLAIN_LIST), min_size=1, max_size=6))
def test_plain_header_blocks_take_the_fast_path(lines: list[str]) -> None:
    block = ("\r\n".join(lines) + "\r\n\r\n").encode()
    items = plain_headers.header_items(block)
    assert items is not None and items == _stdlib_items(block)


@SETTINGS
@given(
    st.lists(st.builds(lambda k, v: (k, v), st.sampled_from(KEYS), _VALUE), max_size=6),
    st.sampled_from(["\r\n", "\n"]),
)
def test_the_head_still_reads_what_the_full_parse_reads(
    fields: list[tuple[str, str]], eol: str
) -> None:
    head_lines = [f"{k.title()}: {v}" for k, v in fields]
    raw = (eol.join([*head_lines, "", "body", ""])).encode("utf-8", "surrogateescape")
    head, full = parse_head(raw), parse_message(raw)
    assert (head.from_addr, head.to, head.cc, head.bcc, head.reply_to) == (
        full.from_addr,
        full.to,
        full.cc,
        full.bcc,
        full.reply_to,
    )
    assert (head.subject, head.message_id) == (full.subject, full.message_id)


def test_the_benchmark_message_takes_the_fast_path_all_the_way() -> None:
    """The bench's 10 KB message (bench/load.py) is read without the stdlib parser at all."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from load import make_message
    finally:
        sys.path.pop(0)
    raw = make_message(7, 10 * 1024)
    items = plain_headers.header_items(raw[: header_end(raw)])
    assert items is not None
    read = {k.lower(): plain_headers.read_value(k.lower(), v) for k, v in items}
    assert read["from"] == ["bench@example.com"] and read["to"] == ["user7@example.com"]
    assert read["subject"] == "bench 7" and read["message-id"] is not None


@pytest.mark.parametrize(
    "value",
    [
        '"Doe, John" <john@x.example>, jane@x.example',
        "Jane <jane@x.example>,<bob@x.example> , Ann Lee\t<ann@x.example>",
        "a@b",
    ],
)
def test_common_address_forms_are_read_fast_and_right(value: str) -> None:
    assert _check("to", value)


@pytest.mark.parametrize(
    "value",
    [
        "undisclosed-recipients:;",
        "a@x.example (comment)",
        '"a b"@x.example',
        "a@[127.0.0.1]",
        "=?utf-8?q?J=C3=B6rg?= <j@x.example>",
        "a@x.example,",
        "a@x.example, , b@x.example",
        "J. Doe <j@x.example>",
    ],
)
def test_other_address_forms_are_left_to_the_stdlib(value: str) -> None:
    assert plain_headers.read_value("to", value) is None


def test_a_long_address_header_is_left_to_the_sliced_reading() -> None:
    value = ", ".join(f"user{i}@example.com" for i in range(20))
    assert plain_headers.read_value("to", value, longest=len(value)) is not None
    assert plain_headers.read_value("to", value, longest=len(value) - 1) is None


def test_a_message_as_smtplib_sends_an_email_message_takes_the_fast_path() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Ann Lee <ann@x.example>"
    msg["To"] = '"Doe, John" <john@x.example>, bob@x.example'
    msg["Subject"] = "Your order #42 has shipped"
    msg["Message-ID"] = "<42.order@x.example>"
    msg.set_content("hello\n")
    raw = msg.as_bytes(policy=mime.SMTP_POLICY)  # smtplib sends CRLF line ends
    items = plain_headers.header_items(raw[: header_end(raw)])
    assert items is not None
    fields = {k.lower(): plain_headers.read_value(k.lower(), v) for k, v in items}
    assert fields["to"] == ["john@x.example", "bob@x.example"]
    assert fields["subject"] == "Your order #42 has shipped"
    head, full = parse_head(raw), parse_message(raw)
    assert (head.from_addr, head.to, head.subject, head.message_id) == (
        full.from_addr,
        full.to,
        full.subject,
        full.message_id,
    )
