"""Injected faults render Stripe's native envelope, so the SDK raises the right exception."""

from __future__ import annotations

import threading

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import CARD


@pytest.mark.parametrize(
    ("status", "exc", "etype"),
    [
        (500, stripe.APIError, "api_error"),
        (503, stripe.APIError, "api_error"),
        (429, stripe.RateLimitError, "invalid_request_error"),
        (402, stripe.CardError, "card_error"),
    ],
)
def test_fault_uses_stripe_envelope(
    client: stripe.StripeClient,
    admin: httpx.Client,
    key: str,
    status: int,
    exc: type[stripe.StripeError],
    etype: str,
) -> None:
    rule = {
        "service": "stripe",
        "match": {"account": key, "path": "/v1/customers"},
        "action": {"type": "error", "status": status},
        "times": 1,
    }
    r = admin.post("/__admin/faults", json=rule)
    assert r.status_code == 201, r.text
    try:
        with pytest.raises(exc) as info:
            client.v1.customers.create()
        assert info.value.http_status == status
        assert info.value.error.type == etype
        assert info.value.request_id.startswith("req_")
        assert client.v1.customers.create().object == "customer"  # times=1: expired
    finally:
        admin.delete(f"/__admin/faults/{r.json()['id']}")


def test_global_style_retries_an_injected_500(
    gstripe: stripe, admin: httpx.Client, key: str
) -> None:
    gstripe.max_network_retries = 2
    r = admin.post(
        "/__admin/faults",
        json={
            "service": "stripe",
            "match": {"account": key},
            "action": {"type": "error", "status": 500},
            "times": 1,
        },
    )
    try:
        cus = gstripe.Customer.create(email="retry@example.com")
        assert cus.email == "retry@example.com"
        journal = admin.get(
            "/__admin/requests", params={"service": "stripe", "account": key}
        ).json()["data"]
        assert [e["status"] for e in journal] == [500, 200]
    finally:
        admin.delete(f"/__admin/faults/{r.json()['id']}")


def test_concurrent_request_with_the_same_key_gets_409(server: EmbeddedServer, key: str) -> None:
    data = {
        "amount": "1000",
        "currency": "usd",
        "payment_method": "pm_card_slow",
        "confirm": "true",
        "payment_method_types[0]": CARD["payment_method_types"][0],
    }
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "slow-1"}
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        r = httpx.post(f"{server.url}/v1/payment_intents", data=data, headers=headers, timeout=10)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # the slow card keeps the first request in flight for 3 s, so the other one collides
    by_status = {r.status_code: r for r in results}
    assert sorted(by_status) == [200, 409]
    assert by_status[409].json()["error"]["code"] == "idempotency_key_in_use"
    replay = httpx.post(f"{server.url}/v1/payment_intents", data=data, headers=headers, timeout=10)
    assert replay.json()["id"] == by_status[200].json()["id"]
    assert replay.headers["idempotent-replayed"] == "true"
