"""Rendering a message sent through an HTTP API as the RFC 5322 message the provider would deliver.

The send APIs take JSON or form fields; the inbox keeps every message as raw bytes, so an HTTP send
is rendered the way the provider's MTA would build it (From/To/Cc/Subject/Date/Message-ID, custom
headers, ``multipart/alternative`` text+HTML, inline parts in ``multipart/related``, attachments in
``multipart/mixed``), and the stored fields are then taken from the request itself (the exact text
and HTML, Bcc, tags) plus what parsing the rendering yields (headers, attachment metadata).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formatdate
from typing import Any

from fakeservices.email.mime import POLICY, SMTP_POLICY, SMTPUTF8_POLICY, fields_of
from fakeservices.email.model import Inbox, StoredEmail

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
    msg["Date"] = (
        format_datetime(datetime.fromtimestamp(date, UTC)) if date is not None else formatdate()
    )
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


def to_stored(
    out: Outgoing, *, account: str, source: str, received_at: float | None = None
) -> StoredEmail:
    """The inbox entry for ``out``: rendered raw bytes plus the request's own field values."""
    now = time.time() if received_at is None else received_at
    msg = build(out, now)
    raw = serialize(msg)
    # The fields come from the message object just built: parsing its bytes back would cost
    # twice the building (the raw bytes are still what /raw serves).
    parsed = fields_of(msg)
    recipients = [m.email for m in (*out.to, *out.cc, *out.bcc)]
    return StoredEmail(
        account=account,
        source=source,
        raw=raw,
        from_addr=out.sender.email,
        to=[m.email for m in out.to],
        cc=[m.email for m in out.cc],
        bcc=[m.email for m in out.bcc],
        envelope_from=out.sender.email,
        envelope_to=list(dict.fromkeys(recipients)),
        subject=out.subject,
        text=out.text,
        html=out.html,
        headers=parsed.headers,
        attachments=parsed.attachments,
        message_id=out.message_id,
        received_at=now,
        tags=list(out.tags),
        parse_errors=parsed.errors,
        reply_to=[m.email for m in out.reply_to],
        extra=dict(out.extra),
    )


# Sends bigger than this are rendered and parsed off the event loop.
THREAD_BYTES = 256 * 1024


async def store_all(
    inbox: Inbox, outs: list[Outgoing], *, account: str, source: str, body_size: int
) -> list[StoredEmail]:
    """Render and store each message; big ones are rendered in a worker thread."""
    now = time.time()
    stored: list[StoredEmail] = []
    for out in outs:
        if body_size > THREAD_BYTES:
            item = await asyncio.to_thread(
                to_stored, out, account=account, source=source, received_at=now
            )
        else:
            item = to_stored(out, account=account, source=source, received_at=now)
        stored.append(inbox.add(item))
    return stored
