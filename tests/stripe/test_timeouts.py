"""Our timeout and slow magic values: the request hangs (state unchanged) or answers after 3 s."""

from __future__ import annotations

import time

import pytest
import stripe

from fakeservices.server import EmbeddedServer, start_server
from tests.stripe.conftest import CARD, EXP_YEAR


def test_timeout_card_hangs_until_the_client_gives_up(unique: str) -> None:
    with start_server(hold_seconds=30) as server:
        client = stripe.StripeClient(
            f"sk_test_{unique}",
            base_addresses={"api": server.url},
            http_client=stripe.RequestsClient(timeout=0.5),
            max_network_retries=0,
        )
        pi = client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "payment_method": "pm_card_timeout", **CARD}  # type: ignore[typeddict-item]
        )
        t0 = time.monotonic()
        with pytest.raises(stripe.APIConnectionError):
            client.v1.payment_intents.confirm(pi.id)
        assert time.monotonic() - t0 < 5
        after = client.v1.payment_intents.retrieve(pi.id)
        assert (after.status, after.latest_charge, after.amount_received) == (
            "requires_confirmation",
            None,
            0,
        )
        assert client.v1.charges.list().data == []


def test_hold_ends_with_a_504_and_no_state_change(unique: str) -> None:
    with start_server(hold_seconds=0.3) as server:
        client = stripe.StripeClient(
            f"sk_test_{unique}", base_addresses={"api": server.url}, max_network_retries=0
        )
        with pytest.raises(stripe.APIError) as info:
            client.v1.charges.create(
                params={"amount": 1000, "currency": "usd", "source": "tok_timeout"}
            )
        assert info.value.http_status == 504
        assert info.value.error.type == "api_error"
        with pytest.raises(stripe.APIError):
            client.v1.payment_intents.create(
                params={
                    "amount": 1000,
                    "currency": "usd",
                    "confirm": True,
                    "payment_method_data": {
                        "type": "card",
                        "card": {
                            "number": "4000000000000408",
                            "exp_month": 1,
                            "exp_year": EXP_YEAR,
                        },
                    },
                    **CARD,
                }  # type: ignore[typeddict-item]
            )
        assert client.v1.charges.list().data == []
        assert client.v1.payment_intents.list().data == []
        assert client.v1.payment_methods.list().data == []


def test_slow_payment_method_answers_after_three_seconds(client: stripe.StripeClient) -> None:
    t0 = time.monotonic()
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_slow",
            "confirm": True,
            **CARD,
        }  # type: ignore[typeddict-item]
    )
    elapsed = time.monotonic() - t0
    assert pi.status == "succeeded"
    assert 3.0 <= elapsed < 6


def test_slow_token_answers_after_three_seconds(server: EmbeddedServer, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": server.url})
    t0 = time.monotonic()
    ch = client.v1.charges.create(params={"amount": 1000, "currency": "usd", "source": "tok_slow"})
    assert ch.status == "succeeded"
    assert 3.0 <= time.monotonic() - t0 < 6
