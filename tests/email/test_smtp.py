"""Mail over SMTP with smtplib and aiosmtplib: one stored message per transaction."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import aiosmtplib
import httpx

from fakeservices.server import EmbeddedServer

from .helpers import list_emails, wait_emails

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"


def smtp(server: EmbeddedServer) -> smtplib.SMTP:
    return smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10)


def test_plain_message_is_stored_byte_exact_in_default_account(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    to = addr("bob")
    raw = (
        f"From: Alice <alice@example.com>\r\nTo: Bob <{to}>\r\nSubject: Hello plain\r\n"
        "Message-ID: <m1@example.com>\r\n\r\nHi Bob,\r\n..dot line\r\nbye\r\n"
    ).encode()
    with smtp(server) as s:
        assert s.sendmail("alice@example.com", [to], raw) == {}
    [msg] = wait_emails(admin, to=to)
    assert msg["source"] == "smtp"
    assert msg["account"] == "default"
    assert msg["from"] == "alice@example.com"
    assert msg["to"] == [to]
    assert msg["cc"] == [] and msg["bcc"] == []
    assert msg["envelope_from"] == "alice@example.com"
    assert msg["envelope_to"] == [to]
    assert msg["subject"] == "Hello plain"
    assert msg["text"] == "Hi Bob,\n..dot line\nbye\n"  # dot-stuffing undone
    assert msg["html"] is None
    assert msg["message_id"] == "<m1@example.com>"
    assert msg["headers"]["Subject"] == ["Hello plain"]
    assert msg["parse_errors"] == []
    assert msg["attachments"] == []
    assert msg["tags"] == []
    assert msg["size"] == len(raw)
    assert msg["id"].startswith("em_") and msg["seq"] > 0
    assert msg["received_at"].endswith("Z")
    got = admin.get(f"/__admin/emails/{msg['id']}/raw")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("message/rfc822")
    assert got.content == raw
    # The transaction is in the journal as service smtp.
    entries = admin.get(
        "/__admin/requests", params={"service": "smtp", "account": "default"}
    ).json()["data"]
    assert any(to in e["detail"]["rcpt_to"] and e["status"] == 250 for e in entries)


def test_auth_plain_and_login_name_the_account(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    plain_user, login_user = f"plain-{unique}", f"login-{unique}"
    to = addr("carol")
    with smtp(server) as s:
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
        s.user, s.password = plain_user, "secret"
        code, _ = s.auth("PLAIN", s.auth_plain)
        assert code == 235
        s.sendmail("a@example.com", [to], b"Subject: via plain\r\n\r\nx\r\n")
    with smtp(server) as s:
        s.ehlo()
        s.user, s.password = login_user, "secret"
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235
        s.sendmail("a@example.com", [to], b"Subject: via login\r\n\r\nx\r\n")
    [p] = wait_emails(admin, account=plain_user)
    [lg] = wait_emails(admin, account=login_user)
    assert p["subject"] == "via plain" and lg["subject"] == "via login"
    # One account does not see the other's mail.
    assert list_emails(admin, account=plain_user, subject="via login") == []
    journal = admin.get(
        "/__admin/requests", params={"service": "smtp", "account": login_user}
    ).json()["data"]
    assert len(journal) == 1 and journal[0]["status"] == 250


def test_smtputf8_addresses(server: EmbeddedServer, admin: httpx.Client, unique: str) -> None:
    sender, rcpt = f"jörg-{unique}@exämple.de", f"zoë-{unique}@exämple.de"
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, rcpt, "Grüße"
    msg.set_content("Ünïcödé body")
    with smtp(server) as s:
        s.send_message(msg)  # smtplib switches to SMTPUTF8 for non-ASCII addresses
    [got] = wait_emails(admin, to=rcpt.upper())  # case-insensitive address match
    assert got["from"] == sender
    assert got["to"] == [rcpt]
    assert got["envelope_to"] == [rcpt]
    assert got["subject"] == "Grüße"
    assert got["text"] == "Ünïcödé body\n"
    assert got["smtp_utf8"] is True
    assert got["parse_errors"] == []


def test_several_recipients_with_bcc_only_envelope_recipient(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    to, cc, hidden = addr("to"), addr("cc"), addr("hidden")
    raw = f"From: a@example.com\r\nTo: {to}\r\nCc: {cc}\r\nSubject: team\r\n\r\nhello\r\n"
    with smtp(server) as s:
        assert s.sendmail("a@example.com", [to, cc, hidden], raw.encode()) == {}
    # Exactly one stored message for the transaction, found by any of its recipients.
    [by_hidden] = wait_emails(admin, to=hidden)
    assert [m["id"] for m in list_emails(admin, to=to)] == [by_hidden["id"]]
    assert [m["id"] for m in list_emails(admin, to=cc)] == [by_hidden["id"]]
    assert by_hidden["to"] == [to]
    assert by_hidden["cc"] == [cc]
    assert by_hidden["bcc"] == [hidden]
    assert by_hidden["envelope_to"] == [to, cc, hidden]
    assert "Bcc" not in by_hidden["headers"]


def test_several_messages_in_one_session(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    to = addr("multi")
    with smtp(server) as s:
        for i in range(3):
            s.sendmail("a@example.com", [to], f"Subject: n{i}\r\n\r\nbody {i}\r\n".encode())
    got = wait_emails(admin, count=3, to=to)
    assert [m["subject"] for m in got] == ["n0", "n1", "n2"]
    assert len({m["id"] for m in got}) == 3
    assert got[0]["seq"] < got[1]["seq"] < got[2]["seq"]


def test_send_message_multipart_alternative_inline_image_and_pdf(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    to = addr("rich")
    msg = EmailMessage()
    msg["From"] = "Shop <shop@example.com>"
    msg["To"] = to
    msg["Subject"] = "Your invoice"
    msg.set_content("Plain invoice text")
    msg.add_alternative('<p>Invoice <img src="cid:logo1"></p>', subtype="html")
    html = msg.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(PNG, "image", "png", cid="<logo1>", disposition="inline")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice.pdf")
    with smtp(server) as s:
        s.send_message(msg)
    [got] = wait_emails(admin, to=to)
    assert got["text"] == "Plain invoice text\n"
    assert got["html"] == '<p>Invoice <img src="cid:logo1"></p>\n'
    atts = got["attachments"]
    assert [(a["content_type"], a["filename"], a["content_id"]) for a in atts] == [
        ("image/png", None, "logo1"),
        ("application/pdf", "invoice.pdf", None),
    ]
    assert [a["size"] for a in atts] == [len(PNG), len(PDF)]
    assert atts[0]["disposition"] == "inline" and atts[1]["disposition"] == "attachment"
    png = admin.get(f"/__admin/emails/{got['id']}/attachments/0")
    assert png.status_code == 200 and png.content == PNG
    assert png.headers["content-type"] == "image/png"
    pdf = admin.get(f"/__admin/emails/{got['id']}/attachments/1")
    assert pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="invoice.pdf"' in pdf.headers["content-disposition"]
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/2").status_code == 404
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/x").status_code == 404
    # The raw message round-trips through the stdlib parser to the same structure.
    raw = admin.get(f"/__admin/emails/{got['id']}/raw").content
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed.get_content_type() == "multipart/mixed"
    assert got["size"] == len(raw)


async def test_aiosmtplib_with_auth(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    to, hidden = addr("async"), addr("async-bcc")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "app@example.com", to, "async hello"
    msg["Bcc"] = hidden
    msg.set_content("sent with aiosmtplib")
    errors, reply = await aiosmtplib.send(
        msg,
        hostname=server.smtp_host,
        port=server.smtp_port,
        username=f"async-{unique}",
        password="pw",
        start_tls=False,
        use_tls=False,
        timeout=10,
    )
    assert errors == {}
    assert reply.startswith("2.0.0 OK: queued as em_")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        resp = await client.get(
            "/__admin/emails/wait", params={"account": f"async-{unique}", "timeout": 10}
        )
    assert resp.status_code == 200
    [got] = resp.json()["data"]
    assert got["subject"] == "async hello"
    assert got["envelope_to"] == [to, hidden]
    assert got["bcc"] == [hidden]
    assert "Bcc" not in got["headers"]  # aiosmtplib strips Bcc like smtplib does
