"""/__admin/emails: filters, paging, get, raw, delete and waiting."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import requests
from sendgrid import SendGridAPIClient
from starlette.responses import JSONResponse

from fakeservices.core.jsonio import RENDER_OFFLOAD_BYTES
from fakeservices.server import EmbeddedServer

from .helpers import list_emails, wait_emails


def send_smtp(server: EmbeddedServer, user: str, to: list[str], raw: str, mail_from: str) -> None:
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as s:
        s.login(user, "pw")
        s.sendmail(mail_from, to, raw.encode())


def test_filters(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    user = f"rb-{unique}"
    a, b, hidden = addr("Alice"), addr("bob"), addr("hidden")
    send_smtp(
        server,
        user,
        [a, b, hidden],
        f"From: Sender <Sender@Example.com>\r\nTo: {a}\r\nCc: {b}\r\n"
        "Subject: Weekly REPORT\r\n\r\nThe numbers are up\r\n",
        "bounce@example.com",
    )
    send_smtp(
        server,
        user,
        [b],
        f"From: other@example.com\r\nTo: {b}\r\nSubject: lunch\r\n"
        "Content-Type: text/html\r\n\r\n<p>Pizza today</p>\r\n",
        "other@example.com",
    )
    both = wait_emails(admin, count=2, account=user)
    first, second = both
    ids = lambda **f: [m["id"] for m in list_emails(admin, account=user, **f)]  # noqa: E731
    assert ids(to=a.upper()) == [first["id"]]  # case-insensitive, exact
    assert ids(to=b) == [first["id"], second["id"]]  # cc counts
    assert ids(to=hidden) == [first["id"]]  # bcc-only envelope recipient counts
    assert ids(to=a[:-1]) == []  # exact, not substring
    assert ids(from_="sender@example.COM") == [first["id"]]
    assert ids(from_="bounce@example.com") == [first["id"]]  # envelope sender
    assert ids(subject="report") == [first["id"]]
    assert ids(subject="REP", to=b) == [first["id"]]
    assert ids(body="pizza") == [second["id"]]  # html body
    assert ids(body="NUMBERS") == [first["id"]]
    assert ids(source="smtp") == [first["id"], second["id"]]
    assert ids(source="sendgrid") == []
    assert admin.get("/__admin/emails", params={"source": "fax"}).status_code == 400
    assert admin.get("/__admin/emails", params={"bogus": "1"}).status_code == 400
    # Another account does not see them.
    assert list_emails(admin, account=f"other-{unique}", to=b) == []


def test_paging_get_and_delete(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    user = f"pg-{unique}"
    to = addr("page")
    for i in range(5):
        send_smtp(server, user, [to], f"Subject: p{i}\r\n\r\nx\r\n", "a@example.com")
    wait_emails(admin, count=5, account=user)
    page1 = admin.get("/__admin/emails", params={"account": user, "limit": 2}).json()
    assert [m["subject"] for m in page1["data"]] == ["p0", "p1"]
    assert page1["has_more"] is True
    page2 = admin.get(
        "/__admin/emails", params={"account": user, "limit": 2, "after": page1["next_after"]}
    ).json()
    assert [m["subject"] for m in page2["data"]] == ["p2", "p3"]
    page3 = admin.get(
        "/__admin/emails", params={"account": user, "limit": 2, "after": page2["next_after"]}
    ).json()
    assert [m["subject"] for m in page3["data"]] == ["p4"] and page3["has_more"] is False
    one = page1["data"][0]
    got = admin.get(f"/__admin/emails/{one['id']}")
    assert got.status_code == 200 and got.json() == one
    assert admin.get("/__admin/emails/em_nope").status_code == 404
    assert admin.get("/__admin/emails/em_nope/raw").status_code == 404
    assert admin.get(f"/__admin/emails/{one['id']}/raw", params={"account": "x"}).status_code == 404
    # Delete one, then the rest of this account only.
    assert admin.delete(f"/__admin/emails/{one['id']}").json() == {"deleted": 1}
    assert admin.get(f"/__admin/emails/{one['id']}").status_code == 404
    assert admin.delete("/__admin/emails", params={"account": user}).json() == {"deleted": 4}
    assert list_emails(admin, account=user) == []


def test_http_send_raw_is_rfc5322(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"SG.{unique}"
    to = addr("raw")
    body = {
        "personalizations": [{"to": [{"email": to, "name": "Rá Recipient"}]}],
        "from": {"email": "app@example.com", "name": "App"},
        "subject": "Ünïcode subject",
        "content": [
            {"type": "text/plain", "value": "plain"},
            {"type": "text/html", "value": "<p>html</p>"},
        ],
    }
    assert SendGridAPIClient(key, host=server.url).send(body).status_code == 202
    [got] = wait_emails(admin, account=key)
    raw = admin.get(f"/__admin/emails/{got['id']}/raw")
    assert raw.headers["content-type"].startswith("message/rfc822")
    text = raw.content.decode("ascii")  # 7-bit clean: headers are RFC 2047 encoded
    assert "\r\nMIME-Version: 1.0\r\n" in text
    assert "multipart/alternative" in text
    assert f"Message-ID: {got['message_id']}" in text
    assert "Date: " in text and "\n\n" not in text.replace("\r\n", "")
    assert got["headers"]["Subject"] == ["Ünïcode subject"]


def test_wait_returns_as_soon_as_count_reached(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    user = f"wt-{unique}"
    to = addr("waiter")
    result: dict[str, Any] = {}

    def waiter() -> None:
        t0 = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=30) as c:
            resp = c.get(
                "/__admin/emails/wait",
                params={"account": user, "to": to, "count": 2, "timeout": 20},
            )
        result["resp"], result["elapsed"] = resp, time.monotonic() - t0

    store = server.runtime.stores()["emails"]

    async def waiters() -> int:
        return store.waiter_count

    before = server.run(waiters())
    thread = threading.Thread(target=waiter)
    thread.start()
    # Let the long-poll register first (bounded: at most 5 s of cross-thread checks), so the
    # answer below comes from the store waking it, not from a lookup of existing mail.
    deadline = time.monotonic() + 5
    while server.run(waiters()) <= before and time.monotonic() < deadline:
        thread.join(timeout=0.01)
    assert server.run(waiters()) > before
    send_smtp(server, user, [addr("someone-else")], "Subject: noise\r\n\r\nx\r\n", "a@example.com")
    send_smtp(server, user, [to], "Subject: w1\r\n\r\nx\r\n", "a@example.com")
    send_smtp(server, user, [to], "Subject: w2\r\n\r\nx\r\n", "a@example.com")
    thread.join(timeout=25)
    assert not thread.is_alive()
    resp = result["resp"]
    assert resp.status_code == 200
    assert [m["subject"] for m in resp.json()["data"]] == ["w1", "w2"]
    assert result["elapsed"] < 15  # answered when the count was reached, not at the timeout


def test_wait_times_out_with_408_matched_and_recent(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    user = f"to-{unique}"
    send_smtp(server, user, [addr("alice")], "Subject: for alice\r\n\r\nx\r\n", "a@example.com")
    wait_emails(admin, account=user)
    t0 = time.monotonic()
    resp = admin.get(
        "/__admin/emails/wait",
        params={"account": user, "to": addr("bob"), "timeout": 0.3},
    )
    assert time.monotonic() - t0 < 5
    assert resp.status_code == 408
    err = resp.json()["error"]
    assert err["code"] == "wait_timeout"
    assert err["matched"] == 0
    # The newest near miss is this account's mail to alice (recent spans the whole store).
    assert err["recent"][-1]["subject"] == "for alice"
    assert err["recent"][-1]["to"] == addr("alice")
    assert addr("alice") in err["message"]


def test_mailgun_http_is_journaled_even_when_rejected(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    key = f"key-{unique}"
    resp = requests.post(
        f"{server.url}/v3/mg.example.com/messages", auth=("api", key), data={}, timeout=10
    )
    assert resp.status_code == 400
    entries = admin.get("/__admin/requests", params={"service": "mailgun", "account": key})
    assert [e["status"] for e in entries.json()["data"]] == [400]


def test_a_big_message_reads_back_as_compact_json(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    # Over RENDER_OFFLOAD_BYTES: rendered in a worker thread, in pieces; the same bytes.
    to = addr("big")
    text = ("é line\r\n" + "a" * 70 + "\r\n") * 5000
    assert len(text) > RENDER_OFFLOAD_BYTES
    raw = f"To: {to}\r\nSubject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as s:
        s.sendmail("a@example.com", [to], raw.encode())
    (head,) = wait_emails(admin, to=to)
    one = admin.get(f"/__admin/emails/{head['id']}")
    assert one.headers["content-type"] == "application/json"
    assert one.json()["text"] == text.replace("\r\n", "\n")
    assert one.content == JSONResponse(one.json()).body
    listed = admin.get("/__admin/emails", params={"to": to})
    assert listed.content == JSONResponse({**listed.json(), "data": [one.json()]}).body
