"""Scoped read-back: ``account`` (repeatable) and ``shared_after`` on every read-back route, the
client's ``scoped()``, and the markers that tell issued credentials from shared ones."""

from __future__ import annotations

import smtplib
import socket
import uuid
from email.message import EmailMessage

import httpx
import pytest
import stripe

from fakeservices import AsyncFakeServices, FakeServices
from fakeservices.client import FakeServicesUnreachable, WaitTimeout
from fakeservices.core.accounts import is_issued, is_shared
from fakeservices.server import EmbeddedServer


def issued(kind: str) -> str:
    """A credential carrying the marker the ``fake`` fixture puts on its credentials."""
    token = uuid.uuid4().hex
    return {
        "stripe": f"sk_test_fs{token}",
        "email": f"SG.fs{token}",
        "smtp": f"fs-{token}",
        "twilio": "ACfa4e" + token[:28],
    }[kind]


def send_mail(server: EmbeddedServer, user: str | None, to: str, subject: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "shop@example.com", to, subject
    msg.set_content("hi")
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        if user is not None:
            smtp.login(user, "pw")
        smtp.send_message(msg)


def send_sms(server: EmbeddedServer, sid: str, body: str, callback: str | None = None) -> None:
    data = {"To": "+15558675310", "From": "+15005550006", "Body": body}
    if callback:
        data["StatusCallback"] = callback
    r = httpx.post(
        f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json", data=data, auth=(sid, "token")
    )
    assert r.status_code == 201, r.text


def seq(admin: httpx.Client) -> int:
    return int(admin.get("/__admin/health").json()["seq"])


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("sk_test_fs0123abcd", True),
        ("SG.fs0123abcd", True),
        ("fs-0123abcd", True),
        ("ACfa4e" + "0" * 28, True),
        ("default", False),
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", False),
        ("SG.realkey", False),
        ("alice", False),
        ("AC" + "0" * 32, False),
        ("ACfa4e" + "0" * 27, False),  # too short for a Twilio SID
        ("ACfa4e" + "Z" * 28, False),  # not hex
    ],
)
def test_issued_credentials_are_recognised_by_their_marker(account: str, expected: bool) -> None:
    assert is_issued(account) is expected
    assert is_shared(account) is not expected


def test_account_is_repeatable(server: EmbeddedServer, admin: httpx.Client, unique: str) -> None:
    a, b, c = (issued("smtp") for _ in range(3))
    for user in (a, b, c):
        send_mail(server, user, f"{unique}@example.com", f"from {user}")
    both = admin.get("/__admin/emails", params=[("account", a), ("account", b)]).json()["data"]
    assert sorted(m["account"] for m in both) == sorted([a, b])
    one = admin.get("/__admin/emails", params={"account": c}).json()["data"]
    assert [m["account"] for m in one] == [c]


def test_shared_after_adds_shared_accounts_items_newer_than_the_cursor(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    mine, other = issued("smtp"), issued("smtp")
    to = f"{unique}@example.com"
    send_mail(server, None, to, "default before")  # an earlier test's mail, say
    send_mail(server, "plain-user", to, "plain before")
    cursor = seq(admin)
    send_mail(server, mine, to, "mine")
    send_mail(server, other, to, "another test's")
    send_mail(server, None, to, "default after")
    send_mail(server, "plain-user", to, "plain after")
    scope = [("account", mine), ("shared_after", str(cursor)), ("to", to)]
    seen = admin.get("/__admin/emails", params=scope).json()["data"]
    assert [m["subject"] for m in seen] == ["mine", "default after", "plain after"]
    # Without the account, only the shared items after the cursor.
    only_shared = admin.get("/__admin/emails", params=scope[1:]).json()["data"]
    assert [m["subject"] for m in only_shared] == ["default after", "plain after"]
    # The wait sees the same scope; `after` still applies on top of it.
    waited = admin.get("/__admin/emails/wait", params=[*scope, ("count", "3"), ("timeout", "5")])
    assert [m["subject"] for m in waited.json()["data"]] == ["mine", "default after", "plain after"]
    # Delete takes the scope too: the other test's mail stays.
    assert admin.request("DELETE", "/__admin/emails", params=scope).json()["deleted"] == 3
    assert [
        m["account"] for m in admin.get("/__admin/emails", params={"to": to}).json()["data"]
    ] == [
        "default",
        "plain-user",
        other,
    ]


def test_wait_timeout_near_misses_stay_in_the_scope(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    mine, other = issued("smtp"), issued("smtp")
    cursor = seq(admin)
    send_mail(server, other, f"other-{unique}@example.com", "not in my scope")
    send_mail(server, mine, f"mine-{unique}@example.com", "my near miss")
    send_mail(server, None, f"shared-{unique}@example.com", "shared near miss")
    r = admin.get(
        "/__admin/emails/wait",
        params={"account": mine, "shared_after": cursor, "to": "x@example.com", "timeout": 0.1},
    )
    assert r.status_code == 408
    err = r.json()["error"]
    assert [s["subject"] for s in err["recent"]] == ["my near miss", "shared near miss"]
    assert "not in my scope" not in err["message"]


def test_every_read_back_route_takes_the_scope(server: EmbeddedServer, admin: httpx.Client) -> None:
    sid, other_sid = issued("twilio"), issued("twilio")
    key, other_key = issued("stripe"), issued("stripe")
    cursor = seq(admin)
    # A StatusCallback nobody listens on still makes deliveries (they end failed).
    for s in (sid, other_sid):
        send_sms(server, s, "hello", callback="http://127.0.0.1:9/status")
    for k in (key, other_key):
        stripe.StripeClient(k, base_addresses={"api": server.url}).v1.customers.create()
    cases = [
        ("sms", sid, {}),
        ("requests", sid, {}),
        ("webhook-deliveries", sid, {}),
        ("requests", key, {"service": "stripe"}),
    ]
    for path, account, extra in cases:
        params = [("account", account), ("shared_after", str(cursor)), *extra.items()]
        data = admin.get(f"/__admin/{path}", params=params).json()["data"]
        assert data and {item["account"] for item in data} == {account}, path
        wait = admin.get(f"/__admin/{path}/wait", params=[*params, ("timeout", "5")])
        assert wait.status_code == 200, (path, wait.text)
    # Stripe events render as Stripe's Event object (no account field): one customer.created.
    params = [("account", key), ("shared_after", str(cursor))]
    events = admin.get("/__admin/stripe/events", params=params).json()["data"]
    assert [e["type"] for e in events] == ["customer.created"]
    theirs = admin.get("/__admin/stripe/events", params={"account": other_key}).json()["data"]
    assert events[0]["id"] not in {e["id"] for e in theirs}
    bad = admin.get("/__admin/sms", params={"shared_after": "soon"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "shared_after"
    empty = admin.get("/__admin/sms", params={"account": ""})
    assert empty.status_code == 400


def test_scoped_client_applies_the_scope_and_account_overrides_it(
    server: EmbeddedServer, unique: str
) -> None:
    mine, other = issued("smtp"), issued("smtp")
    to = f"{unique}@example.com"
    with FakeServices(server.url) as plain:
        cursor = plain.health().seq
        send_mail(server, mine, to, "mine")
        send_mail(server, other, to, "theirs")
        send_mail(server, None, to, "shared")
        scoped = plain.scoped(accounts=[mine], after=cursor)
        assert [m.subject for m in scoped.emails.list(to=to)] == ["mine", "shared"]
        assert [m.subject for m in scoped.emails.wait(to=to, count=2, timeout=5)] == [
            "mine",
            "shared",
        ]
        assert [m.subject for m in scoped.emails.list(to=to, account=other)] == ["theirs"]
        assert [m.subject for m in plain.emails.list(to=to)] == ["mine", "theirs", "shared"]
        with pytest.raises(WaitTimeout) as exc:
            scoped.emails.wait(to=to, subject="theirs", timeout=0.1)
        assert [r["subject"] for r in exc.value.recent] == ["mine", "shared"]
    # Closing the plain client closed the connection the scoped view shared.
    with pytest.raises(RuntimeError):
        scoped.emails.list()


async def test_async_scoped_client(server: EmbeddedServer, unique: str) -> None:
    mine = issued("smtp")
    to = f"{unique}@example.com"
    async with AsyncFakeServices(server.url) as plain:
        cursor = (await plain.health()).seq
        send_mail(server, issued("smtp"), to, "theirs")
        send_mail(server, mine, to, "mine")
        scoped = plain.scoped(accounts=[mine], after=cursor)
        assert [m.subject for m in await scoped.emails.list(to=to)] == ["mine"]
        assert len(await plain.emails.list(to=to)) == 2


def closed_port_url() -> str:
    """A URL where nothing listens (a port bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_client_says_when_the_server_cannot_be_reached() -> None:
    url = closed_port_url()
    with FakeServices(url) as client, pytest.raises(FakeServicesUnreachable) as exc:
        client.health()
    message = str(exc.value)
    assert url in message and "FAKESERVICES_URL" in message and "fakeservices serve" in message
