"""Events (list/retrieve) and signed webhook deliveries to a real receiving HTTP server."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import stripe

from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import CARD, Receiver


def pay(client: stripe.StripeClient, pm: str = "pm_card_visa") -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "payment_method": pm, "confirm": True, **CARD}  # type: ignore[typeddict-item]
    )


def test_events_list_and_retrieve(client: stripe.StripeClient, admin: httpx.Client) -> None:
    pi = pay(client)
    events = client.v1.events.list()
    types = [e.type for e in events.data]
    assert types == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.created"]
    created = client.v1.events.list(params={"type": "payment_intent.created"}).data[0]
    assert created.id.startswith("evt_") and created.object == "event"
    assert created.data.object.id == pi.id and created.data.object.status == "requires_confirmation"
    assert created.request.id == pi.last_response.request_id
    assert created.request.idempotency_key  # the SDK sends one on every POST
    assert client.v1.events.retrieve(created.id).type == "payment_intent.created"
    wild = client.v1.events.list(params={"type": "charge.*"})
    assert [e.type for e in wild.data] == ["charge.succeeded"]
    assert admin.get("/__admin/health").json()["counts"]["stripe_events"] >= 3


def test_events_for_declines_refunds_and_customers(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create(params={"email": "ev@example.com"})
    client.v1.customers.update(cus.id, params={"name": "Eve"})
    with contextlib.suppress(stripe.CardError):
        pay(client, "pm_card_chargeDeclined")
    pi = pay(client)
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    for expected in (
        "customer.created",
        "customer.updated",
        "charge.failed",
        "payment_intent.payment_failed",
        "charge.refunded",
        "refund.created",
    ):
        assert expected in types
    updated = client.v1.events.list(params={"type": "customer.updated"}).data[0]
    assert updated.data.previous_attributes.name is None
    refunded = client.v1.events.list(params={"type": "charge.refunded"}).data[0]
    assert refunded.data.object.amount_refunded == 100


def test_webhooks_are_signed_and_verifiable(
    client: stripe.StripeClient, receiver: Receiver, admin: httpx.Client, key: str
) -> None:
    we = client.v1.webhook_endpoints.create(
        params={
            "url": receiver.url,
            "enabled_events": ["payment_intent.succeeded", "charge.succeeded"],
        }
    )
    assert we.secret.startswith("whsec_") and we.status == "enabled"
    assert "secret" not in client.v1.webhook_endpoints.retrieve(we.id)
    pi = pay(client)
    r = admin.get(
        "/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "state": "delivered", "count": 2, "timeout": 10},
    )
    assert r.status_code == 200, r.text
    assert sorted(d["event"] for d in r.json()["data"]) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    assert len(receiver.received) == 2
    for rec in receiver.received:
        assert rec.path == "/hooks"
        assert rec.headers["Content-Type"] == "application/json; charset=utf-8"
        event = stripe.Webhook.construct_event(
            rec.body.decode(), rec.headers["Stripe-Signature"], we.secret
        )
        assert event.type in ("charge.succeeded", "payment_intent.succeeded")
        if event.type == "payment_intent.succeeded":
            assert event.data.object.id == pi.id
            assert event.pending_webhooks == 1
    # a wrong secret does not verify
    rec = receiver.received[0]
    try:
        stripe.Webhook.construct_event(
            rec.body.decode(), rec.headers["Stripe-Signature"], "whsec_x"
        )
        raise AssertionError("signature should not verify")
    except stripe.SignatureVerificationError:
        pass


def test_webhooks_retry_on_non_2xx_and_record_attempts(
    client: stripe.StripeClient, receiver: Receiver, admin: httpx.Client, key: str
) -> None:
    receiver.statuses = [500, 503]
    client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["customer.created"]}
    )
    client.v1.customers.create()
    r = admin.get(
        "/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "event": "customer.created", "state": "delivered"},
    )
    assert r.status_code == 200, r.text
    delivery = r.json()["data"][0]
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["service"] == "stripe"
    assert len(receiver.received) == 3
    bodies = {rec.body for rec in receiver.received}
    assert len(bodies) == 1  # the same event each time
    listed = admin.get("/__admin/stripe/webhook-deliveries", params={"account": key}).json()
    assert [d["id"] for d in listed["data"]] == [delivery["id"]]


def test_webhook_gives_up_after_the_attempt_budget(
    client: stripe.StripeClient, receiver: Receiver, admin: httpx.Client, key: str
) -> None:
    receiver.statuses = [500] * 50
    client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
    client.v1.customers.create()
    r = admin.get(
        "/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "state": "failed", "timeout": 20},
    )
    assert r.status_code == 200, r.text
    assert all(a["status"] == 500 for a in r.json()["data"][0]["attempts"])


def test_endpoint_crud_and_filters(
    client: stripe.StripeClient, receiver: Receiver, admin: httpx.Client, key: str
) -> None:
    we = client.v1.webhook_endpoints.create(
        params={"url": receiver.url, "enabled_events": ["*"], "metadata": {"env": "ci"}}
    )
    listed = client.v1.webhook_endpoints.list()
    assert [w.id for w in listed.data] == [we.id]
    disabled = client.v1.webhook_endpoints.update(we.id, params={"disabled": True})
    assert disabled.status == "disabled"
    client.v1.customers.create()  # nothing is sent to a disabled endpoint
    client.v1.webhook_endpoints.update(
        we.id, params={"disabled": False, "enabled_events": ["payment_intent.created"]}
    )
    client.v1.customers.create()  # not subscribed
    client.v1.payment_intents.create(params={"amount": 500, "currency": "usd", **CARD})
    r = admin.get(
        "/__admin/stripe/webhook-deliveries/wait", params={"account": key, "state": "delivered"}
    )
    assert [d["event"] for d in r.json()["data"]] == ["payment_intent.created"]
    assert client.v1.webhook_endpoints.delete(we.id).deleted is True
    timed_out = admin.get(
        "/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "count": 2, "timeout": 0.2},
    )
    assert timed_out.status_code == 408
    assert timed_out.json()["error"]["matched"] == 1


def test_events_hold_each_object_as_it_was_when_emitted(
    server: EmbeddedServer, admin: httpx.Client, key: str
) -> None:
    """Events are frozen at emission and parsed on read: each ``data.object`` equals, key for
    key, the object the API answered at that moment, though the object changed afterwards, and
    the events API, the admin read-back and paging agree."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.url, headers=auth) as api:
        form = {"amount": "1500", "currency": "usd", "payment_method": "pm_card_visa"}
        created = api.post("/v1/payment_intents", data={**form, "payment_method_types[0]": "card"})
        pi_id = created.json()["id"]
        updated = api.post(f"/v1/payment_intents/{pi_id}", data={"metadata[step]": "two"})
        confirmed = api.post(f"/v1/payment_intents/{pi_id}/confirm")
        assert confirmed.json()["status"] == "succeeded"
        api.post(f"/v1/payment_intents/{pi_id}", data={"metadata[step]": "three"})

        def event(kind: str) -> dict[str, Any]:
            found = api.get("/v1/events", params={"type": kind}).json()["data"]
            assert len(found) == 1
            body: dict[str, Any] = found[0]
            return body

        assert event("payment_intent.created")["data"]["object"] == created.json()
        assert created.json()["metadata"] == {} and updated.json()["metadata"] == {"step": "two"}
        succeeded = event("payment_intent.succeeded")
        assert succeeded["data"]["object"] == confirmed.json()
        assert succeeded["data"]["object"]["metadata"] == {"step": "two"}
        charge = event("charge.succeeded")["data"]["object"]
        assert charge == api.get(f"/v1/charges/{confirmed.json()['latest_charge']}").json()

        listed = api.get("/v1/events").json()["data"]
        assert [e["type"] for e in listed] == [
            "payment_intent.succeeded",
            "charge.succeeded",
            "payment_intent.created",
        ]
        assert api.get(f"/v1/events/{succeeded['id']}").json() == succeeded
        after = api.get("/v1/events", params={"starting_after": listed[0]["id"], "limit": 1})
        assert after.json()["data"] == [listed[1]] and after.json()["has_more"] is True
        readback = admin.get("/__admin/stripe/events", params={"account": key}).json()["data"]
        assert sorted(readback, key=lambda e: e["id"]) == sorted(listed, key=lambda e: e["id"])
