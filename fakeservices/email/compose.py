"""Rendering a message sent through an HTTP API as the RFC 5322 message the provider would deliver.

The send APIs take JSON or form fields. A send is stored as its structured request
(:class:`ComposedContent`): the head fields come from the request at once, and the message is
rendered the way the provider's MTA would build it (From/To/Cc/Subject/Date/Message-ID, custom
headers, ``multipart/alternative`` text+HTML, inline parts in ``multipart/related``, attachments in
``multipart/mixed``) only when someone asks for its raw bytes or its body; the body then holds the
request's exact text and HTML plus what the rendering yields (headers, attachment metadata).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from fakeservices.core import rfc2822
from fakeservices.email.mime import POLICY, SMTP_POLICY, SMTPUTF8_POLICY, fields_of
from fakeservices.email.model import (
    HEADER_WEIGHT,
    Inbox,
    MailBody,
    MailHead,
    StoredEmail,
    new_mail,
)

OCTET = "application/octet-stream"

# Headers the renderer owns; a custom header of one of these names is ignored.
_STRUCTURAL = {"content-type", "content-transfer-encoding", "mime-version"}
_ADDRESS_FIELDS = {"from", "to", "cc", "bcc", "reply-to"}


@dataclass(slots=True)
class Mailbox:
    email: str
    name: str | None = None

    def render(self) -> Address | str:
        try:
            return Address(display_name=_clean(self.name or ""), addr_spec=self.email)
        except (ValueError, IndexError):
            return self.email


@dataclass(slots=True)
class OutAttachment:
    data: bytes
    filename: str | None
    content_type: str = "application/octet-stream"
    disposition: str = "attachment"
    content_id: str | None = None


@dataclass(slots=True)
class Outgoing:
    """A message as an HTTP send API describes it, provider-neutral."""

    sender: Mailbox
    to: list[Mailbox]
    cc: list[Mailbox] = field(default_factory=list)
    bcc: list[Mailbox] = field(default_factory=list)
    reply_to: list[Mailbox] = field(default_factory=list)
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    #: Other bodies as (content type, value), e.g. ``text/calendar`` or AMP HTML.
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[OutAttachment] = field(default_factory=list)
    message_id: str = ""
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _clean(value: str) -> str:
    """Header values may not carry line breaks (header injection); fold them to spaces."""
    return " ".join(value.replace("\r", "\n").split("\n")) if value else value


def _split_type(content_type: str) -> tuple[str, str]:
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    if not main or not sub:
        return "application", "octet-stream"
    return main, sub


def render(out: Outgoing, date: float | None = None) -> bytes:
    """The RFC 5322 bytes of ``out`` (CRLF line ends; SMTPUTF8 only if an address needs it)."""
    return serialize(build(out, date))


def serialize(msg: EmailMessage) -> bytes:
    try:
        return msg.as_bytes(policy=SMTP_POLICY)
    except (UnicodeError, ValueError):
        return msg.as_bytes(policy=SMTPUTF8_POLICY)


def build(out: Outgoing, date: float | None = None) -> EmailMessage:
    """``out`` as a message object, the way the provider's MTA would build it."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = out.sender.render()
    if out.to:
        msg["To"] = [m.render() for m in out.to]
    if out.cc:
        msg["Cc"] = [m.render() for m in out.cc]
    if out.reply_to:
        msg["Reply-To"] = [m.render() for m in out.reply_to]
    if out.subject is not None:
        msg["Subject"] = _clean(out.subject)
    msg["Date"] = _date_header(date)
    msg["Message-ID"] = out.message_id
    for name, value in out.headers:
        key = name.strip().lower()
        if not name.strip() or key in _STRUCTURAL or key in _ADDRESS_FIELDS:
            continue
        if key in ("subject", "date", "message-id"):
            del msg[name]
        try:
            msg[name.strip()] = _clean(str(value))
        except (ValueError, TypeError):
            continue
    _set_bodies(msg, out)
    for att in out.attachments:
        main, sub = _split_type(att.content_type)
        if att.disposition == "inline" and att.content_id and out.html is not None:
            html_part = msg.get_body(preferencelist=("html",))
            if isinstance(html_part, EmailMessage):
                html_part.add_related(
                    att.data,
                    maintype=main,
                    subtype=sub,
                    cid=f"<{att.content_id}>",
                    filename=att.filename,
                    disposition="inline",
                )
                continue
        msg.add_attachment(
            att.data,
            maintype=main,
            subtype=sub,
            filename=att.filename,
            disposition="inline" if att.disposition == "inline" else "attachment",
            cid=f"<{att.content_id}>" if att.content_id else None,
        )
    return msg


def _set_bodies(msg: EmailMessage, out: Outgoing) -> None:
    bodies: list[tuple[str, str]] = []
    if out.text is not None:
        bodies.append(("plain", out.text))
    if out.html is not None:
        bodies.append(("html", out.html))
    for ctype, value in out.alternatives:
        main, sub = _split_type(ctype)
        if main == "text":
            bodies.append((sub, value))
    if not bodies:
        return
    first, value = bodies[0]
    msg.set_content(value, subtype=first)
    for sub, value in bodies[1:]:
        msg.add_alternative(value, subtype=sub)


def _date_header(date: float | None) -> str:
    return rfc2822.utc(date) if date is not None else formatdate()


def _emails(boxes: list[Mailbox]) -> list[str]:
    # Most sends leave Cc, Bcc and Reply-To empty: no comprehension for those.
    return [m.email for m in boxes] if boxes else []


def _weigh(out: Outgoing) -> int:
    """A send's size hint: its text, HTML and attachments, and its addresses, subject and headers
    weighted as headers are (see ``HEADER_WEIGHT``)."""
    boxes = (out.sender, *out.to, *out.cc, *out.bcc, *out.reply_to)
    head = sum(len(m.email) + len(m.name or "") for m in boxes) + len(out.subject or "")
    head += sum(len(k) + len(v) for k, v in out.headers)
    return (
        len(out.text or "")
        + len(out.html or "")
        + sum(len(a.data) for a in out.attachments)
        + HEADER_WEIGHT * head
    )


class ComposedContent:
    """A message an HTTP send API produced: the request, rendered on first use.

    Once rendered, the request is dropped: the raw bytes and the body (which keeps the request's
    exact text and HTML) are all that stays.
    """

    __slots__ = ("_done", "_size", "date", "out", "parses")

    def __init__(self, out: Outgoing, date: float) -> None:
        self.out: Outgoing | None = out
        self.date = date
        self._done: tuple[bytes, MailBody] | None = None
        self._size = -1  # size_hint, weighed on first use (most sends are never read)
        self.parses = 0

    @property
    def size_hint(self) -> int:
        size = self._size
        if size < 0:
            out = self.out
            # A render drops the request only after weighing it (see _render).
            size = self._size = _weigh(out) if out is not None else self._size
        return size

    @property
    def parsed(self) -> bool:
        return self._done is not None

    def head(self) -> MailHead:
        out = self.out
        assert out is not None, "the head is taken at ingest, before any rendering"
        return MailHead(
            out.sender.email,
            _emails(out.to),
            _emails(out.cc),
            _emails(out.bcc),
            _emails(out.reply_to),
            out.subject,
            _date_header(self.date),
            out.message_id,
        )

    def _render(self) -> tuple[bytes, MailBody]:
        done = self._done
        if done is None:
            out = self.out
            if out is None:  # a racing render (another thread) finished and dropped the request
                assert self._done is not None
                return self._done
            msg = build(out, self.date)
            raw = serialize(msg)
            # The fields come from the message object just built: parsing its bytes back would
            # cost twice the building (the raw bytes are still what /raw serves).
            parsed = fields_of(msg)
            self.parses += 1
            done = (
                raw,
                MailBody(out.text, out.html, parsed.headers, parsed.attachments, parsed.errors),
            )
            if self._done is None:
                self._done = done
                if self._size < 0:
                    self._size = _weigh(out)
                self.out = None
            else:
                done = self._done
        return done

    def raw(self) -> bytes:
        return self._render()[0]

    def body(self) -> MailBody:
        return self._render()[1]

    def texts(self) -> tuple[str | None, str | None]:
        out = self.out
        if out is not None:
            return out.text, out.html
        body = self.body()
        return body.text, body.html


def to_stored(
    out: Outgoing, *, account: str, source: str, received_at: float | None = None
) -> StoredEmail:
    """The inbox entry for ``out``: the request's own field values, rendered when read."""
    now = time.time() if received_at is None else received_at
    recipients = [m.email for m in (*out.to, *out.cc, *out.bcc)]
    return new_mail(
        ComposedContent(out, now),
        account=account,
        source=source,
        envelope_from=out.sender.email,
        envelope_to=list(dict.fromkeys(recipients)),
        received_at=now,
        tags=out.tags,
        extra=out.extra,
    )


def store_all(
    inbox: Inbox, outs: list[Outgoing], *, account: str, source: str
) -> list[StoredEmail]:
    """Store each message (nothing is rendered here: see :class:`ComposedContent`)."""
    now = time.time()
    return [
        inbox.add(to_stored(out, account=account, source=source, received_at=now)) for out in outs
    ]
