"""The shop's integration tests: real components (SQLite, HTTP) and the real SDKs talking to
fakeservices, no mocks. Read-back through ``fake`` is scoped to the test, so no ``account=`` is
needed: these tests pass embedded, on a shared sidecar, twice in a row and under ``pytest -n 2``."""

from __future__ import annotations

import time

from conftest import Shop

from fakeservices.pytest_plugin import Fake


def test_registration_stores_the_user_and_sends_a_welcome_email(shop: Shop, fake: Fake) -> None:
    r = shop.register("John Doe", "john@example.com")
    assert r.status_code == 201
    assert r.json()["welcome_email"] == "sent"

    user = shop.http.get(f"/users/{r.json()['id']}").json()
    assert user["name"] == "John Doe" and user["email"] == "john@example.com"

    [mail] = fake.emails.wait(to="john@example.com", subject="Welcome")
    assert "John Doe" in mail.subject
    assert "Hello John Doe" in (mail.text or "")
    assert "<b>John Doe</b>" in (mail.html or "")


def test_order_charges_the_card_records_the_payment_and_texts_the_customer(
    shop: Shop, fake: Fake
) -> None:
    user = shop.register("Ann", "ann@example.com", phone="+15558675310").json()
    r = shop.order(user["id"], 2599, "pm_card_visa")
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "paid" and order["payment_intent"].startswith("pi_")

    stored = shop.http.get(f"/orders/{order['id']}").json()
    assert stored["status"] == "paid"

    intent = fake.stripe_client().v1.payment_intents.retrieve(order["payment_intent"])
    assert intent.status == "succeeded" and intent.amount_received == 2599
    assert intent.metadata["order_id"] == str(order["id"])

    [sms] = fake.sms.wait(to="+15558675310")
    assert sms.body == f"Order #{order['id']} paid: 25.99 USD. Thank you!"


def test_declined_card_is_reported_and_nothing_is_sent(shop: Shop, fake: Fake) -> None:
    user = shop.register("Dan", "dan@example.com", phone="+15558675311").json()
    r = shop.order(user["id"], 1000, "pm_card_visa_chargeDeclinedInsufficientFunds")
    assert r.status_code == 402
    body = r.json()
    assert body["status"] == "declined"
    assert body["decline_code"] == "insufficient_funds"
    assert "insufficient funds" in body["error"].lower()

    assert shop.http.get(f"/orders/{body['id']}").json()["status"] == "declined"
    intent = fake.stripe_client().v1.payment_intents.retrieve(body["payment_intent"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert fake.sms.list() == []


def test_email_outage_keeps_the_user(shop: Shop, fake: Fake) -> None:
    with fake.faults.add(
        "smtp",
        {"type": "smtp_reply", "code": 451, "enhanced": "4.3.0", "stage": "rcpt"},
        {"to": "jane@example.com"},
    ):
        r = shop.register("Jane Doe", "jane@example.com")
    assert r.status_code == 201
    assert r.json()["welcome_email"] == "failed"
    user = shop.http.get(f"/users/{r.json()['id']}").json()
    assert user["name"] == "Jane Doe" and user["welcome_email"] == "failed"
    assert fake.emails.list(to="jane@example.com") == []
    [refused] = fake.requests.list(service="smtp", method="RCPT")
    assert refused.status == 451 and refused.fault is not None


def test_payment_timeout_is_reported_cleanly(shop: Shop, fake: Fake) -> None:
    user = shop.register("Tim", "tim@example.com", phone="+15558675312").json()
    t0 = time.monotonic()
    r = shop.order(user["id"], 500, "pm_card_timeout")  # the shop gives Stripe 2 s
    assert r.status_code == 504
    assert time.monotonic() - t0 < 30
    body = r.json()
    assert body["status"] == "timeout" and "unreachable" in body["error"]
    assert shop.http.get(f"/orders/{body['id']}").json()["status"] == "timeout"
    # Nothing was charged: no intent succeeded and no SMS went out.
    intents = fake.stripe_client().v1.payment_intents.list()
    assert all(pi.status != "succeeded" for pi in intents.data)
    assert fake.sms.list() == []


def test_stripe_outage_then_recovery(shop: Shop, fake: Fake) -> None:
    user = shop.register("Olga", "olga@example.com").json()
    with fake.faults.add(
        "stripe", {"type": "error", "status": 500}, {"account": fake.stripe_key}, times=1
    ):
        failed = shop.order(user["id"], 700, "pm_card_visa")
    assert failed.status_code == 502 and failed.json()["status"] == "error"
    assert shop.order(user["id"], 700, "pm_card_visa").status_code == 201


def test_webhook_marks_the_order_confirmed(shop: Shop, fake: Fake) -> None:
    user = shop.register("Wes", "wes@example.com").json()
    order = shop.order(user["id"], 1200, "pm_card_visa").json()
    [delivery] = fake.webhook_deliveries.wait(
        service="stripe",
        event="payment_intent.succeeded",
        state="delivered",
    )
    assert delivery.url == f"{shop.url}/webhooks/stripe"
    assert delivery.attempts[-1].status == 200
    assert shop.http.get(f"/orders/{order['id']}").json()["webhook_confirmed"] == 1
