"""The email inbox: stored messages and the rules for finding them. No HTTP here.

Every message, whichever way it arrived (SMTP or an HTTP send API), is one :class:`StoredEmail` in
one :class:`Inbox` store, built by :func:`new_mail` from its :class:`Content`:

- the envelope and the header fields read-back filters use (from, to, cc, bcc, reply-to, subject,
  date, message-id: a :class:`MailHead`) are taken at ingest, from a header-only parse of an SMTP
  message or from the request of an HTTP send; Bcc is derived there from the envelope;
- the rest (text, html, attachments, the full headers, ``parse_errors``: a :class:`MailBody`) is
  behind one accessor, :meth:`StoredEmail.body`, parsed on first use and cached. An HTTP send keeps
  its structured request and renders the RFC 5322 bytes only when someone asks for them (or for
  the body, whose headers and attachments are read from that rendering).

Attachment bytes are not kept decoded: they are re-derived from the raw bytes when asked for.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fakeservices.core.clock import rfc3339
from fakeservices.core.ids import alnum
from fakeservices.core.store import Store

R = TypeVar("R")

#: Work on more bytes than this (a header-only parse, a full parse, a rendering) runs in a worker
#: thread so the event loop keeps serving other requests.
OFFLOAD_BYTES = 256 * 1024
#: How many body bytes one header byte costs to parse or render: the stdlib's header parser
#: spends about as long on a 16 KiB address list as on 256 KiB of body. Size hints count header
#: bytes this many times, so a header block over 16 KiB is worked on off the loop.
HEADER_WEIGHT = 16
#: A send request larger than this is validated in a worker thread (address lists dominate).
REQUEST_OFFLOAD_BYTES = OFFLOAD_BYTES // HEADER_WEIGHT

# local@domain.tld; no whitespace, angle brackets, commas or semicolons. Non-ASCII is allowed
# (SMTPUTF8 / internationalised addresses).
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\.]+$")


def valid_address(address: str) -> bool:
    """Whether ``address`` is a plain addr-spec a mail API would accept."""
    return bool(_ADDRESS.match(address))


def new_email_id() -> str:
    return "em_" + alnum(20)


async def off_loop(size: int, work: Callable[[], R], limit: int = OFFLOAD_BYTES) -> R:
    """``work()``, in a worker thread when it handles more than ``limit`` bytes.

    The thread shares the GIL with the loop, which gets it back at every switch interval (5 ms),
    so the loop keeps serving while the work runs.
    """
    if size > limit:
        return await asyncio.to_thread(work)
    return work()


@dataclass(slots=True)
class AttachmentInfo:
    """Metadata of one attachment; ``part`` locates it in the raw message (see ``mime``)."""

    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    disposition: str | None
    part: int

    def to_json(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "content_id": self.content_id,
            "disposition": self.disposition,
        }


@dataclass(slots=True)
class MailHead:
    """The header fields taken at ingest (what read-back and wait filters look at)."""

    from_addr: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str | None = None
    date: str | None = None
    message_id: str | None = None
    #: Lower-cased To/Cc text past :data:`~fakeservices.email.mime.MAX_HEADER_ADDRESSES` entries
    #: (not read as addresses); an envelope recipient named there is not a Bcc recipient.
    unread: str = ""


@dataclass(slots=True)
class MailBody:
    """What the full parse of a message yields, computed on first use."""

    text: str | None
    html: str | None
    headers: dict[str, list[str]]
    attachments: list[AttachmentInfo]
    errors: list[str]


class Content(Protocol):
    """Where a stored message's bytes and parsed body come from (raw SMTP bytes, or a send)."""

    @property
    def size_hint(self) -> int:
        """How many bytes the full parse (or rendering) works through, for :func:`off_loop`."""
        ...

    @property
    def parses(self) -> int:
        """How many times the full parse ran (once at most, unless two threads raced)."""
        ...

    def head(self) -> MailHead:
        """The ingest-time fields (cheap: a header-only parse, or the request's own values)."""
        ...

    def raw(self) -> bytes:
        """The RFC 5322 bytes (an HTTP send renders them on first call)."""
        ...

    def body(self) -> MailBody:
        """The parsed body, computed on first call and cached."""
        ...

    def texts(self) -> tuple[str | None, str | None]:
        """(text, html), without rendering where the content already has them."""
        ...

    @property
    def parsed(self) -> bool:
        """Whether :meth:`body` has been computed."""
        ...


@dataclass(slots=True, eq=False)
class StoredEmail:
    """One stored message (one SMTP transaction, or one message an HTTP send API produced)."""

    account: str
    source: str
    content: Content
    envelope_from: str
    envelope_to: list[str]
    received_at: float
    #: The head (eager; see :class:`MailHead`), Bcc completed from the envelope.
    from_addr: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    reply_to: list[str]
    subject: str | None
    date: str | None
    message_id: str | None
    tags: list[str] = field(default_factory=list)
    #: Provider specifics: provider_message_id, template_id, template_data, variables, domain...
    extra: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_email_id)
    seq: int = 0

    def recipients(self) -> Iterable[str]:
        yield from self.to
        yield from self.cc
        yield from self.bcc
        yield from self.envelope_to

    # -- lazy: the body (one accessor) ------------------------------------------------------
    def body(self) -> MailBody:
        """Text, HTML, headers, attachments and parse errors: parsed on first use, cached."""
        return self.content.body()

    @property
    def parsed(self) -> bool:
        return self.content.parsed

    @property
    def raw(self) -> bytes:
        return self.content.raw()

    @property
    def size(self) -> int:
        return len(self.content.raw())

    # -- rendering ---------------------------------------------------------------------------
    def head_json(self) -> dict[str, Any]:
        """The stored message without its body: what a list can show without parsing."""
        return self._json(None)

    def to_json(self) -> dict[str, Any]:
        """The full stored message (parses the body if that has not happened yet)."""
        return self._json(self.body())

    def _json(self, b: MailBody | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "seq": self.seq,
            "account": self.account,
            "source": self.source,
            "received_at": rfc3339(self.received_at),
            "from": self.from_addr,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "reply_to": list(self.reply_to),
            "envelope_from": self.envelope_from,
            "envelope_to": list(self.envelope_to),
            "subject": self.subject,
        }
        if b is None:
            data["date"] = self.date
        else:
            data["text"], data["html"] = b.text, b.html
            data["headers"] = {k: list(v) for k, v in b.headers.items()}
            data["attachments"] = [a.to_json(i) for i, a in enumerate(b.attachments)]
        data["message_id"] = self.message_id
        if b is not None:
            data["size"] = self.size
        data["tags"] = list(self.tags)
        if b is not None:
            data["parse_errors"] = list(b.errors)
        data.update(self.extra)
        return data

    def summary(self) -> dict[str, Any]:
        """What a failed wait shows of a near miss."""
        return {
            "seq": self.seq,
            "id": self.id,
            "source": self.source,
            "from": self.from_addr or self.envelope_from,
            "to": ",".join(dict.fromkeys(a for a in self.recipients())),
            "subject": self.subject,
        }


def new_mail(
    content: Content,
    *,
    account: str,
    source: str,
    envelope_from: str,
    envelope_to: list[str],
    received_at: float,
    tags: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
) -> StoredEmail:
    """The one way a stored message is made, whatever it arrived through.

    Takes the head from ``content``; envelope recipients that no To/Cc header names are Bcc
    recipients by definition (an SMTP Bcc leaves no header); a message without a From header
    shows the envelope sender. ``extra`` is kept as it is, not copied: every caller builds it
    for this one message (a send's copy would double the dicts kept per stored message).
    """
    head = content.head()
    # A send API's envelope is its To, Cc and Bcc as they are: nothing to complete (the check
    # costs a list comparison; the sets below cost a fifth of storing a send).
    if envelope_to != [*head.to, *head.cc, *head.bcc]:
        visible = {a.lower() for a in (*head.to, *head.cc)}
        seen = {a.lower() for a in head.bcc}
        for address in envelope_to:
            key = address.lower()
            if key not in visible and key not in seen and key not in head.unread:
                head.bcc.append(address)
                seen.add(key)
    if not head.from_addr:
        head.from_addr = envelope_from or None
    return StoredEmail(
        account=account,
        source=source,
        content=content,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        received_at=received_at,
        from_addr=head.from_addr,
        to=head.to,
        cc=head.cc,
        bcc=head.bcc,
        reply_to=head.reply_to,
        subject=head.subject,
        date=head.date,
        message_id=head.message_id,
        tags=list(tags),
        extra=extra if extra is not None else {},
    )


EmailPredicate = Callable[[StoredEmail], bool]


def email_filter(
    *,
    to: str | None = None,
    from_: str | None = None,
    subject: str | None = None,
    source: str | None = None,
    body: str | None = None,
    tag: str | None = None,
) -> EmailPredicate | None:
    """A predicate for the admin filters (None when no filter is given).

    Addresses match case-insensitively and exactly; ``to`` covers to, cc, bcc and the envelope;
    ``from`` covers the From header and the envelope sender. ``subject`` and ``body`` (text or
    HTML) are case-insensitive substrings. ``tag`` matches one of the tags exactly. Only ``body``
    reads past the head (and so may parse a message that was not parsed yet).
    """
    if all(v is None for v in (to, from_, subject, source, body, tag)):
        return None
    to_l = to.strip().lower() if to is not None else None
    from_l = from_.strip().lower() if from_ is not None else None
    subject_l = subject.lower() if subject is not None else None
    body_l = body.lower() if body is not None else None

    def pred(m: StoredEmail) -> bool:
        if source is not None and m.source != source:
            return False
        if to_l is not None and not any(a.lower() == to_l for a in m.recipients()):
            return False
        if from_l is not None and not (
            (m.from_addr or "").lower() == from_l or m.envelope_from.lower() == from_l
        ):
            return False
        if subject_l is not None and subject_l not in (m.subject or "").lower():
            return False
        if body_l is not None:  # the one filter that needs the body
            text, html = m.content.texts()
            if not (body_l in (text or "").lower() or body_l in (html or "").lower()):
                return False
        return tag is None or tag in m.tags

    return pred


class Inbox:
    """The one store of every received message."""

    def __init__(self, store: Store[StoredEmail]) -> None:
        self.store = store

    def add(self, message: StoredEmail) -> StoredEmail:
        return self.store.add(message)

    def get(self, email_id: str, account: str | None = None) -> StoredEmail | None:
        message = self.store.get(email_id)
        if message is None or (account is not None and message.account != account):
            return None
        return message

    def reset(self, account: str | None) -> int:
        return self.store.reset(account)
