"""SetupIntents: create/confirm/cancel/list, declines and 3DS through the admin hook."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.stripe.conftest import CARD


def test_setup_intent_succeeds_and_attaches(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create()
    si = client.v1.setup_intents.create(params={"customer": cus.id, **CARD})
    assert si.id.startswith("seti_") and si.status == "requires_payment_method"
    assert si.usage == "off_session" and si.client_secret.startswith(f"{si.id}_secret_")
    done = client.v1.setup_intents.confirm(si.id, params={"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    pm = client.v1.payment_methods.retrieve(done.payment_method)
    assert pm.customer == cus.id
    listed = client.v1.setup_intents.list(params={"customer": cus.id})
    assert [s.id for s in listed.data] == [si.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.cancel(si.id)
    assert info.value.code == "setup_intent_unexpected_state"


def test_setup_intent_decline(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.setup_intents.create(
            params={
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "confirm": True,
                **CARD,
            }  # type: ignore[typeddict-item]
        )
    err = info.value
    assert err.error.decline_code == "insufficient_funds"
    si = err.error.setup_intent
    assert si.status == "requires_payment_method"
    assert si.last_setup_error.code == "card_declined"


def test_setup_intent_3ds_and_cancel(
    client: stripe.StripeClient, admin: httpx.Client, key: str
) -> None:
    si = client.v1.setup_intents.create(
        params={"payment_method": "pm_card_authenticationRequiredOnSetup", "confirm": True, **CARD}  # type: ignore[typeddict-item]
    )
    assert si.status == "requires_action" and si.next_action.type == "use_stripe_sdk"
    r = admin.post(
        f"/__admin/stripe/setup_intents/{si.id}/authenticate", json={"outcome": "succeed"}
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded"
    # once set up, an off-session payment on that card works without a challenge
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": si.payment_method,
            "confirm": True,
            "off_session": True,
            **CARD,
        }  # type: ignore[typeddict-item]
    )
    assert pi.status == "succeeded"
    other = client.v1.setup_intents.create(params={**CARD})
    canceled = client.v1.setup_intents.cancel(other.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert "setup_intent.succeeded" in types and "setup_intent.canceled" in types
