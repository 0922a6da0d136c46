"""``GET /__admin/events``: Server-Sent Events over real sockets, fed by real SDKs and smtplib."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from email.message import EmailMessage

import httpx
import pytest
import stripe
from twilio.rest import Client

from fakeservices.server import EmbeddedServer, start_server
from tests.sms.helpers import Twilio, new_sid, point
from tests.sse import Message, open_stream


def send_mail(server: EmbeddedServer, user: str | None, subject: str, to: str = "b@x.test") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@x.test", to, subject
    msg.set_content("hello")
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        if user is not None:
            smtp.login(user, "pw")
        smtp.send_message(msg)


def kinds(messages: list[Message]) -> list[str | None]:
    return [m.event for m in messages]


def test_mail_stored_deleted_and_reset_of_one_account_only(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    mine, other = f"ev-{unique}", f"other-{unique}"
    params = [("account", mine), ("kind", "email"), ("kind", "reset")]
    with open_stream(server.url, params) as stream:
        send_mail(server, other, "not mine")
        send_mail(server, mine, "mine")
        msg = stream.next_event()
        assert msg.event == "email.stored"
        body = msg.data
        assert body["kind"] == "email.stored" and body["store"] == "emails"
        assert body["account"] == mine and body["data"]["subject"] == "mine"
        assert body["data"]["to"] == ["b@x.test"] and "html" not in body["data"]  # the head only
        assert msg.id == str(body["seq"])
        stored = admin.get(f"/__admin/emails/{body['id']}").json()
        assert stored["seq"] == body["seq"]
        assert admin.delete(f"/__admin/emails/{body['id']}").status_code == 200
        deleted = stream.next_event()
        assert (deleted.event, deleted.data["id"]) == ("email.deleted", body["id"])
        admin.post("/__admin/reset", params={"service": "email", "account": mine})
        reset = stream.until(lambda m: m.event == "reset" and m.data["account"] == mine)
        assert reset[-1].data["store"] == "emails" and reset[-1].data["data"] is None
        # The other account's mail never showed up on this stream.
        assert all(m.data["account"] in (mine, None) for m in [msg, deleted, *reset])


def test_accounts_repeat_and_kinds_filter(server: EmbeddedServer, unique: str) -> None:
    a, b, c = f"a-{unique}", f"b-{unique}", f"c-{unique}"
    params = [("account", a), ("account", b), ("kind", "email.stored")]
    with open_stream(server.url, params) as stream:
        for user in (c, a, b):
            send_mail(server, user, f"from {user}")
        got = [stream.next_event(), stream.next_event()]
        assert [m.data["account"] for m in got] == [a, b]
        # The journal entries of those sessions are there too, but not of kind email.stored.
        assert kinds(got) == ["email.stored", "email.stored"]


def test_sms_stored_then_each_status_change(server: EmbeddedServer) -> None:
    sid = new_sid()
    twilio = Twilio(sid, "tok", point(Client(sid, "tok"), server.url))
    with open_stream(server.url, {"account": twilio.sid, "kind": "sms"}) as stream:
        sent = twilio.client.messages.create(to="+15551234567", from_="+15557654321", body="hi")
        got = stream.until(lambda m: m.data["data"]["status"] == "delivered")
        assert got[0].event == "sms.stored" and got[0].data["id"] == sent.sid
        assert all(m.event == "sms.updated" for m in got[1:])
        statuses = [m.data["data"]["status"] for m in got]
        assert statuses[-2:] == ["sent", "delivered"]
        assert [h["status"] for h in got[-1].data["data"]["status_history"]][-1] == "delivered"


def test_stripe_events_webhook_deliveries_and_journal(server: EmbeddedServer, unique: str) -> None:
    key = f"sk_test_{unique}"
    client = stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)
    params = [("account", key), ("kind", "stripe_event"), ("kind", "webhook_delivery")]
    params.append(("kind", "request.stored"))
    with open_stream(server.url, params) as stream:
        # Nothing listens on port 9 (discard): every attempt fails and is recorded.
        client.v1.webhook_endpoints.create(
            params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["customer.created"]}
        )
        customer = client.v1.customers.create(params={"email": "c@x.test"})
        got = stream.until(
            lambda m: m.event == "webhook_delivery.updated" and len(m.data["data"]["attempts"]) >= 1
        )
        by_kind = {m.event: m for m in got}
        event = by_kind["stripe_event.stored"].data["data"]
        assert event["type"] == "customer.created"
        assert event["data"]["object"]["id"] == customer.id
        delivery = by_kind["webhook_delivery.stored"].data["data"]
        assert delivery["event"] == "customer.created" and delivery["ref"] == event["id"]
        requests = [m.data["data"] for m in got if m.event == "request.stored"]
        assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
            ("POST", "/v1/webhook_endpoints", 200),
            ("POST", "/v1/customers", 200),
        }
        assert "request_body" not in requests[0]  # bodies are read with /__admin/requests/{id}


def test_faults_added_fired_and_removed(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    user = f"flt-{unique}"
    with open_stream(server.url, {"account": user, "kind": "fault"}) as stream:
        rule = admin.post(
            "/__admin/faults",
            json={
                "service": "smtp",
                "match": {"account": user},
                "action": {"type": "smtp_reply", "code": 451, "message": "try later"},
                "times": 1,
            },
        ).json()
        added = stream.next_event()
        assert (added.event, added.data["id"]) == ("fault.added", rule["id"])
        assert added.data["data"]["action"]["code"] == 451
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_mail(server, user, "refused")
        fired = stream.next_event()
        assert fired.event == "fault.fired" and fired.data["account"] == user
        assert fired.data["data"]["rule"]["hits"] == 1
        assert fired.data["data"]["service"] == "smtp" and fired.data["data"]["stage"] == "rcpt"
        admin.delete(f"/__admin/faults/{rule['id']}")
        removed = stream.next_event()
        assert (removed.event, removed.data["id"]) == ("fault.removed", rule["id"])


def test_last_event_id_replays_what_is_held_then_goes_live(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    user = f"resume-{unique}"
    for n in range(3):
        send_mail(server, user, f"mail {n}")
    held = admin.get("/__admin/emails/wait", params={"account": user, "count": 3}).json()["data"]
    first = held[0]["seq"]
    params = {"account": user, "kind": "email"}
    with open_stream(server.url, params, headers={"Last-Event-ID": str(first)}) as stream:
        replayed = [stream.next_event(), stream.next_event()]
        assert [m.data["data"]["subject"] for m in replayed] == ["mail 1", "mail 2"]
        assert [int(m.id or 0) for m in replayed] == [held[1]["seq"], held[2]["seq"]]
        send_mail(server, user, "mail 3")
        live = stream.next_event()
        assert live.data["data"]["subject"] == "mail 3"  # no duplicate of the replayed ones
    # ?after= does the same (for curl, which sends no Last-Event-ID unless told).
    with open_stream(server.url, {**params, "after": held[1]["seq"]}) as stream:
        assert [stream.next_event().data["data"]["subject"] for _ in range(2)] == [
            "mail 2",
            "mail 3",
        ]


@pytest.mark.parametrize(
    ("params", "headers", "param"),
    [
        ({"kind": "nope"}, {}, "kind"),
        ({"kind": "email.fired"}, {}, "kind"),
        ({"account": ""}, {}, "account"),
        ({"after": "x"}, {}, "after"),
        ({"color": "red"}, {}, "color"),
        ({}, {"Last-Event-ID": "abc"}, "Last-Event-ID"),
    ],
)
def test_bad_filters_get_a_400_naming_them(
    admin: httpx.Client, params: dict[str, str], headers: dict[str, str], param: str
) -> None:
    r = admin.get("/__admin/events", params=params, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_parameter"
    assert r.json()["error"]["param"] == param


def test_heartbeats_are_comment_lines() -> None:
    with start_server(events_heartbeat_seconds=0.05) as server, open_stream(server.url) as stream:
        beats = [stream.next_message() for _ in range(2)]
        assert all(m.is_comment and m.comments == ["heartbeat"] for m in beats)


def test_a_slow_client_is_dropped_and_memory_stays_bounded() -> None:
    buffer = 8
    with start_server(events_buffer=buffer) as server:
        runtime = server.runtime
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(10)
        raw.connect(("127.0.0.1", server.http_port))
        with raw:
            raw.sendall(b"GET /__admin/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = b""
            while b"fakeservices events" not in head:  # subscribed
                chunk = raw.recv(4096)
                assert chunk, head
                head += chunk
            # This client reads nothing more; changes keep coming, each about 4 KB on the wire.

            async def flood() -> tuple[int, int]:
                held = 0
                for n in range(20_000):
                    runtime.journal.record(
                        service="test",
                        method="GET",
                        path="/" + "x" * 4000,
                        account="flood",
                        status=200,
                        started_at=0,
                        duration_ms=0,
                    )
                    held = max([held, *(len(s) for s in runtime.changes._subscriptions)])
                    if runtime.changes.subscriber_count == 0:
                        return n, held
                    await asyncio.sleep(0)  # let the stream write what it can
                return -1, held

            sent, held = server.run(flood(), 60)
            assert sent > 0, "the slow client was never dropped"
            assert held <= buffer
            rest = b""
            while chunk := raw.recv(65536):  # the server ends the stream after the notice
                rest += chunk
        tail = rest[-600:].decode("latin-1")
        assert "event: dropped" in tail and '"code":"dropped"' in tail
        assert tail.endswith("0\r\n\r\n")  # the chunked body was ended properly


def test_stopping_the_server_ends_open_streams() -> None:
    server = start_server()
    try:
        with open_stream(server.url) as stream:
            server.stop()
            assert not server._thread.is_alive()
            rest = list(stream.messages)  # ends (does not hang until the read timeout)
            assert all(m.is_comment or m.event for m in rest)
    finally:
        server.stop()


def test_events_are_described_in_the_openapi_document(admin: httpx.Client) -> None:
    ops = admin.get("/__admin/openapi.json").json()["paths"]["/__admin/events"]
    names = {p["name"] for p in ops["get"]["parameters"]}
    assert names == {"account", "kind", "after"}
    assert "text/event-stream" in ops["get"]["responses"]["200"]["content"]
