"""Reading the ingest header fields of an ordinary message without the stdlib ``email`` parser.

:func:`~fakeservices.email.mime.parse_head` runs on every SMTP message as it arrives. With the
stdlib it costs about 0.5-0.7 ms for a plain header block (the feed parser splits the lines, then
``email.headerregistry`` builds a token tree for each address and subject), more than aiosmtpd
spends on the whole transaction (bench/NOTES.md, 2026-11-30). Most messages a test suite sends are
plain: an ASCII header block with CRLF line ends, addresses like ``a@x.example`` or
``"Name" <a@x.example>``, a subject without encoded words. For those this module gives the same
results with ``str.split`` and a few regular expressions; anything else returns None and the
caller uses the stdlib, so the fast path only ever has to be right on the forms it accepts.

What "the same" means, and what the tests (tests/email/test_plain_headers.py) compare:

- :func:`header_items` equals ``BytesParser(policy).parsebytes(block, headersonly=True)
  .raw_items()`` (the feed parser's ``_parse_headers`` and ``header_source_parse``);
- :func:`read_value` equals ``str(policy.header_fetch_parse(name, value))`` for a subject or a
  message-id, and the ``addr_spec`` of each of the header's ``addresses`` for an address header.
"""

from __future__ import annotations

import re

#: A header line the feed parser takes as a field (``headerRE`` in ``email.feedparser``, minus
#: its ``From `` and empty-name cases, which this module leaves to the stdlib).
_FIELD = re.compile(r"[\x21-\x39\x3b-\x7e]+:")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
#: An atom, or a quoted string without escapes (neither may be an encoded word: see ``=?``).
_WORD = rf"(?:{_ATEXT}+|\"[\x20\x21\x23-\x5b\x5d-\x7e]+\")"
_PHRASE = rf"{_WORD}(?:[ \t]+{_WORD})*"
#: One address-list entry: ``a@x.example`` or ``[display name] <a@x.example>``, then a comma or
#: the end. Groups, comments, domain literals, quoted local parts and obsolete forms are not here.
_ENTRY = re.compile(
    rf"[ \t]*(?:(?P<bare>{_ADDR_SPEC})|(?:{_PHRASE}[ \t]*)?<(?P<angle>{_ADDR_SPEC})>)[ \t]*(?:,|\Z)"
)
_MESSAGE_ID = re.compile(rf"<{_ADDR_SPEC}>")
#: Printable ASCII, space and tab: text the unstructured-header parser returns unchanged.
_PLAIN_TEXT = re.compile(r"[\x20-\x7e\t]*")
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to"})


def header_items(block: bytes) -> list[tuple[str, str]] | None:
    """The (name, raw value) pairs of a header block ending in a blank line, as the stdlib's
    feed parser stores them; None unless the block is ASCII with CRLF line ends only and every
    line is a field or a continuation of one (no ``From `` line, no junk line ending it early)."""
    if not block.isascii() or not block.endswith(b"\r\n\r\n"):
        return None
    text = block[:-4].decode("ascii")
    lines = text.split("\r\n")
    if "\r" in text.replace("\r\n", "") or "\n" in text.replace("\r\n", ""):
        return None  # a bare CR or LF also ends a line for the stdlib
    items: list[tuple[str, str]] = []
    name = ""
    parts: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not name:
                return None  # a continuation first: the stdlib records a defect
            parts.append(line + "\r\n")
            continue
        if line.startswith("From ") or not _FIELD.match(line):
            return None
        if name:
            items.append((name, _joined(parts)))
        name, _, first = line.partition(":")
        # ``header_source_parse``: the first line's value without leading blanks, the
        # continuation lines as received (CRLF included), trailing CR/LF stripped.
        parts = [first.lstrip(" \t") + "\r\n"]
    if name:
        items.append((name, _joined(parts)))
    return items


def _joined(parts: list[str]) -> str:
    return "".join(parts).rstrip("\r\n")


def read_value(key: str, value: str, longest: int | None = None) -> str | list[str] | None:
    """The field ``key`` (lower-case) of a raw ``value`` as the stdlib reads it, or None.

    A subject or message-id gives its text; an address header gives its addr-specs in order.
    None when the value is not of a form this module reads (then the stdlib must), or when it is
    an address header longer than ``longest`` characters (the caller reads those in slices).
    """
    if not value.isascii() or "=?" in value:
        return None  # encoded words (RFC 2047) and 8-bit text: the stdlib decodes them
    # ``header_fetch_parse`` drops every CR and LF (unfolding); the values here only hold CRLF.
    plain = value.replace("\r\n", "")
    if "\r" in plain or "\n" in plain:
        return None
    if key == "subject":
        return plain if _PLAIN_TEXT.fullmatch(plain) else None
    if key == "message-id":
        return plain if _MESSAGE_ID.fullmatch(plain) else None
    if key in ADDRESS_HEADERS:
        return None if longest is not None and len(value) > longest else _addr_specs(plain)
    return None


def _addr_specs(value: str) -> list[str] | None:
    specs: list[str] = []
    at = 0
    end = len(value)
    while at < end:
        m = _ENTRY.match(value, at)
        if m is None:
            return None
        specs.append(m.group("bare") or m.group("angle"))
        at = m.end()
        if at == end and value.endswith(","):
            return None  # a trailing comma: an empty entry, which the stdlib flags
    return specs or None
