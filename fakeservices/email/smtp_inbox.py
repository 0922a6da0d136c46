"""Mail arriving on the SMTP listener: one stored message per transaction, raw bytes kept."""

from __future__ import annotations

import time

from fakeservices.core.registry import SmtpMessage
from fakeservices.email.mime import RawContent, header_end
from fakeservices.email.model import HEADER_WEIGHT, Inbox, StoredEmail, new_mail, off_loop


def _strip(address: str) -> str:
    return address.strip().strip("<>")


def stored_from_smtp(message: SmtpMessage, received_at: float) -> StoredEmail:
    """The inbox entry of one transaction: its bytes, its envelope and a header-only parse."""
    return new_mail(
        RawContent(message.data),
        account=message.account,
        source="smtp",
        envelope_from=_strip(message.mail_from),
        envelope_to=[_strip(a) for a in message.rcpt_tos],
        received_at=received_at,
        extra={"smtp_utf8": message.smtp_utf8, "peer": message.peer},
    )


class SmtpInbox:
    """The :class:`~fakeservices.core.registry.SmtpHandler` of the email fake."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def deliver(self, message: SmtpMessage) -> str:
        received_at = time.time()
        # Only the header block is parsed now; the body waits for its first reader.
        stored = await off_loop(
            HEADER_WEIGHT * header_end(message.data), lambda: stored_from_smtp(message, received_at)
        )
        self.inbox.add(stored)
        return f"250 2.0.0 OK: queued as {stored.id}"
