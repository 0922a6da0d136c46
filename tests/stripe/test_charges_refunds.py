"""Legacy Charges (source=tok_*), capture, list; Refunds full/partial and their errors."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.conftest import CARD


def test_charge_create_capture_list(gstripe: stripe) -> None:
    ch = gstripe.Charge.create(
        amount=2000, currency="usd", source="tok_visa", description="Order 1", metadata={"o": "1"}
    )
    assert ch.id.startswith("ch_") and ch.object == "charge"
    assert (ch.status, ch.paid, ch.captured, ch.amount_captured) == ("succeeded", True, True, 2000)
    assert ch.outcome.seller_message == "Payment complete."
    assert ch.payment_method_details.card.brand == "visa"
    assert ch.payment_intent is None
    held = gstripe.Charge.create(
        amount=3000, currency="usd", source="tok_mastercard", capture=False
    )
    assert (held.captured, held.amount_captured, held.balance_transaction) == (False, 0, None)
    cap = gstripe.Charge.capture(held.id, amount=2500)
    assert (cap.captured, cap.amount_captured) == (True, 2500)
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Charge.capture(held.id)
    assert info.value.code == "charge_already_captured"
    listed = gstripe.Charge.list(limit=10)
    assert [c.id for c in listed.data] == [held.id, ch.id]
    updated = gstripe.Charge.modify(ch.id, description="Order 1b")
    assert updated.description == "Order 1b"


def test_charge_needs_a_source(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create(params={"amount": 1000, "currency": "usd"})
    assert info.value.user_message == "Must provide source or customer."
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create(params={"amount": 1000, "currency": "usd", "source": "tok_nope"})
    assert (info.value.param, info.value.code) == ("source", "resource_missing")


def test_refunds_full_partial_and_too_much(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **CARD,
        }  # type: ignore[typeddict-item]
    )
    r1 = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 500, "reason": "requested_by_customer"}
    )
    assert r1.id.startswith("re_") and r1.object == "refund"
    assert (r1.amount, r1.status, r1.charge, r1.payment_intent) == (
        500,
        "succeeded",
        pi.latest_charge,
        pi.id,
    )
    ch = client.v1.charges.retrieve(pi.latest_charge)
    assert (ch.amount_refunded, ch.refunded) == (500, False)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": ch.id, "amount": 2000})
    assert info.value.param == "amount"
    assert info.value.user_message == (
        "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)"
    )
    r2 = client.v1.refunds.create(params={"charge": ch.id})
    assert r2.amount == 1500
    ch = client.v1.charges.retrieve(pi.latest_charge)
    assert (ch.amount_refunded, ch.refunded) == (2000, True)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": ch.id})
    assert info.value.code == "charge_already_refunded"
    assert info.value.user_message == f"Charge {ch.id} has already been refunded."
    listed = client.v1.refunds.list(params={"charge": ch.id})
    assert [r.id for r in listed.data] == [r2.id, r1.id]
    expanded = client.v1.charges.retrieve(ch.id, params={"expand": ["refunds"]})
    assert expanded.refunds.total_count == 2
    assert [r.id for r in expanded.refunds.data] == [r2.id, r1.id]


def test_refund_via_charge_path_and_errors(gstripe: stripe) -> None:
    ch = gstripe.Charge.create(amount=1000, currency="usd", source="tok_visa")
    refund = gstripe.Refund.create(charge=ch.id, amount=300, metadata={"why": "damaged"})
    assert refund.metadata.to_dict() == {"why": "damaged"}
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Refund.create(charge="ch_nope")
    assert (info.value.http_status, info.value.param) == (400, "charge")
    with pytest.raises(stripe.InvalidRequestError):
        gstripe.Refund.create(charge=ch.id, amount=0)
    unpaid = gstripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method_types=["card"]
    )
    with pytest.raises(stripe.InvalidRequestError):
        gstripe.Refund.create(payment_intent=unpaid.id)
