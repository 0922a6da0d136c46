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


def _types(
    receiver: Receiver, prefixes: tuple[str, ...] = ("invoice.", "customer.sub")
) -> list[str]:
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
    assert inv.lines.data[0].description == "1 × Pro (at $20.00 / month)"  # noqa: RUF001
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


def _switch_card(client: stripe.StripeClient, cus: Any, name: str) -> Any:
    """Attach the test card ``tok_<name>`` and make it the customer's default."""
    pm = client.v1.payment_methods.create(params={"type": "card", "card": {"token": f"tok_{name}"}})
    client.v1.payment_methods.attach(pm.id, params={"customer": cus.id})
    client.v1.customers.update(
        cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return pm


def _subscribe(client: stripe.StripeClient, cus: Any, **extra: Any) -> Any:
    return client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": _price(client).id}], **extra}
    )


def test_trial_warns_then_ends_into_a_paid_period(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    _hook(client, receiver)
    sub = _subscribe(client, cus, trial_period_days=14)
    assert sub.status == "trialing" and sub.trial_start == T0 and sub.trial_end == T0 + 14 * DAY
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.status == "paid" and first.amount_due == 0
    assert first.lines.data[0].description == "Trial period for Pro"
    _advance(client, clock, T0 + 12 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "trialing"
    assert _types(receiver, ("customer.subscription.trial_will_end",)) == [
        "customer.subscription.trial_will_end"
    ]
    _advance(client, clock, T0 + 14 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "active" and sub.billing_cycle_anchor == T0 + 14 * DAY
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.amount_paid == 2000
    item = sub["items"].data[0]
    assert item.current_period_start == T0 + 14 * DAY
    updated = [e for e in receiver.events() if e["type"] == "customer.subscription.updated"][-1]
    assert updated["data"]["previous_attributes"]["status"] == "trialing"


def test_failed_renewal_goes_past_due_retries_then_cancels(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    _switch_card(client, cus, "chargeCustomerFail")
    _hook(client, receiver)
    _advance(client, clock, FEB1)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    inv = sub.latest_invoice
    assert sub.status == "past_due"
    assert inv.status == "open" and inv.attempt_count == 1
    assert inv.next_payment_attempt == FEB1 + 3 * DAY
    assert _types(receiver) == [
        "invoice.created",
        "customer.subscription.updated",
        "invoice.finalized",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    # the documented schedule: 3, 5 and 7 days after each failed attempt
    _advance(client, clock, FEB1 + 8 * DAY)
    inv = client.v1.invoices.retrieve(inv.id)
    assert inv.attempt_count == 3 and inv.next_payment_attempt == FEB1 + 15 * DAY
    _advance(client, clock, FEB1 + 15 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id)
    inv = client.v1.invoices.retrieve(inv.id)
    assert inv.attempt_count == 4 and inv.next_payment_attempt is None
    assert sub.status == "canceled" and sub.ended_at == FEB1 + 15 * DAY
    assert sub.cancellation_details.reason == "payment_failed"
    assert _types(receiver)[-2:] == ["invoice.payment_failed", "customer.subscription.deleted"]


def test_a_retry_that_succeeds_makes_it_active_again(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    _switch_card(client, cus, "chargeCustomerFail")
    _advance(client, clock, FEB1)
    _switch_card(client, cus, "visa")
    _advance(client, clock, FEB1 + 3 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "active"
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.attempt_count == 2


def test_3ds_on_renewal_leaves_the_invoice_open_with_requires_action(
    client: stripe.StripeClient,
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    _switch_card(client, cus, "threeDSecure2Required")
    _advance(client, clock, FEB1)
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice.payments"]})
    inv = sub.latest_invoice
    assert sub.status == "past_due" and inv.status == "open"
    pi_id = inv.payments.data[0].payment.payment_intent
    pi = client.v1.payment_intents.retrieve(pi_id)
    assert pi.status == "requires_action" and inv.next_payment_attempt is None


def test_decline_with_each_payment_behavior(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock, "pm_card_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as exc:
        _subscribe(client, cus, payment_behavior="error_if_incomplete")
    assert exc.value.code == "card_declined"
    assert client.v1.subscriptions.list(params={"status": "all"}).data == []
    sub = _subscribe(client, cus)  # allow_incomplete, the default
    assert sub.status == "incomplete"
    inv = client.v1.invoices.retrieve(sub.latest_invoice)
    assert inv.status == "open" and inv.next_payment_attempt is None
    _advance(client, clock, T0 + 23 * 3600)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "incomplete_expired"
    assert client.v1.invoices.retrieve(inv.id).status == "void"


def test_default_incomplete_then_the_client_confirms(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(
        client,
        cus,
        payment_behavior="default_incomplete",
        expand=["latest_invoice.confirmation_secret", "latest_invoice.payments"],
    )
    assert sub.status == "incomplete"
    inv = sub.latest_invoice
    secret = inv.confirmation_secret.client_secret
    pi_id = inv.payments.data[0].payment.payment_intent
    assert secret.startswith(pi_id + "_secret_")
    client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "active" and sub.latest_invoice.status == "paid"


def test_no_payment_method_is_a_clear_error(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        _subscribe(client, cus)
    assert "no attached payment source or default payment method" in str(exc.value)
    one_time = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 500, "product_data": {"name": "Once"}}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscriptions.create(
            params={"customer": cus.id, "items": [{"price": one_time.id}]}
        )
    assert exc.value.param == "items[0][price]" and "type=recurring" in str(exc.value)


def test_cancel_at_period_end_and_cancel_now(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    sub = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    assert sub.cancel_at == FEB1 and sub.canceled_at == T0 and sub.status == "active"
    _advance(client, clock, FEB1 + DAY)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled" and sub.ended_at == FEB1
    assert len(client.v1.invoices.list(params={"subscription": sub.id}).data) == 1
    other = _subscribe(client, cus)
    gone = client.v1.subscriptions.cancel(other.id)
    assert gone.status == "canceled" and gone.ended_at == FEB1 + DAY
    assert gone.cancellation_details.reason == "cancellation_requested"
    assert client.v1.subscriptions.list(params={"customer": cus.id}).data == []
    ended = client.v1.subscriptions.list(params={"customer": cus.id, "status": "canceled"})
    assert {s.id for s in ended.data} == {sub.id, other.id}


def test_quantity_change_needs_proration_none_and_bills_next_period(
    client: stripe.StripeClient,
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscriptions.update(sub.id, params={"items": [{"id": item.id, "quantity": 3}]})
    assert exc.value.param == "proration_behavior" and "prorations" in str(exc.value)
    client.v1.subscriptions.update(
        sub.id,
        params={"items": [{"id": item.id, "quantity": 3}], "proration_behavior": "none"},
    )
    _advance(client, clock, FEB1)
    inv = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert inv.amount_paid == 6000 and inv.lines.data[0].quantity == 3


def test_invoice_items_join_the_next_invoice(client: stripe.StripeClient) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    ii = client.v1.invoice_items.create(
        params={"customer": cus.id, "amount": 500, "currency": "usd", "description": "Setup"}
    )
    assert ii.invoice is None and ii.date == T0
    _advance(client, clock, FEB1)
    inv = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    assert inv.amount_paid == 2500
    assert [line.description for line in inv.lines.data][-1] == "Setup"
    assert client.v1.invoice_items.retrieve(ii.id).invoice == inv.id
    lines = client.v1.invoices.line_items.list(inv.id)
    assert [line.amount for line in lines.data] == [2000, 500]


def test_one_off_invoice_lifecycle(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    [pm] = client.v1.customers.payment_methods.list(cus.id).data
    client.v1.invoice_items.create(params={"customer": cus.id, "amount": 1200, "currency": "usd"})
    inv = client.v1.invoices.create(
        params={"customer": cus.id, "pending_invoice_items_behavior": "include"}
    )
    assert inv.status == "draft" and inv.amount_due == 1200 and inv.hosted_invoice_url is None
    inv = client.v1.invoices.finalize_invoice(inv.id)
    assert inv.status == "open" and inv.number is not None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.finalize_invoice(inv.id)
    paid = client.v1.invoices.pay(inv.id, params={"payment_method": pm.id})
    assert paid.status == "paid" and paid.amount_remaining == 0 and paid.attempt_count == 1
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.invoices.pay(inv.id)
    assert "already paid" in str(exc.value)
    other = client.v1.invoices.create(params={"customer": cus.id})
    client.v1.invoice_items.create(
        params={"customer": cus.id, "amount": 700, "currency": "usd", "invoice": other.id}
    )
    client.v1.invoices.finalize_invoice(other.id)
    assert client.v1.invoices.mark_uncollectible(other.id).status == "uncollectible"
    voided = client.v1.invoices.void_invoice(other.id)
    assert voided.status == "void" and voided.status_transitions.voided_at is not None
    draft = client.v1.invoices.create(params={"customer": cus.id})
    assert client.v1.invoices.delete(draft.id).deleted is True
    listed = client.v1.invoices.list(params={"customer": cus.id, "status": "paid"})
    assert [i.id for i in listed.data] == [inv.id]


def test_declined_invoice_pay_is_a_card_error(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create(params={"payment_method": "pm_card_chargeCustomerFail"})
    [pm] = client.v1.customers.payment_methods.list(cus.id).data
    client.v1.invoice_items.create(params={"customer": cus.id, "amount": 900, "currency": "usd"})
    inv = client.v1.invoices.create(
        params={"customer": cus.id, "pending_invoice_items_behavior": "include"}
    )
    with pytest.raises(stripe.CardError) as exc:
        client.v1.invoices.pay(inv.id, params={"payment_method": pm.id})
    assert exc.value.code == "card_declined"
    inv = client.v1.invoices.retrieve(inv.id)
    assert inv.status == "open" and inv.attempt_count == 1 and inv.amount_paid == 0


def test_subscription_list_filters(client: stripe.StripeClient, server: EmbeddedServer) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    a = _subscribe(client, cus)
    price = _price(client, 900)
    b = client.v1.subscriptions.create(params={"customer": cus.id, "items": [{"price": price.id}]})
    assert [s.id for s in client.v1.subscriptions.list(params={"price": price.id}).data] == [b.id]
    by_clock = client.v1.subscriptions.list(params={"test_clock": clock.id})
    assert [s.id for s in by_clock.data] == [b.id, a.id]
    assert client.v1.subscriptions.list(params={"status": "trialing"}).data == []
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.subscriptions.retrieve("sub_missing")
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


def test_after_retries_unpaid_leaves_later_invoices_draft(
    client: stripe.StripeClient, server: EmbeddedServer, key: str
) -> None:
    bad = httpx.post(
        f"{server.url}/__admin/stripe/billing/settings",
        params={"account": key},
        json={"after_retries": "sometimes"},
    )
    assert bad.status_code == 400
    ok = httpx.post(
        f"{server.url}/__admin/stripe/billing/settings",
        params={"account": key},
        json={"after_retries": "unpaid"},
    )
    assert ok.status_code == 200 and ok.json() == {"after_retries": "unpaid"}
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus)
    _switch_card(client, cus, "chargeCustomerFail")
    _advance(client, clock, FEB1 + 15 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
    _advance(client, clock, T0 + 59 * DAY)  # 2026-03-01
    sub = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert sub.status == "unpaid" and sub.latest_invoice.status == "draft"


def test_trial_end_now_and_a_trial_ending_without_a_payment_method(
    client: stripe.StripeClient,
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    sub = _subscribe(client, cus, trial_period_days=30)
    sub = client.v1.subscriptions.update(sub.id, params={"trial_end": "now"})
    assert sub.status == "active" and sub.billing_cycle_anchor == T0
    assert client.v1.invoices.retrieve(str(sub.latest_invoice)).amount_paid == 2000
    bare = client.v1.customers.create(params={"test_clock": clock.id})
    paused = _subscribe(
        client,
        bare,
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    canceled = _subscribe(
        client,
        bare,
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "cancel"}},
    )
    _advance(client, clock, T0 + 7 * DAY)
    assert client.v1.subscriptions.retrieve(paused.id).status == "paused"
    assert client.v1.subscriptions.retrieve(canceled.id).status == "canceled"


def test_a_failing_endpoint_costs_one_attempt_then_retries_in_the_background(
    client: stripe.StripeClient, receiver: Receiver, server: EmbeddedServer, key: str
) -> None:
    clock = _clock(client)
    cus = _customer(client, clock)
    _subscribe(client, cus)
    _hook(client, receiver)
    receiver.statuses = [500]  # the first delivery fails; every later one is answered 200
    _advance(client, clock, FEB1)
    deliveries = httpx.get(
        f"{server.url}/__admin/stripe/webhook-deliveries", params={"account": key, "limit": 100}
    ).json()["data"]
    [first] = [d for d in deliveries if d["event"] == "test_helpers.test_clock.advancing"]
    assert first["attempts"][0]["status"] == 500
    done = httpx.get(
        f"{server.url}/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "state": "delivered", "count": len(deliveries), "timeout": 10},
    )
    assert done.status_code == 200
    assert sorted(_types(receiver, ("invoice.paid",))) == ["invoice.paid"]
