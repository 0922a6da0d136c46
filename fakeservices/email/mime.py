"""Parsing raw RFC 5322 / MIME bytes into the inbox's fields, never raising.

The stdlib ``email`` package (``policy.default``) does the parsing. Anything odd (a multipart
without its boundary, bad base64, an unknown or wrong charset, a header that does not parse) is
recorded as a human-readable line in ``errors`` and parsing carries on, so a broken message is
still stored with its raw bytes intact.

:func:`parse_head` is the cheap pass taken at ingest: only the header block, and of it only the
fields read-back filters use (:class:`~fakeservices.email.model.MailHead`); :class:`RawContent`
runs the full :func:`parse_message` on first use. Both read a field the same way, so the head of
a message equals what the full parse finds.

Attachments are located by their *leaf index*: the position of the part among the message's leaf
parts in depth-first order (``message/rfc822`` parts count as leaves). The same walk over the
same bytes finds the same part again, so attachment bytes need not be kept decoded.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.errors import HeaderDefect, NonASCIILocalPartDefect
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any

from fakeservices.email import plain_headers
from fakeservices.email.address_list import split_entries
from fakeservices.email.model import HEADER_WEIGHT, AttachmentInfo, MailBody, MailHead
from fakeservices.email.policies import POLICY as POLICY
from fakeservices.email.policies import SMTP_POLICY as SMTP_POLICY
from fakeservices.email.policies import SMTPUTF8_POLICY as SMTPUTF8_POLICY

_ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to")
#: An address header longer than this (characters) is parsed entry by entry (``address_list``):
#: far beyond any ordinary message (about 300 addresses), so those read exactly as before.
LONG_ADDRESS_HEADER = 8 * 1024
#: Entries (mailboxes or groups) of one address header that are read as addresses; the rest of
#: the header is kept as text (in ``headers`` and ``raw``) and flagged in ``parse_errors``. Like
#: Postfix's ``header_size_limit``, it bounds what one header costs; 1,000 is the most recipients
#: one SMTP transaction or HTTP send takes here.
MAX_HEADER_ADDRESSES = 1000
#: Entries parsed together: small enough that each slice's token tree is short-lived.
_SLICE = 50
_LINESEP = re.compile(r"\r\n|\r|\n")
#: The headers :func:`parse_head` reads.
_HEAD_FIELDS = frozenset({*_ADDRESS_HEADERS, "subject", "date", "message-id"})
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@dataclass(slots=True)
class ParsedMail(MailHead):
    """Everything one full parse finds: the head fields plus the body's."""

    text: str | None = None
    html: str | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _parse(raw: bytes) -> EmailMessage:
    """``BytesParser(policy=POLICY).parsebytes(raw)``, without splitting a single part's body.

    The feed parser splits the whole input into lines (most of its time on a 10 KB message) and,
    for a message whose type is neither ``multipart/*`` nor ``message/*``, joins the lines after
    the header block back into the payload unchanged (``_parsegen``: ``EMPTYSTRING.join(lines)``;
    no defect is recorded for such a body, and ``close`` only checks multiparts). So when the
    header block is plain (:func:`plain_headers.header_items`: ASCII, CRLF only, every line a
    field or a continuation, ended by its blank line, no ``From `` line, hence no header defect)
    the message is built as the parser builds it: an ``EmailMessage`` of ``POLICY``, the same
    ``set_raw`` calls, the payload the rest of the bytes decoded as ``parsebytes`` decodes them.
    Any other message, or a type that needs the parser, is parsed in full as before.
    """
    msg = _parse_single_part(raw)
    if msg is None:
        parsed = BytesParser(policy=POLICY).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        msg = parsed
    return msg


def _parse_single_part(raw: bytes) -> EmailMessage | None:
    """The message the feed parser makes of ``raw`` when it is plain and single-part, else None."""
    end = header_end(raw)
    items = plain_headers.header_items(raw[:end])
    if items is None:
        return None
    msg = EmailMessage(policy=POLICY)
    for name, value in items:
        msg.set_raw(name, value)
    try:
        maintype = msg.get_content_maintype()
    except Exception:  # the parser would meet the same problem: let it, as before
        return None
    if maintype in ("multipart", "message"):
        return None
    msg.set_payload(raw[end:].decode("ascii", "surrogateescape"))
    return msg


def _unescape(value: str) -> str:
    """Header text as parsed from bytes carries 8-bit bytes as surrogates: read them as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _leaves(part: Message) -> Iterator[Message]:
    """Leaf parts depth-first; an attached message (``message/*``) is one leaf."""
    payload = part.get_payload()
    if part.get_content_maintype() != "message" and isinstance(payload, list):
        for child in payload:
            if isinstance(child, Message):
                yield from _leaves(child)
    else:
        yield part


def _describe(defect: Exception) -> str:
    text = str(defect)
    name = type(defect).__name__
    return f"{name}: {text}" if text and text != name else name


def _decoded_text(part: Message, where: str, errors: list[str]) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    declared = part.get_param("charset")
    charset = part.get_content_charset() or "us-ascii"
    try:
        codecs.lookup(charset)
    except LookupError:
        errors.append(f"{where}: unknown charset {charset!r}; decoded as UTF-8 with replacements")
        return data.decode("utf-8", "replace")
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        errors.append(f"{where}: bytes are not valid {charset}; undecodable bytes replaced")
        return data.decode(charset, "replace")
    if declared is not None:
        errors.append(f"{where}: bytes are not valid {charset}; decoded as UTF-8")
    return text


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n")


class TooManyAddresses(HeaderDefect):
    """More entries than :data:`MAX_HEADER_ADDRESSES` in one address header."""


@dataclass(slots=True)
class SlicedAddresses:
    """A long address header read entry by entry: what the parsed header object would give."""

    text: str
    specs: list[str]
    defects: list[Exception]
    #: The lower-cased text past the indexed entries ("" when every entry was read).
    unread: str


def _fetch(header_policy: Any, name: str, value: str) -> tuple[Any, str]:
    """(parsed header, its text) as ``policy.header_fetch_parse`` gives them; may raise.

    A long address header is read slice by slice and bounded (:class:`SlicedAddresses`), so no
    parse builds a token tree for thousands of addresses.
    """
    if len(value) <= LONG_ADDRESS_HEADER or name.lower() not in _ADDRESS_HEADERS:
        header = header_policy.header_fetch_parse(name, value)
        return header, _unescape(str(header))
    entries, rest = split_entries("".join(_LINESEP.split(value)), MAX_HEADER_ADDRESSES)
    texts: list[str] = []
    specs: list[str] = []
    defects: list[Exception] = []
    for i in range(0, len(entries), _SLICE):
        part = header_policy.header_factory(name, ",".join(entries[i : i + _SLICE]))
        texts.append(_unescape(str(part)))
        specs.extend(_addresses(part))
        defects.extend(part.defects)
    unread = _unescape(rest.strip())
    if unread:
        texts.append(unread)
        defects.append(
            TooManyAddresses(
                f"more than {MAX_HEADER_ADDRESSES} entries; the first {MAX_HEADER_ADDRESSES} "
                f"are read as addresses, the rest is kept as text"
            )
        )
    text = ", ".join(t for t in texts if t)
    return SlicedAddresses(text, specs, defects, unread.lower()), text


def _headers(msg: EmailMessage, out: ParsedMail) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for name, value in msg.raw_items():
        try:
            header, text = _fetch(msg.policy, name, _unescape(str(value)))
            for defect in getattr(header, "defects", ()):
                if isinstance(defect, NonASCIILocalPartDefect):
                    continue  # fine under SMTPUTF8 / RFC 6532
                out.errors.append(f"header {name}: {_describe(defect)}")
        except Exception as exc:  # a header the parser chokes on is kept as received
            header = None
            text = _unescape(str(value))
            out.errors.append(f"header {name}: {type(exc).__name__}: {exc}")
        out.headers.setdefault(name, []).append(text)
        key = name.lower()
        if header is not None and key not in parsed:
            parsed[key] = header
    return parsed


def _addresses(header: Any) -> list[str]:
    if isinstance(header, SlicedAddresses):
        return list(header.specs)
    if isinstance(header, list):  # read by ``plain_headers``: the addr-specs themselves
        return list(header)
    found: list[str] = []
    for address in getattr(header, "addresses", ()):
        spec = _unescape(str(address.addr_spec))
        if spec and spec != "<>":
            found.append(spec)
    return found


def _set_addresses(out: MailHead, parsed: dict[str, Any], errors: list[str]) -> None:
    """From/To/Cc/Bcc/Reply-To from the first parsed header of each name."""
    for key in _ADDRESS_HEADERS:
        if key in parsed:
            try:
                found = _addresses(parsed[key])
            except Exception as exc:
                errors.append(f"header {key}: {type(exc).__name__}: {exc}")
                found = []
            if key == "from":
                out.from_addr = found[0] if found else None
            elif key == "to":
                out.to = found
            elif key == "cc":
                out.cc = found
            elif key == "bcc":
                out.bcc = found
            else:
                out.reply_to = found


def header_end(raw: bytes) -> int:
    """Where the header block of ``raw`` ends: after its first blank line (or at the end).

    The parser may end the headers earlier (a line that is not a header); never later, so the
    headers parsed from ``raw[:header_end(raw)]`` are the message's.
    """
    if raw.startswith((b"\n", b"\r\n")):
        return 0
    found = _BLANK_LINE.search(raw)
    return found.end() if found else len(raw)


def parse_head(raw: bytes) -> MailHead:
    """The ingest fields of ``raw`` from its header block alone; never raises.

    Each field is read as :func:`parse_message` reads it (first header of the name; addresses
    from the first one that parses), so the two agree; problems are left to the full parse.
    A plain header block and plain values are read without the stdlib (``plain_headers``, which
    says why); anything else goes through the stdlib as before, header by header.
    """
    head = MailHead()
    try:
        block = raw[: header_end(raw)]
        items: Iterable[tuple[str, Any]] | None = plain_headers.header_items(block)
        if items is None:
            items = BytesParser(policy=POLICY).parsebytes(block, headersonly=True).raw_items()
        texts: dict[str, str] = {}
        parsed: dict[str, Any] = {}
        for name, value in items:
            key = name.lower()
            address = key in _ADDRESS_HEADERS
            # Texts come from the first header of the name, addresses from the first that parses.
            if key not in _HEAD_FIELDS or key in (parsed if address else texts):
                continue
            plain = (
                plain_headers.read_value(key, value, LONG_ADDRESS_HEADER)
                if isinstance(value, str)
                else None
            )
            if isinstance(plain, list):  # an address header's addr-specs
                parsed[key] = plain
                continue
            if isinstance(plain, str):
                texts[key] = plain
                continue
            try:
                header, text = _fetch(POLICY, name, _unescape(str(value)))
            except Exception:  # kept as received, as the full parse keeps it
                header, text = None, _unescape(str(value))
            if address:
                if header is not None:
                    parsed[key] = header
            else:
                texts[key] = text
        _set_addresses(head, parsed, [])
        sliced = (parsed.get(k) for k in ("to", "cc"))
        head.unread = " ".join(h.unread for h in sliced if isinstance(h, SlicedAddresses))
        head.subject = texts.get("subject")
        head.date = texts.get("date")
        message_id = texts.get("message-id")
        head.message_id = message_id.strip() if message_id else None
    except Exception:  # pragma: no cover - defensive: the head is best effort, the raw is kept
        pass
    return head


class RawContent:
    """A message received as bytes (SMTP): the exact bytes, parsed in full on first use."""

    __slots__ = ("_body", "_raw", "parses")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._body: MailBody | None = None
        self.parses = 0

    @property
    def size_hint(self) -> int:
        return len(self._raw) + HEADER_WEIGHT * header_end(self._raw)

    @property
    def parsed(self) -> bool:
        return self._body is not None

    def head(self) -> MailHead:
        return parse_head(self._raw)

    def raw(self) -> bytes:
        return self._raw

    def body(self) -> MailBody:
        body = self._body
        if body is None:
            p = parse_message(self._raw)
            self.parses += 1
            body = MailBody(p.text, p.html, p.headers, p.attachments, p.errors)
            if self._body is None:  # a racing parse (another thread) may have finished first
                self._body = body
            else:
                body = self._body
        return body

    def texts(self) -> tuple[str | None, str | None]:
        body = self.body()
        return body.text, body.html


def parse_message(raw: bytes) -> ParsedMail:
    """The inbox fields of ``raw``; problems go to ``errors``, nothing raises."""
    try:
        msg = _parse(raw)
    except Exception as exc:  # pragma: no cover - the stdlib parser is lenient by design
        out = ParsedMail()
        out.errors.append(f"message could not be parsed: {type(exc).__name__}: {exc}")
        return out
    return fields_of(msg)


def fields_of(msg: EmailMessage) -> ParsedMail:
    """The inbox fields of a message object (parsed from bytes, or built by a send API)."""
    out = ParsedMail()
    try:
        _fill(msg, out)
    except Exception as exc:  # defensive: never lose a message to a parsing corner case
        out.errors.append(f"parsing stopped early: {type(exc).__name__}: {exc}")
    return out


def _fill(msg: EmailMessage, out: ParsedMail) -> None:
    parsed = _headers(msg, out)
    # Decoding a body adds defects to its part (bad base64...), so the message's own are read
    # after the bodies: a single-part message's decoding defects are the message's.
    seen_defects = len(msg.defects)
    for defect in msg.defects:
        out.errors.append(f"message: {_describe(defect)}")
    _set_addresses(out, parsed, out.errors)
    out.subject = next((v[0] for k, v in out.headers.items() if k.lower() == "subject"), None)
    message_id = next((v[0] for k, v in out.headers.items() if k.lower() == "message-id"), None)
    out.message_id = message_id.strip() if message_id else None

    text_part = html_part = None
    try:
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
    except Exception as exc:
        out.errors.append(f"body: {type(exc).__name__}: {exc}")
    if text_part is not None:
        out.text = _normalise(_decoded_text(text_part, "text/plain body", out.errors))
    if html_part is not None:
        out.html = _normalise(_decoded_text(html_part, "text/html body", out.errors))

    for index, part in enumerate(_leaves(msg)):
        if part is text_part or part is html_part:
            continue
        ctype = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            # The parser could not split it (boundary missing or wrong): show it as text.
            out.errors.append(f"{ctype}: body could not be split into parts (boundary not found)")
            if out.text is None:
                body = part.get_payload()
                out.text = _normalise(_unescape(body if isinstance(body, str) else ""))
            continue
        if part is msg and part.get_content_maintype() == "text" and out.text is None:
            out.text = _normalise(_decoded_text(part, f"{ctype} body", out.errors))
            continue
        out.attachments.append(_attachment(part, index, out.errors))

    for defect in msg.defects[seen_defects:]:
        out.errors.append(f"message body: {_describe(defect)}")
    for index, part in enumerate(msg.walk()):
        if part is msg:
            continue
        for defect in part.defects:
            out.errors.append(f"part {index} ({part.get_content_type()}): {_describe(defect)}")


def _attachment(part: Message, index: int, errors: list[str]) -> AttachmentInfo:
    try:
        filename = part.get_filename()
    except Exception as exc:
        errors.append(f"part {index}: filename: {type(exc).__name__}: {exc}")
        filename = None
    cid = part.get("content-id")
    content_id = str(cid).strip().strip("<>") if cid is not None else None
    return AttachmentInfo(
        filename=_unescape(filename) if filename else None,
        content_type=part.get_content_type(),
        size=len(_part_bytes(part)),
        content_id=content_id or None,
        disposition=part.get_content_disposition(),
        part=index,
    )


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return inner[0].as_bytes()
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def attachment_bytes(raw: bytes, info: AttachmentInfo) -> bytes:
    """The decoded bytes of the attachment ``info`` describes, re-read from ``raw``."""
    for index, part in enumerate(_leaves(_parse(raw))):
        if index == info.part:
            return _part_bytes(part)
    return b""
