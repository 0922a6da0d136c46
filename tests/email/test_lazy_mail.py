"""Mail is parsed lazily: the head at ingest, the body on first use, with the eager results.

The reference below is the eager construction this replaced (every field from one full parse at
ingest, or from the request plus the rendering); the lazy path must give the same JSON for every
message of the corpus, and read-back and wait filters must not parse a body.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import requests

from fakeservices.core.clock import rfc3339
from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, build, fields_of, serialize
from fakeservices.email.mime import parse_head, parse_message
from fakeservices.email.model import StoredEmail
from fakeservices.email.plugin import EmailService
from fakeservices.email.smtp_inbox import stored_from_smtp
from fakeservices.server import EmbeddedServer

from .test_compose_fields import CASES
from .test_limits import BROKEN

# Messages whose headers are awkward to read: the head must read them as the full parse does.
AWKWARD = {
    "encoded-words": (
        b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.com>\r\nTo: a@example.com, "
        b'"Doe, Jane" <jane@example.com>\r\nCc: undisclosed-recipients:;\r\n'
        b"Subject: =?utf-8?b?w5xuw69jw7Zkw6k=?= and more\r\nMessage-ID:   <x@y>  \r\n"
        b"Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\nbody\r\n"
    ),
    "folded-and-repeated": (
        b"Subject: first\r\n line two\r\nsubject: second\r\nTO: a@example.com\r\n"
        b"To: b@example.com\r\nReply-To: r@example.com\r\nBcc: hidden@example.com\r\n\r\nx\r\n"
    ),
    "group-and-comments": (
        b"From: (comment) a@example.com (more)\r\nTo: friends: b@example.com, c@example.com;,"
        b" d@example.com\r\n\r\nx\r\n"
    ),
    "8bit-utf8-headers": (
        "From: jörg@exämple.com\r\nTo: ünï@example.com\r\nSubject: café ☕\r\n\r\nx\r\n"
    ).encode(),
    "broken-address": b"From: <<<@@@>>>\r\nTo: ,,,\r\nCc: a@\r\nSubject: x\r\n\r\ny\r\n",
    "lf-only": b"From: a@example.com\nTo: b@example.com\nSubject: lf\n\nbody\n",
    "no-blank-line": b"From: a@example.com\r\nTo: b@example.com\r\nSubject: only headers\r\n",
    "no-headers": b"\r\njust a body\r\n",
    "not-a-header-first": b"this is not a header\r\nSubject: hidden\r\n\r\nbody\r\n",
    "empty": b"",
    "lone-cr": b"From: a@example.com\rTo: b@example.com\rSubject: cr\r\rbody\r",
}


def _corpus() -> dict[str, bytes]:
    corpus = dict(AWKWARD)
    for name, (template, _error) in BROKEN.items():
        corpus[f"broken-{name}"] = template.replace(b"{to}", b"to@example.com")
    for name, out in CASES.items():
        corpus[f"composed-{name}"] = serialize(build(out, 1_700_000_000.0))
    return corpus


CORPUS = _corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_head_reads_what_the_full_parse_reads(name: str) -> None:
    raw = CORPUS[name]
    head, full = parse_head(raw), parse_message(raw)
    assert (head.from_addr, head.to, head.cc, head.bcc, head.reply_to) == (
        full.from_addr,
        full.to,
        full.cc,
        full.bcc,
        full.reply_to,
    )
    assert (head.subject, head.message_id) == (full.subject, full.message_id)


class _Smtp:
    """An SMTP transaction as the listener hands it over."""

    def __init__(self, data: bytes, rcpt_tos: list[str]) -> None:
        self.mail_from = "<bounce@example.com>"
        self.rcpt_tos = rcpt_tos
        self.data = data
        self.account = "acct"
        self.peer = "127.0.0.1"
        self.smtp_utf8 = False


def _eager_smtp_json(raw: bytes, envelope_to: list[str], mail: StoredEmail) -> dict[str, Any]:
    """What the eager construction stored for an SMTP message (one full parse at ingest)."""
    p = parse_message(raw)
    bcc, seen = list(p.bcc), {a.lower() for a in p.bcc}
    visible = {a.lower() for a in (*p.to, *p.cc)}
    for a in envelope_to:
        if a.lower() not in visible and a.lower() not in seen:
            bcc.append(a)
            seen.add(a.lower())
    return {
        "id": mail.id,
        "seq": mail.seq,
        "account": "acct",
        "source": "smtp",
        "received_at": rfc3339(1_700_000_000.0),
        "from": p.from_addr or "bounce@example.com",
        "to": p.to,
        "cc": p.cc,
        "bcc": bcc,
        "reply_to": p.reply_to,
        "envelope_from": "bounce@example.com",
        "envelope_to": envelope_to,
        "subject": p.subject,
        "text": p.text,
        "html": p.html,
        "headers": p.headers,
        "attachments": [a.to_json(i) for i, a in enumerate(p.attachments)],
        "message_id": p.message_id,
        "size": len(raw),
        "tags": [],
        "parse_errors": p.errors,
        "smtp_utf8": False,
        "peer": "127.0.0.1",
    }


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_lazy_smtp_mail_renders_as_the_eager_one_did(name: str) -> None:
    raw = CORPUS[name]
    envelope = ["to@example.com", "<secret@example.com>"]
    mail = stored_from_smtp(_Smtp(raw, envelope), 1_700_000_000.0)  # type: ignore[arg-type]
    assert not mail.parsed and mail.content.parses == 0
    assert "secret@example.com" in mail.bcc  # derived at ingest, from the head alone
    assert not mail.parsed
    expected = _eager_smtp_json(raw, ["to@example.com", "secret@example.com"], mail)
    assert mail.to_json() == expected
    assert mail.content.parses == 1
    mail.to_json()
    assert mail.content.parses == 1  # cached


def _no_boundaries(value: Any) -> Any:
    """``value`` as text (keys in order), with the random multipart boundaries made equal."""
    return re.sub(r"=+\d+==", "B", str(value))


SENDS = {
    **CASES,
    "bcc-and-tags": Outgoing(
        sender=Mailbox("shop@example.com"),
        to=[Mailbox("a@example.com")],
        bcc=[Mailbox("hidden@example.com")],
        subject="with bcc",
        html="<p>only html\r\nline</p>",
        attachments=[OutAttachment(bytes(range(256)) * 10, "data.bin")],
        message_id="<4@example.com>",
        tags=["t1"],
        extra={"provider_message_id": "pm-1"},
    ),
}


@pytest.mark.parametrize("name", sorted(SENDS))
def test_a_lazy_http_send_renders_as_the_eager_one_did(name: str) -> None:
    from fakeservices.email.compose import to_stored

    out = SENDS[name]
    mail = to_stored(out, account="acct", source="sendgrid", received_at=1_700_000_000.0)
    assert not mail.parsed and mail.content.parses == 0
    assert mail.content.texts() == (out.text, out.html)  # the body filter does not render
    assert not mail.parsed
    # The eager construction: build, serialize and read the fields of the built message.
    msg = build(out, 1_700_000_000.0)
    raw = serialize(msg)
    p = fields_of(msg)
    expected = {
        "id": mail.id,
        "seq": 0,
        "account": "acct",
        "source": "sendgrid",
        "received_at": rfc3339(1_700_000_000.0),
        "from": out.sender.email,
        "to": [m.email for m in out.to],
        "cc": [m.email for m in out.cc],
        "bcc": [m.email for m in out.bcc],
        "reply_to": [m.email for m in out.reply_to],
        "envelope_from": out.sender.email,
        "envelope_to": list(dict.fromkeys(m.email for m in (*out.to, *out.cc, *out.bcc))),
        "subject": out.subject,
        "text": out.text,
        "html": out.html,
        "headers": p.headers,
        "attachments": [a.to_json(i) for i, a in enumerate(p.attachments)],
        "message_id": out.message_id,
        "size": len(raw),
        "tags": list(out.tags),
        "parse_errors": p.errors,
        **out.extra,
    }
    got = mail.to_json()
    assert _no_boundaries(got) == _no_boundaries(expected)
    assert _no_boundaries(mail.raw) == _no_boundaries(raw)
    assert mail.content.parses == 1  # raw and body come from one rendering
    assert mail.raw is mail.raw  # kept, so attachment part numbers stay valid


# -- through the server: filters and waits do not parse ---------------------------------------
@pytest.fixture
def email_fake(server: EmbeddedServer) -> EmailService:
    [fake] = [s for s in server.runtime.services if isinstance(s, EmailService)]
    return fake


def test_read_back_and_wait_filters_do_not_parse_bodies(
    server: EmbeddedServer,
    admin: httpx.Client,
    email_fake: EmailService,
    unique: str,
    addr: Callable[..., str],
) -> None:
    account, to = f"lazy-{unique}", addr("lazy")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", to, "Lazy one"
    msg.set_content("the body")
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        smtp.login(account, "pw")
        smtp.send_message(msg, to_addrs=[to, addr("hidden")])
    sent = requests.post(
        f"{server.url}/email",
        json={"From": "b@example.com", "To": to, "TextBody": "http body", "Tag": "t1"},
        headers={"X-Postmark-Server-Token": account},
        timeout=10,
    )
    assert sent.status_code == 200, sent.text

    filters: list[dict[str, Any]] = [
        {"to": to},
        {"to": addr("hidden")},  # the Bcc derived at ingest
        {"from": "a@example.com"},
        {"subject": "lazy"},
        {"source": "postmark"},
        {"tag": "t1"},
    ]
    for f in filters:
        waited = admin.get("/__admin/emails/wait", params={**f, "account": account, "timeout": 5})
        assert waited.status_code == 200, waited.text
        listed = admin.get("/__admin/emails", params={**f, "account": account, "view": "summary"})
        heads = listed.json()["data"]
        assert heads and all("text" not in h and h["account"] == account for h in heads)
    missed = admin.get(
        "/__admin/emails/wait", params={"account": account, "to": "nobody@x.com", "timeout": 0}
    )
    assert missed.status_code == 408 and len(missed.json()["error"]["recent"]) == 2

    mails = list(email_fake.inbox.store.query(lambda m: m.account == account).items)
    assert len(mails) == 2
    # The waits above answered with full JSON (parsing what they returned); the list summaries,
    # the filters and the near misses parsed nothing more: each body was parsed exactly once.
    assert [m.content.parses for m in mails] == [1, 1]

    # A fresh pair, read back only through filters and summaries: never parsed at all.
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        smtp.login(account, "pw")
        smtp.send_message(msg, to_addrs=[addr("second")])
    for f in ({"to": addr("second")}, {"subject": "Lazy"}, {"from": "a@example.com"}):
        page = admin.get("/__admin/emails", params={**f, "account": account, "view": "summary"})
        assert page.status_code == 200
    [fresh] = email_fake.inbox.store.query(
        lambda m: m.account == account and addr("second") in m.bcc
    ).items
    assert not fresh.parsed and fresh.content.parses == 0
    full = admin.get(f"/__admin/emails/{fresh.id}").json()
    assert full["text"] == "the body\n" and full["attachments"][0]["filename"] == "a.pdf"
    assert admin.get(f"/__admin/emails/{fresh.id}/attachments/0").content == b"%PDF"
    assert fresh.content.parses == 1


def test_an_http_send_is_rendered_only_when_read(
    admin: httpx.Client, server: EmbeddedServer, email_fake: EmailService, unique: str
) -> None:
    account = f"render-{unique}"
    sent = requests.post(
        f"{server.url}/email",
        json={"From": "b@example.com", "To": "c@example.com", "HtmlBody": "<p>needle</p>"},
        headers={"X-Postmark-Server-Token": account},
        timeout=10,
    )
    assert sent.ok
    [mail] = email_fake.inbox.store.query(lambda m: m.account == account).items
    found = admin.get(
        "/__admin/emails", params={"account": account, "body": "NEEDLE", "view": "summary"}
    )
    assert len(found.json()["data"]) == 1  # the body filter read the request's own HTML...
    assert not mail.parsed  # ...without rendering the message
    raw = admin.get(f"/__admin/emails/{mail.id}/raw")
    assert raw.headers["content-type"] == "message/rfc822" and b"needle" in raw.content
    assert mail.parsed and mail.content.parses == 1
    assert admin.get(f"/__admin/emails/{mail.id}/raw").content == raw.content
    assert mail.content.parses == 1


def test_summary_view_is_only_for_lists(admin: httpx.Client) -> None:
    bad = admin.get("/__admin/emails", params={"view": "everything"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "view"
    assert admin.get("/__admin/sms", params={"view": "summary"}).status_code == 400
