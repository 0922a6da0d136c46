"""Mail arriving on the SMTP listener: one stored message per transaction, raw bytes kept."""

from __future__ import annotations

import asyncio
import time

from fakeservices.core.registry import SmtpMessage
from fakeservices.email.mime import ParsedMail, parse_message
from fakeservices.email.model import Inbox, StoredEmail

# Messages bigger than this are parsed off the event loop so other requests keep flowing.
_THREAD_PARSE_BYTES = 256 * 1024


def _strip(address: str) -> str:
    return address.strip().strip("<>")


def stored_from_smtp(message: SmtpMessage, parsed: ParsedMail, received_at: float) -> StoredEmail:
    envelope_to = [_strip(a) for a in message.rcpt_tos]
    visible = {a.lower() for a in (*parsed.to, *parsed.cc)}
    bcc = list(parsed.bcc)
    seen = {a.lower() for a in bcc}
    # Envelope recipients that no To/Cc header names are Bcc recipients by definition.
    for address in envelope_to:
        if address.lower() not in visible and address.lower() not in seen:
            bcc.append(address)
            seen.add(address.lower())
    envelope_from = _strip(message.mail_from)
    return StoredEmail(
        account=message.account,
        source="smtp",
        raw=message.data,
        from_addr=parsed.from_addr or envelope_from or None,
        to=parsed.to,
        cc=parsed.cc,
        bcc=bcc,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        subject=parsed.subject,
        text=parsed.text,
        html=parsed.html,
        headers=parsed.headers,
        attachments=parsed.attachments,
        message_id=parsed.message_id,
        received_at=received_at,
        parse_errors=parsed.errors,
        reply_to=parsed.reply_to,
        extra={"smtp_utf8": message.smtp_utf8, "peer": message.peer},
    )


class SmtpInbox:
    """The :class:`~fakeservices.core.registry.SmtpHandler` of the email fake."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def deliver(self, message: SmtpMessage) -> str:
        received_at = time.time()
        if len(message.data) > _THREAD_PARSE_BYTES:
            parsed = await asyncio.to_thread(parse_message, message.data)
        else:
            parsed = parse_message(message.data)
        stored = self.inbox.add(stored_from_smtp(message, parsed, received_at))
        return f"250 2.0.0 OK: queued as {stored.id}"
