"""Size limits, broken MIME, the retention cap, and memory per stored message."""

from __future__ import annotations

import base64
import gc
import smtplib
import tracemalloc
from collections.abc import Callable, Iterator

import httpx
import pytest
import requests
from python_http_client.exceptions import PayloadTooLargeError
from sendgrid import SendGridAPIClient

from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, to_stored
from fakeservices.email.mime import parse_message
from fakeservices.server import EmbeddedServer, start_server

from .helpers import list_emails, still_serving, wait_emails

LIMIT = 4096


@pytest.fixture(scope="module")
def small() -> Iterator[EmbeddedServer]:
    with start_server(max_message_bytes=LIMIT, max_messages=3) as s:
        yield s


@pytest.fixture
def small_admin(small: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=small.url, timeout=30) as c:
        yield c


def test_smtp_over_size_gets_552_and_is_not_stored(
    small: EmbeddedServer, small_admin: httpx.Client, unique: str
) -> None:
    big = b"Subject: big\r\n\r\n" + (b"y" * 70 + b"\r\n") * 100
    with smtplib.SMTP(small.smtp_host, small.smtp_port, timeout=10) as s:
        s.login(unique, "pw")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # SIZE= declared at MAIL
            s.sendmail("a@example.com", ["b@example.com"], big)
        assert refused.value.smtp_code == 552
        assert s.mail("a@example.com")[0] == 250  # undeclared size: refused after DATA
        assert s.rcpt("b@example.com")[0] == 250
        assert s.data(big)[0] == 552
        # The session keeps working.
        assert s.sendmail("a@example.com", ["b@example.com"], b"Subject: ok\r\n\r\nx\r\n") == {}
    [ok] = wait_emails(small_admin, account=unique)
    assert ok["subject"] == "ok"


def test_http_over_size_gets_413_and_is_not_stored(
    small: EmbeddedServer, small_admin: httpx.Client, unique: str
) -> None:
    pad = "z" * (LIMIT + 100)
    body = {
        "personalizations": [{"to": [{"email": "b@example.com"}]}],
        "from": {"email": "a@example.com"},
        "subject": "big",
        "content": [{"type": "text/plain", "value": pad}],
    }
    with pytest.raises(PayloadTooLargeError) as exc:
        SendGridAPIClient(f"SG.{unique}", host=small.url).send(body)
    assert exc.value.status_code == 413
    resp = requests.post(
        f"{small.url}/v3/mg.example.com/messages",
        auth=("api", f"key-{unique}"),
        data={"from": "a@example.com", "to": "b@example.com", "text": pad},
        timeout=10,
    )
    assert resp.status_code == 413 and "message" in resp.json()
    resp = requests.post(
        f"{small.url}/email",
        json={"From": "a@example.com", "To": "b@example.com", "TextBody": pad},
        headers={"X-Postmark-Server-Token": f"pm-{unique}"},
        timeout=10,
    )
    assert resp.status_code == 413 and set(resp.json()) == {"ErrorCode", "Message"}
    for account in (f"SG.{unique}", f"key-{unique}", f"pm-{unique}"):
        assert list_emails(small_admin, account=account) == []
    still_serving(small_admin)


def test_retention_cap_evicts_oldest_and_counts(
    small: EmbeddedServer, small_admin: httpx.Client, unique: str
) -> None:
    before = small_admin.get("/__admin/health").json()["evicted"]["emails"]
    with smtplib.SMTP(small.smtp_host, small.smtp_port, timeout=10) as s:
        s.login(f"cap-{unique}", "pw")
        for i in range(5):
            s.sendmail("a@example.com", ["b@example.com"], f"Subject: c{i}\r\n\r\nx\r\n".encode())
    kept = list_emails(small_admin, account=f"cap-{unique}")
    assert [m["subject"] for m in kept] == ["c2", "c3", "c4"]
    health = small_admin.get("/__admin/health").json()
    assert health["counts"]["emails"] == 3
    assert health["evicted"]["emails"] - before >= 2


BROKEN = {
    "bad-boundary": (
        b"From: a@example.com\r\nTo: {to}\r\nSubject: bad boundary\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="expected"\r\n\r\n'
        b"--actual\r\nContent-Type: text/plain\r\n\r\nhello\r\n--actual--\r\n",
        "boundary",
    ),
    "bad-base64": (
        b"From: a@example.com\r\nTo: {to}\r\nSubject: bad base64\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="x.pdf"\r\n\r\n'
        b"JVBERi0x!!!not*base64\r\n--b--\r\n",
        "Base64",
    ),
    "bad-charset": (
        b"From: a@example.com\r\nTo: {to}\r\nSubject: bad charset\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9 \xff\xfe\r\n",
        "charset",
    ),
    "wrong-charset": (
        b"From: a@example.com\r\nTo: {to}\r\nSubject: wrong charset\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xe9 \xff\r\n",
        "not valid utf-8",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_mime_is_stored_raw_with_parse_errors(
    server: EmbeddedServer, admin: httpx.Client, case: str, addr: Callable[..., str]
) -> None:
    to = addr(case)
    template, expected_error = BROKEN[case]
    raw = template.replace(b"{to}", to.encode())
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as s:
        assert s.sendmail("a@example.com", [to], raw) == {}
        # The same session goes on to deliver a good message.
        assert s.sendmail("a@example.com", [to], b"Subject: after\r\n\r\nfine\r\n") == {}
    broken, after = wait_emails(admin, count=2, to=to)
    assert broken["parse_errors"], broken
    assert any(expected_error.lower() in e.lower() for e in broken["parse_errors"]), broken
    assert broken["to"] == [to]
    assert admin.get(f"/__admin/emails/{broken['id']}/raw").content == raw
    assert broken["text"]  # whatever could be decoded is still shown
    for n in range(len(broken["attachments"])):
        assert admin.get(f"/__admin/emails/{broken['id']}/attachments/{n}").status_code == 200
    assert after["subject"] == "after" and after["parse_errors"] == []
    still_serving(admin)


def test_memory_per_message_stays_under_three_times_raw() -> None:
    pdf = bytes(range(256)) * 4096  # 1 MiB attachment
    out = Outgoing(
        sender=Mailbox("a@example.com"),
        to=[Mailbox("b@example.com")],
        subject="big",
        text="t" * 100_000,
        html="<p>" + "h" * 100_000 + "</p>",
        attachments=[OutAttachment(pdf, "big.pdf", "application/pdf")],
        message_id="<m@x>",
    )
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        stored = to_stored(out, account="acc", source="sendgrid")
        stored.body()  # rendered and parsed on first read: measure what it holds then
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert stored.body().attachments[0].size == len(pdf)
    assert held <= 3 * stored.size, (held, stored.size)
    # SMTP: raw bytes are the transaction's own; parsed fields add little on top.
    raw = stored.raw
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        parsed = parse_message(raw)
        gc.collect()
        extra = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert parsed.attachments[0].size == len(pdf)
    assert len(raw) + extra <= 3 * len(raw), (extra, len(raw))


def test_base64_helper_accepts_wrapped_lines() -> None:
    from fakeservices.email.http_common import strict_b64decode

    data = bytes(range(200))
    wrapped = base64.encodebytes(data).decode()
    assert strict_b64decode(wrapped) == data
    assert strict_b64decode("not base64!") is None
