"""Stripe accounts are bounded: past --max-accounts the least recently used is forgotten."""

from __future__ import annotations

import httpx
import pytest
import stripe

from fakeservices.server import start_server


def test_least_recently_used_account_is_forgotten_and_counted(unique: str) -> None:
    keys = [f"sk_test_{unique}{i}" for i in range(3)]
    with start_server(max_accounts=2) as server:

        def client(key: str) -> stripe.StripeClient:
            return stripe.StripeClient(
                key, base_addresses={"api": server.url}, max_network_retries=0
            )

        first = client(keys[0]).v1.customers.create(params={"email": "a@example.com"})
        second = client(keys[1]).v1.customers.create(params={"email": "b@example.com"})
        # Using the first account again makes the second the least recently used one.
        assert client(keys[0]).v1.customers.retrieve(first.id).id == first.id
        client(keys[2]).v1.customers.create(params={"email": "c@example.com"})

        assert client(keys[0]).v1.customers.retrieve(first.id).email == "a@example.com"
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client(keys[1]).v1.customers.retrieve(second.id)
        assert exc.value.code == "resource_missing"

        health = httpx.get(f"{server.url}/__admin/health").json()
        # keys[2] pushed out keys[1]; keys[1] then came back as a new, empty account and pushed
        # out the least recently used one, keys[2].
        assert health["counts"]["stripe_accounts"] == 2
        assert health["evicted"]["stripe_accounts"] == 2
        metrics = httpx.get(f"{server.url}/__admin/metrics").text
        assert 'fakeservices_store_evicted_total{store="stripe_accounts"} 2' in metrics
