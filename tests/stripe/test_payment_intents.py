"""PaymentIntent flows: confirm, manual capture, cancel, update, list, bad transitions, 3DS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.stripe.conftest import CARD, EXP_YEAR


def confirmed(
    client: stripe.StripeClient, payment_method: str = "pm_card_visa", **extra: object
) -> stripe.PaymentIntent:
    """A card-only PaymentIntent created with ``confirm=true`` (1000 usd unless overridden)."""
    params: dict[str, object] = {
        "amount": 1000,
        "currency": "usd",
        "payment_method": payment_method,
        "confirm": True,
        **CARD,
        **extra,
    }
    return client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]


def test_create_without_confirm_then_confirm(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 1500, "currency": "usd", **CARD})
    assert pi.status == "requires_payment_method"
    assert pi.object == "payment_intent" and pi.livemode is False
    assert pi.id.startswith("pi_") and len(pi.id) == 27
    assert pi.client_secret.startswith(f"{pi.id}_secret_")
    assert (pi.amount_received, pi.latest_charge, pi.capture_method) == (0, None, "automatic_async")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.confirm(pi.id)
    assert info.value.user_message.startswith(
        "You cannot confirm this PaymentIntent because it's missing a payment method."
    )
    done = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    assert done.amount_received == 1500
    ch = client.v1.charges.retrieve(done.latest_charge)
    assert (ch.payment_intent, ch.amount, ch.captured, ch.status) == (
        pi.id,
        1500,
        True,
        "succeeded",
    )
    assert ch.balance_transaction.startswith("txn_")


def test_confirm_with_created_pm_and_with_payment_method_data(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "5555555555554444", "exp_month": 4, "exp_year": EXP_YEAR},
        }
    )
    pi = client.v1.payment_intents.create(
        params={"amount": 900, "currency": "eur", "payment_method": pm.id, **CARD}
    )
    assert pi.status == "requires_confirmation"
    assert client.v1.payment_intents.confirm(pi.id).status == "succeeded"
    pi2 = client.v1.payment_intents.create(params={"amount": 900, "currency": "usd", **CARD})
    done = client.v1.payment_intents.confirm(
        pi2.id,
        params={"payment_method_data": {"type": "card", "card": {"token": "tok_amex"}}},
    )
    assert done.status == "succeeded"
    assert client.v1.payment_methods.retrieve(done.payment_method).card.brand == "amex"


def test_automatic_payment_methods_need_a_return_url(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
            }
        )
    assert "you must provide a `return_url`" in info.value.user_message
    assert client.v1.payment_intents.list().data == []  # nothing was created
    ok = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert ok.status == "succeeded"
    ok2 = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "return_url": "https://shop.example/back",
        }
    )
    assert ok2.status == "succeeded"


def test_manual_capture_full_and_partial(gstripe: stripe) -> None:
    pi = gstripe.PaymentIntent.create(
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
        payment_method_types=["card"],
    )
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 5000, 0)
    ch = gstripe.Charge.retrieve(pi.latest_charge)
    assert (ch.captured, ch.amount_captured, ch.balance_transaction) == (False, 0, None)
    captured = gstripe.PaymentIntent.capture(pi.id, amount_to_capture=3000)
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded",
        3000,
        0,
    )
    ch = gstripe.Charge.retrieve(pi.latest_charge)
    assert (ch.captured, ch.amount_captured) == (True, 3000)
    # full capture
    pi2 = gstripe.PaymentIntent.create(
        amount=2500,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        capture_method="manual",
        payment_method_types=["card"],
    )
    assert pi2.capture().amount_received == 2500


def test_capture_more_than_capturable(client: stripe.StripeClient) -> None:
    pi = confirmed(client, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 1001})
    assert info.value.param == "amount_to_capture"
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            lambda c, pi: c.v1.payment_intents.capture(pi),
            "This PaymentIntent could not be captured because it has a status of succeeded. Only "
            "a PaymentIntent with one of the following statuses may be captured: "
            "requires_capture.",
        ),
        (
            lambda c, pi: c.v1.payment_intents.cancel(pi),
            "You cannot cancel this PaymentIntent because it has a status of succeeded.",
        ),
        (
            lambda c, pi: c.v1.payment_intents.confirm(pi),
            "You cannot confirm this PaymentIntent because it has already succeeded",
        ),
        (
            lambda c, pi: c.v1.payment_intents.update(pi, params={"amount": 5}),
            "This PaymentIntent's amount could not be updated because it has a status of "
            "succeeded.",
        ),
    ],
    ids=["capture", "cancel", "confirm", "update-amount"],
)
def test_invalid_transitions_of_a_succeeded_intent(
    client: stripe.StripeClient, operation: Any, message: str
) -> None:
    pi = confirmed(client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        operation(client, pi.id)
    err = info.value
    assert (err.http_status, err.code) == (400, "payment_intent_unexpected_state")
    assert err.user_message.startswith(message)
    assert err.error.payment_intent.id == pi.id
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_metadata_updates_after_success_and_capture_before_confirm(
    client: stripe.StripeClient,
) -> None:
    pi = confirmed(client)
    assert client.v1.payment_intents.update(
        pi.id, params={"metadata": {"a": "b"}}
    ).metadata.to_dict() == {"a": "b"}
    fresh = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", **CARD})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(fresh.id)
    assert "status of requires_payment_method" in info.value.user_message


def test_cancel_with_reason_and_from_requires_capture(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", **CARD})
    c = client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )
    assert (c.status, c.cancellation_reason) == ("canceled", "requested_by_customer")
    assert isinstance(c.canceled_at, int)
    held = confirmed(client, capture_method="manual")
    c2 = client.v1.payment_intents.cancel(held.id)
    assert (c2.status, c2.amount_capturable) == ("canceled", 0)
    assert client.v1.charges.retrieve(held.latest_charge).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.confirm(c2.id, params={"payment_method": "pm_card_visa"})
    assert "status of canceled" in info.value.user_message


def test_update_and_metadata_rules(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "usd", "metadata": {"a": "1", "b": "2"}, **CARD}
    )
    up = client.v1.payment_intents.update(
        pi.id, params={"amount": 1200, "description": "order 7", "metadata": {"a": "", "c": "3"}}
    )
    assert (up.amount, up.description) == (1200, "order 7")
    assert up.metadata.to_dict() == {"b": "2", "c": "3"}
    cleared = client.v1.payment_intents.update(pi.id, params={"metadata": ""})  # type: ignore[typeddict-item]
    assert cleared.metadata.to_dict() == {}
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.update(pi.id, params={"metadata": {"k" * 41: "v"}})
    assert info.value.param == f"metadata[{'k' * 41}]"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.update(pi.id, params={"metadata": {"k": "v" * 501}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.update(
            pi.id, params={"metadata": {f"k{i}": "v" for i in range(51)}}
        )


def test_list_with_customer_filter_and_pagination(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create()
    mine = [
        client.v1.payment_intents.create(
            params={"amount": 1000 + i, "currency": "usd", "customer": cus.id, **CARD}
        )
        for i in range(5)
    ]
    client.v1.payment_intents.create(params={"amount": 999, "currency": "usd", **CARD})
    page = client.v1.payment_intents.list(params={"customer": cus.id, "limit": 2})
    assert [p.id for p in page.data] == [mine[4].id, mine[3].id]
    assert page.has_more is True and page.url == "/v1/payment_intents"
    everything = [p.id for p in page.auto_paging_iter()]
    assert everything == [p.id for p in reversed(mine)]
    before = client.v1.payment_intents.list(
        params={"customer": cus.id, "ending_before": mine[1].id, "limit": 2}
    )
    assert [p.id for p in before.data] == [mine[3].id, mine[2].id]
    assert len(client.v1.payment_intents.list().data) == 6
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.list(params={"limit": 101})
    assert info.value.param == "limit"


@pytest.mark.parametrize(
    ("card", "outcome", "status", "error_code"),
    [
        ("pm_card_threeDSecure2Required", "succeed", "succeeded", None),
        ("pm_card_authenticationRequired", "fail", "requires_payment_method", "authentication"),
        (
            "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
            "succeed",
            "requires_payment_method",
            "insufficient_funds",
        ),
    ],
    ids=["authenticated", "authentication-failed", "declined-after-authentication"],
)
def test_3ds_requires_action_then_admin_authenticates(
    client: stripe.StripeClient,
    admin: httpx.Client,
    key: str,
    card: str,
    outcome: str,
    status: str,
    error_code: str | None,
) -> None:
    pi = confirmed(client, card, amount=3000)
    assert (pi.status, pi.next_action.type) == ("requires_action", "use_stripe_sdk")
    r = admin.post(
        f"/__admin/stripe/payment_intents/{pi.id}/authenticate",
        params={"account": key},
        json={"outcome": outcome},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == status
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == status
    if error_code is None:
        assert after.amount_received == 3000
        ch = client.v1.charges.retrieve(after.latest_charge)
        assert ch.payment_method_details.card.three_d_secure.result == "authenticated"
    elif error_code == "authentication":
        assert after.last_payment_error.code == "payment_intent_authentication_failure"
        assert after.payment_method is None
    else:
        assert after.last_payment_error.decline_code == error_code
        assert client.v1.charges.retrieve(after.latest_charge).status == "failed"


def test_3ds_return_url_and_admin_errors(client: stripe.StripeClient, admin: httpx.Client) -> None:
    pi = confirmed(client, "pm_card_authenticationRequired", return_url="https://shop.example/r")
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/r"
    url = f"/__admin/stripe/payment_intents/{pi.id}/authenticate"
    assert admin.post(url, json={"outcome": "maybe"}).status_code == 400
    assert admin.post(url, json={}).status_code == 200  # succeed is the default
    assert admin.post(url, json={}).status_code == 409  # not awaiting authentication any more
    missing = admin.post("/__admin/stripe/payment_intents/pi_nope/authenticate", json={})
    assert missing.status_code == 404


def test_declined_intent_can_be_retried_with_another_card(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        confirmed(client, "pm_card_chargeDeclined")
    pi_id = info.value.error.payment_intent.id
    assert info.value.error.payment_method.card.last4 == "0002"
    ok = client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert ok.status == "succeeded"
    assert ok.last_payment_error is None
    charges = client.v1.charges.list(params={"payment_intent": pi_id})
    assert [c.status for c in charges.data] == ["succeeded", "failed"]
