"""Stripe memory is bounded: --max-accounts accounts, --max-stripe-objects objects in each."""

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


def test_one_key_keeps_its_newest_objects_only(unique: str) -> None:
    """Past --max-stripe-objects an account's oldest objects go; its webhook endpoints stay."""
    key, other = f"sk_test_{unique}a", f"sk_test_{unique}b"
    with start_server(max_stripe_objects=5) as server:

        def client(k: str) -> stripe.StripeClient:
            return stripe.StripeClient(k, base_addresses={"api": server.url}, max_network_retries=0)

        endpoint = client(key).v1.webhook_endpoints.create(
            params={"url": "https://shop.example/hooks", "enabled_events": ["*"]}
        )
        kept_elsewhere = client(other).v1.customers.create()
        made = [
            client(key).v1.customers.create(params={"email": f"{i}@x.example"}) for i in range(8)
        ]

        listed = [c.id for c in client(key).v1.customers.list(params={"limit": 100}).data]
        # 5 objects: the endpoint (kept) and the 4 newest customers.
        assert listed == [c.id for c in reversed(made[4:])]
        for gone in made[:4]:
            with pytest.raises(stripe.InvalidRequestError) as exc:
                client(key).v1.customers.retrieve(gone.id)
            assert (exc.value.http_status, exc.value.code) == (404, "resource_missing")
        assert client(key).v1.webhook_endpoints.retrieve(endpoint.id).url.endswith("/hooks")
        assert client(other).v1.customers.retrieve(kept_elsewhere.id).id == kept_elsewhere.id

        health = httpx.get(f"{server.url}/__admin/health").json()
        assert health["counts"]["stripe_objects"] == 6  # 5 of key, 1 of other
        assert health["evicted"]["stripe_objects"] == 4
        metrics = httpx.get(f"{server.url}/__admin/metrics").text
        assert 'fakeservices_store_items{store="stripe_objects"} 6' in metrics
        assert 'fakeservices_store_added_total{store="stripe_objects"} 10' in metrics
        assert 'fakeservices_store_evicted_total{store="stripe_objects"} 4' in metrics
        # a reset forgets the objects without counting them as evicted
        httpx.post(f"{server.url}/__admin/reset", params={"account": key}).raise_for_status()
        health = httpx.get(f"{server.url}/__admin/health").json()
        assert (health["counts"]["stripe_objects"], health["evicted"]["stripe_objects"]) == (1, 4)
