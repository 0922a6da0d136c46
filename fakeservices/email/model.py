"""The email inbox: stored messages and the rules for finding them. No HTTP here.

Every message, whichever way it arrived (SMTP, SendGrid, Mailgun, Postmark), is one
:class:`StoredEmail` in one :class:`Inbox` store. The raw RFC 5322 bytes are kept once; the parsed
fields are small (addresses, subject, the text and HTML bodies, attachment metadata). Attachment
bytes are not kept decoded: they are re-derived from ``raw`` when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakeservices.core.clock import rfc3339
from fakeservices.core.ids import alnum
from fakeservices.core.store import Store

# local@domain.tld; no whitespace, angle brackets, commas or semicolons. Non-ASCII is allowed
# (SMTPUTF8 / internationalised addresses).
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\.]+$")


def valid_address(address: str) -> bool:
    """Whether ``address`` is a plain addr-spec a mail API would accept."""
    return bool(_ADDRESS.match(address))


def new_email_id() -> str:
    return "em_" + alnum(20)


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


@dataclass(slots=True, eq=False)
class StoredEmail:
    """One stored message (one SMTP transaction, or one message an HTTP send API produced)."""

    account: str
    source: str
    raw: bytes
    from_addr: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    envelope_from: str
    envelope_to: list[str]
    subject: str | None
    text: str | None
    html: str | None
    headers: dict[str, list[str]]
    attachments: list[AttachmentInfo]
    message_id: str | None
    received_at: float
    tags: list[str] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    #: Provider specifics: provider_message_id, template_id, template_data, variables, domain...
    extra: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_email_id)
    seq: int = 0

    @property
    def size(self) -> int:
        return len(self.raw)

    def recipients(self) -> Iterable[str]:
        yield from self.to
        yield from self.cc
        yield from self.bcc
        yield from self.envelope_to

    def to_json(self) -> dict[str, Any]:
        return {
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
            "text": self.text,
            "html": self.html,
            "headers": {k: list(v) for k, v in self.headers.items()},
            "attachments": [a.to_json(i) for i, a in enumerate(self.attachments)],
            "message_id": self.message_id,
            "size": self.size,
            "tags": list(self.tags),
            "parse_errors": list(self.parse_errors),
            **self.extra,
        }

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
    HTML) are case-insensitive substrings. ``tag`` matches one of the tags exactly.
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
        if body_l is not None and not (
            body_l in (m.text or "").lower() or body_l in (m.html or "").lower()
        ):
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
