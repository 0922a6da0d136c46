"""Checkout in ``subscription`` mode: completing the session subscribes the customer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from fakeservices.client import FakeServices, FakeServicesError
from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import Landing


@pytest.fixture
def fake(server: EmbeddedServer) -> Iterator[FakeServices]:
    with FakeServices(server.url) as client:
        yield client


@pytest.fixture
def monthly(client: stripe.StripeClient) -> Any:
    return client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1200,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Team"},
        }
    )


def _session(client: stripe.StripeClient, price: Any, **extra: Any) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": "https://example.com/ok",
            **extra,
        }
    )


def test_completing_creates_customer_subscription_and_paid_invoice(
    client: stripe.StripeClient, monthly: Any, fake: FakeServices
) -> None:
    cs = _session(client, monthly, customer_email="team@example.com")
    assert cs.mode == "subscription" and cs.payment_status == "unpaid"
    assert cs.amount_total == 2400 and cs.subscription is None
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa")
    assert done["status"] == "complete" and done["payment_status"] == "paid"
    session = client.v1.checkout.sessions.retrieve(
        cs.id, params={"expand": ["subscription", "invoice"]}
    )
    sub, inv = session.subscription, session.invoice
    assert isinstance(sub, stripe.Subscription) and isinstance(inv, stripe.Invoice)
    assert sub.status == "active" and sub.customer == session.customer
    assert sub["items"].data[0].quantity == 2
    assert inv.status == "paid" and inv.amount_paid == 2400 and sub.latest_invoice == inv.id
    customer = client.v1.customers.retrieve(str(session.customer))
    assert customer.email == "team@example.com"
    assert sub.default_payment_method is not None


def test_a_trial_completes_with_nothing_to_pay(
    client: stripe.StripeClient, monthly: Any, fake: FakeServices
) -> None:
    cs = _session(client, monthly, subscription_data={"trial_period_days": 7})
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa", email="t@example.com")
    assert done["status"] == "complete" and done["payment_status"] == "no_payment_required"
    sub = client.v1.subscriptions.retrieve(done["subscription"])
    assert sub.status == "trialing" and sub.trial_end == sub.trial_start + 7 * 86400


def test_decline_keeps_the_session_open_and_the_next_card_pays(
    client: stripe.StripeClient, monthly: Any, fake: FakeServices
) -> None:
    cs = _session(client, monthly)
    with pytest.raises(FakeServicesError) as declined:
        fake.complete_checkout(cs.id, payment_method="pm_card_chargeCustomerFail")
    assert declined.value.status == 402
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa")
    assert done["status"] == "complete"
    assert len(client.v1.subscriptions.list(params={"status": "all"}).data) == 1
    assert client.v1.subscriptions.retrieve(done["subscription"]).status == "active"


def test_3ds_completes_after_authentication(
    client: stripe.StripeClient, monthly: Any, fake: FakeServices
) -> None:
    cs = _session(client, monthly)
    waiting = fake.complete_checkout(
        cs.id, payment_method="pm_card_threeDSecure2Required", three_d_secure="pending"
    )
    assert waiting["status"] == "open"
    [sub] = client.v1.subscriptions.list(params={"status": "incomplete"}).data
    inv = client.v1.invoices.retrieve(str(sub.latest_invoice), params={"expand": ["payments"]})
    pi_id = inv.payments.data[0].payment.payment_intent
    assert client.v1.payment_intents.retrieve(pi_id).status == "requires_action"
    fake.authenticate_payment(pi_id)
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "complete"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    default = fake.complete_checkout(
        _session(client, monthly).id, payment_method="pm_card_threeDSecure2Required"
    )
    assert default["status"] == "complete"  # authenticated by default


def test_the_hosted_page_subscribes_through_3ds(
    client: stripe.StripeClient, monthly: Any, landing: Landing
) -> None:
    cs = _session(client, monthly, success_url=f"{landing.url}/thanks")
    with httpx.Client(timeout=30) as browser:
        page = browser.get(cs.url)
        assert page.status_code == 200 and "$24.00" in page.text
        challenge = browser.post(
            cs.url, data={"payment_method": "pm_card_threeDSecure2Required", "email": "p@x.io"}
        )
        assert challenge.status_code == 200 and 'id="authenticate-succeed"' in challenge.text
        passed = browser.post(f"{cs.url}/authenticate", data={"outcome": "succeed"})
    assert passed.status_code == 303 and passed.headers["location"] == f"{landing.url}/thanks"
    done = client.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["subscription"]})
    assert done.status == "complete" and isinstance(done.subscription, stripe.Subscription)
    assert done.subscription.status == "active"
