"""Idempotency-Key replay and mismatch (per account), and expand[]."""

from __future__ import annotations

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import CARD


def test_replay_returns_the_first_response(client: stripe.StripeClient) -> None:
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    first = client.v1.payment_intents.create(
        params={**params, **CARD},  # type: ignore[typeddict-item]
        options={"idempotency_key": "order-1"},
    )
    again = client.v1.payment_intents.create(
        params={**params, **CARD},  # type: ignore[typeddict-item]
        options={"idempotency_key": "order-1"},
    )
    assert again.id == first.id
    assert again.last_response.headers["idempotent-replayed"] == "true"
    assert again.last_response.headers["original-request"] == first.last_response.request_id
    assert again.last_response.request_id != first.last_response.request_id
    assert len(client.v1.payment_intents.list().data) == 1
    assert len(client.v1.charges.list().data) == 1


def test_declines_are_replayed_too(client: stripe.StripeClient) -> None:
    params = {
        "amount": 1000,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
        **CARD,
    }
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_intents.create(params=params, options={"idempotency_key": "d-1"})  # type: ignore[arg-type]
        errors.append(info.value)
    assert errors[0].error.charge == errors[1].error.charge
    assert len(client.v1.charges.list().data) == 1


def test_mismatch_is_an_idempotency_error(client: stripe.StripeClient) -> None:
    client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": "k-9"}
    )
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": "k-9"}
        )
    assert info.value.http_status == 400
    assert info.value.error.type == "idempotency_error"
    assert info.value.user_message == (
        "Keys for idempotent requests can only be used with the same parameters they were first "
        "used with. Try using a key other than 'k-9' if you meant to execute a different request."
    )


def test_keys_are_per_account(server: EmbeddedServer, unique: str) -> None:
    a = stripe.StripeClient(f"sk_test_a{unique}", base_addresses={"api": server.url})
    b = stripe.StripeClient(f"sk_test_b{unique}", base_addresses={"api": server.url})
    ca = a.v1.customers.create(
        params={"email": "x@example.com"}, options={"idempotency_key": "same"}
    )
    cb = b.v1.customers.create(
        params={"email": "y@example.com"}, options={"idempotency_key": "same"}
    )
    assert ca.id != cb.id and cb.email == "y@example.com"


def test_validation_errors_are_not_saved(server: EmbeddedServer, key: str) -> None:
    h = {"Authorization": f"Bearer {key}", "Idempotency-Key": "v-1"}
    bad = httpx.post(f"{server.url}/v1/customers", data={"bogus": "1"}, headers=h)
    assert bad.status_code == 400
    good = httpx.post(f"{server.url}/v1/customers", data={"email": "ok@example.com"}, headers=h)
    assert good.status_code == 200 and good.json()["email"] == "ok@example.com"


def test_expand_single_nested_and_list(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create(params={"email": "e@example.com"})
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "customer": cus.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "expand": ["latest_charge", "customer", "payment_method"],
            **CARD,
        }  # type: ignore[typeddict-item]
    )
    assert pi.latest_charge.object == "charge" and pi.customer.email == "e@example.com"
    assert pi.payment_method.card.last4 == "4242"
    deep = client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    assert deep.latest_charge.balance_transaction.object == "balance_transaction"
    listed = client.v1.payment_intents.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.id == cus.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.retrieve(pi.id, params={"expand": ["metadata"]})
    assert info.value.user_message == "This property cannot be expanded (metadata)."
    assert info.value.param == "expand"
    plain = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", **CARD})
    null_expanded = client.v1.payment_intents.retrieve(plain.id, params={"expand": ["customer"]})
    assert null_expanded.customer is None
