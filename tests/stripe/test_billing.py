"""Billing through stripe-python: test clocks, subscriptions, invoices, renewals and dunning."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import Receiver

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86400
FEB1 = T0 + 31 * DAY
JAN31 = T0 + 30 * DAY


def _clock(client: stripe.StripeClient, at: int = T0) -> Any:
    return client.v1.test_helpers.test_clocks.create(params={"frozen_time": at, "name": "t"})


def _customer(client: stripe.StripeClient, clock: Any, card: str = "pm_card_visa") -> Any:
    """A customer on ``clock`` with ``card`` (a ``pm_card_*`` name) as its default method."""
    cus = client.v1.customers.create(params={"test_clock": clock.id, "payment_method": card})
    [pm] = client.v1.customers.payment_methods.list(cus.id).data
    return client.v1.customers.update(
        cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )


def _price(client: stripe.StripeClient, amount: int = 2000, interval: str = "month") -> Any:
    return client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": interval},  # type: ignore[typeddict-item]
            "product_data": {"name": "Pro"},
        }
    )


def _advance(client: stripe.StripeClient, clock: Any, to: int) -> Any:
    return client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": to})


def _hook(client: stripe.StripeClient, receiver: Receiver) -> None:
    client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})


def _types(receiver: Receiver, prefixes: tuple[str, ...] = ("invoice.", "customer.sub")) -> list[str]:
    return [e["type"] for e in receiver.events() if e["type"].startswith(prefixes)]


# -- test clocks -----------------------------------------------------------------------------
def test_test_clock_create_retrieve_list_delete(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    assert clock.object == "test_helpers.test_clock"
    assert clock.frozen_time == T0 and clock.status == "ready" and clock.name == "t"
    assert clock.deletes_after == clock.created + 30 * DAY
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).id == clock.id
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock.id]
    cus = client.v1.customers.create(params={"test_clock": clock.id})
    assert cus.test_clock == clock.id and cus.created == T0
    gone = client.v1.test_helpers.test_clocks.delete(clock.id)
    assert gone.deleted is True
    assert client.v1.customers.retrieve(cus.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create(params={"test_clock": "clock_nope"})
    assert exc.value.http_status == 400 and exc.value.code == "resource_missing"


def test_advance_must_move_forward(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _advance(client, clock, T0)
    assert exc.value.param == "frozen_time"
    moved = _advance(client, clock, T0 + 5 * DAY)
    assert moved.status == "ready" and moved.frozen_time == T0 + 5 * DAY


# -- subscriptions ---------------------------------------------------------------------------
def test_subscription_create_pays_the_first_invoice(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    price = _price(client)
    sub = client.v1.subscriptions.create(
        params={
            "customer": cus.id,
            "items": [{"price": price.id}],
            "metadata": {"plan": "pro"},
            "expand": ["latest_invoice.payments", "latest_invoice.confirmation_secret"],
        }
    )
    assert sub.status == "active" and sub.created == T0 and sub.test_clock == clock.id
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (T0, FEB1)
    assert item.price.id == price.id and item.quantity == 1
    inv = sub.latest_invoice
    assert inv.status == "paid" and inv.billing_reason == "subscription_create"
    assert (inv.amount_due, inv.amount_paid, inv.amount_remaining) == (2000, 2000, 0)
    assert inv.attempt_count == 1 and inv.number.endswith("-0001")
    assert inv.lines.data[0].description == "1 × Pro (at $20.00 / month)"
    [payment] = inv.payments.data
    pi = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert pi.status == "succeeded" and pi.amount == 2000
    assert inv.confirmation_secret.client_secret == pi.client_secret
    page = httpx.get(inv.hosted_invoice_url)
    assert page.status_code == 200 and "$20.00" in page.text and "paid" in page.text


def test_renewals_over_a_year(client: stripe.StripeClient, receiver: Receiver) -> None:
    clock = _clock(client, JAN31)  # anchored on the 31st: Feb 28, Mar 31, Apr 30...
    cus = _customer(client, clock)
    sub = client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(client).id}]}
    )
    _hook(client, receiver)  # from here on, only what advance delivers (before it returns)
    one_year = JAN31 + 365 * DAY
    assert _advance(client, clock, one_year).status == "ready"
    invoices = client.v1.invoices.list(params={"subscription": sub.id, "limit": 100}).data
    assert len(invoices) == 13 and {i.status for i in invoices} == {"paid"}
    assert [i.billing_reason for i in invoices].count("subscription_cycle") == 12
    sub = client.v1.subscriptions.retrieve(sub.id)
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert item.current_period_start == JAN31 + 365 * DAY  # 2027-01-31
    feb = invoices[-2]
    assert feb.lines.data[0].period.start == JAN31 + 28 * DAY  # 2026-02-28
    # the webhooks arrived before advance returned, each renewal in Stripe's order
    renewal = [
        "invoice.created",
        "customer.subscription.updated",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    assert _types(receiver) == renewal * 12
    clock_events = _types(receiver, ("test_helpers.",))
    assert clock_events == ["test_helpers.test_clock.advancing", "test_helpers.test_clock.ready"]
    assert receiver.events()[-1]["type"] == "test_helpers.test_clock.ready"
