"""The Python client (sync and async) and start_server, against real embedded servers."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

import httpx
import pytest

from fakeservices import AsyncFakeServices, FakeServices, client, start_server
from fakeservices.client import FakeServicesError, WaitTimeout
from fakeservices.server import EmbeddedServer


def send_mail(server: EmbeddedServer, user: str, to: str, subject: str, body: str = "hi") -> None:
    msg = EmailMessage()
    msg["From"] = "shop@example.com"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="a.pdf")
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        smtp.login(user, "pw")
        smtp.send_message(msg)


def send_sms(server: EmbeddedServer, sid: str, to: str, body: str) -> None:
    r = httpx.post(
        f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
        data={"To": to, "From": "+15005550006", "Body": body},
        auth=(sid, "token"),
    )
    assert r.status_code == 201, r.text


def test_sync_client_reads_back_waits_and_resets(server: EmbeddedServer, unique: str) -> None:
    with FakeServices(server.url) as fake:
        health = fake.health()
        assert health.status == "ok" and health.smtp_port == server.smtp_port
        to = f"john-{unique}@example.com"
        send_mail(server, unique, to, "Welcome John", "Hello John Doe")
        [mail] = fake.emails.wait(to=to, subject="welcome", timeout=5)
        assert mail.account == unique and mail.subject == "Welcome John"
        assert "John Doe" in mail.body
        assert mail.from_ == "shop@example.com"
        assert fake.emails.get(mail.id) == mail
        assert b"Subject: Welcome John" in fake.emails.raw(mail.id)
        assert fake.emails.attachment(mail.id, 0) == b"%PDF-1.4 fake"
        assert [m.id for m in fake.emails.list(account=unique)] == [mail.id]

        sid = "AC" + unique.ljust(32, "0")
        send_sms(server, sid, "+15558675310", "Order shipped")
        [sms] = fake.sms.wait(account=sid, body="shipped", timeout=5)
        assert sms.to == "+15558675310" and sms.sid.startswith("SM")
        entries = fake.requests.wait(account=sid, service="sms", method="POST", timeout=5)
        assert entries[0].status == 201

        fake.reset(account=unique)
        assert fake.emails.list(account=unique) == []
        assert len(fake.sms.list(account=sid)) == 1  # other accounts untouched


def test_wait_timeout_explains_itself(server: EmbeddedServer, unique: str) -> None:
    with FakeServices(server.url) as fake:
        send_mail(server, unique, f"alice-{unique}@example.com", "Hi Alice")
        with pytest.raises(WaitTimeout) as exc:
            fake.emails.wait(to=f"bob-{unique}@example.com", account=unique, timeout=0.2)
        err = exc.value
        assert err.matched == 0
        assert f"alice-{unique}@example.com" in err.recent[-1]["to"]
        assert "alice" in str(err)
        assert isinstance(err, AssertionError)  # pytest reports it as a failed assertion


def test_errors_are_raised_with_the_admin_envelope(server: EmbeddedServer) -> None:
    with FakeServices(server.url) as fake:
        with pytest.raises(FakeServicesError) as exc:
            fake.emails.get("no-such-email")
        assert exc.value.status == 404
        with pytest.raises(FakeServicesError) as bad:
            fake.emails.list(limit=0)
        assert bad.value.status == 400 and bad.value.code == "invalid_parameter"


def test_fault_context_manager_removes_the_rule(server: EmbeddedServer, unique: str) -> None:
    with FakeServices(server.url) as fake:
        to = f"bob-{unique}@example.com"
        with fake.faults.add(
            "smtp",
            {"type": "smtp_reply", "code": 451, "stage": "rcpt"},
            {"to": to},
            times=5,
        ) as rule:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send_mail(server, unique, to, "x")
            assert rule.hits == 1
            assert rule.id in [r.id for r in fake.faults.list()]
        assert rule.id not in [r.id for r in fake.faults.list()]
        send_mail(server, unique, to, "after the outage")
        assert fake.emails.wait(to=to, timeout=5)[0].subject == "after the outage"


async def test_async_client_reads_back_waits_and_handles_faults(
    server: EmbeddedServer, unique: str
) -> None:
    async with AsyncFakeServices(server.url) as fake:
        assert (await fake.health()).status == "ok"
        to = f"eve-{unique}@example.com"
        thread = threading.Thread(target=send_mail, args=(server, unique, to, "Async hello"))
        waiting = fake.emails.wait(to=to, timeout=10)
        thread.start()
        [mail] = await waiting
        thread.join(10)
        assert mail.subject == "Async hello"
        assert (await fake.emails.get(mail.id)).id == mail.id
        async with await fake.faults.add(
            "smtp", {"type": "smtp_reply", "code": 550, "stage": "mail"}, {"account": unique}
        ) as handle:
            assert (await handle.refresh()).hits == 0
            assert await handle.hits() == 0
            assert handle.id in [r.id for r in await fake.faults.list(account=unique)]
        assert await fake.faults.list(account=unique) == []
        with pytest.raises(WaitTimeout):
            await fake.requests.wait(account=unique, path="/never", timeout=0.1)
        assert await fake.emails.delete(account=unique) == 1


def test_two_embedded_servers_in_one_process() -> None:
    with start_server() as a, start_server() as b:
        assert a.http_port != b.http_port and a.smtp_port != b.smtp_port
        send_mail(a, "acct", "x@example.com", "only on a")
        with FakeServices(a.url) as fa, FakeServices(b.url) as fb:
            assert len(fa.emails.wait(timeout=5)) == 1
            assert fb.emails.list() == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{a.url}/__admin/health")


def test_start_server_reports_a_port_in_use(server: EmbeddedServer) -> None:
    with pytest.raises(OSError, match="in use"):
        start_server(http_port=server.http_port)


def public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


@pytest.mark.parametrize(
    ("sync", "async_"),
    [
        (client.FakeServices, client.AsyncFakeServices),
        (client.Items, client.AsyncItems),
        (client.Emails, client.AsyncEmails),
        (client.Faults, client.AsyncFaults),
        (client.FaultHandle, client.AsyncFaultHandle),
    ],
)
def test_async_client_has_the_same_method_set(sync: type, async_: type) -> None:
    # `close` is spelled `aclose` on the async side, as httpx does.
    assert public(sync) - {"close"} == public(async_) - {"aclose"}


def test_both_clients_expose_the_same_collections() -> None:
    with FakeServices("http://127.0.0.1:9") as sync:  # nothing is sent
        attrs = {k for k in vars(sync) if not k.startswith("_")}
    async_ = AsyncFakeServices("http://127.0.0.1:9")
    assert attrs == {k for k in vars(async_) if not k.startswith("_")}
    assert {"emails", "sms", "requests", "webhook_deliveries", "stripe_events"} <= attrs
