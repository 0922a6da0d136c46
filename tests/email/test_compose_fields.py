"""Fields of an HTTP send are read from the message object built for it; they must equal what
parsing its raw bytes back yields (what /__admin/emails/{id}/raw serves)."""

from __future__ import annotations

import pytest

from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, build, serialize
from fakeservices.email.mime import fields_of, parse_message

CASES = {
    "plain": Outgoing(
        sender=Mailbox("shop@example.com", "Shop"),
        to=[Mailbox("a@example.com")],
        subject="Hi",
        text="hello",
        message_id="<1@example.com>",
    ),
    "full": Outgoing(
        sender=Mailbox("shop@example.com", "Ünïcode Shop"),
        to=[Mailbox("a@example.com", "A, Person"), Mailbox("b@example.com")],
        cc=[Mailbox("c@example.com")],
        reply_to=[Mailbox("r@example.com")],
        subject="Ünïcode subject that is long enough to be folded by the serializer " * 2,
        text="text body é",
        html="<p>html <img src='cid:logo'></p>",
        headers=[("X-Custom", "v1"), ("X-Other", "ü")],
        attachments=[
            OutAttachment(b"%PDF-1.4", "a.pdf", "application/pdf"),
            OutAttachment(b"\x89PNG", "logo.png", "image/png", "inline", "logo"),
        ],
        message_id="<2@example.com>",
    ),
    "utf8-address": Outgoing(
        sender=Mailbox("shop@example.com"),
        to=[Mailbox("jörg@exämple.com")],
        subject="x",
        text="y",
        message_id="<3@example.com>",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_built_fields_equal_parsed_fields(name: str) -> None:
    msg = build(CASES[name], 1_700_000_000.0)
    raw = serialize(msg)  # as to_stored does: serializing sets the multipart boundaries
    built, parsed = fields_of(msg), parse_message(raw)
    assert built.headers == parsed.headers
    assert built.attachments == parsed.attachments
    assert (built.from_addr, built.to, built.cc, built.reply_to) == (
        parsed.from_addr,
        parsed.to,
        parsed.cc,
        parsed.reply_to,
    )
    assert (built.subject, built.text, built.html) == (parsed.subject, parsed.text, parsed.html)
    # A message we built has no defects. Reading its SMTPUTF8 bytes back makes the stdlib
    # report encoded-word defects that are artifacts of the round trip, not of the send.
    assert built.errors == []
    if name != "utf8-address":
        assert parsed.errors == []
