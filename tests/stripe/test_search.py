"""The Search API through stripe-python: customers, payment intents and charges, paging with
``next_page`` / ``auto_paging_iter``, ``total_count``, and Stripe's errors for bad queries."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer
from fakeservices.stripe.search import PARSE_ERROR
from tests.stripe.conftest import CARD


def test_customer_search_fields_and_envelope(gstripe: Any) -> None:
    jenny = gstripe.Customer.create(
        email="jenny.rosen@example.com", name="Jenny Rosen", metadata={"tier": "gold"}
    )
    amy = gstripe.Customer.create(email="amy@rocketrides.io", name="Amy", phone="+15550001111")
    found = gstripe.Customer.search(query="email:'jenny.rosen@example.com'")
    assert (found.object, found.url, found.has_more, found.next_page) == (
        "search_result",
        "/v1/customers/search",
        False,
        None,
    )
    assert [c.id for c in found.data] == [jenny.id]
    assert "total_count" not in found
    by_meta = gstripe.Customer.search(query="metadata['tier']:'gold'")
    assert [c.id for c in by_meta.data] == [jenny.id]
    assert [c.id for c in gstripe.Customer.search(query="name~'ros'").data] == [jenny.id]
    either = gstripe.Customer.search(query="name:'Amy' OR email~'jenny'")
    assert [c.id for c in either.data] == [amy.id, jenny.id]
    assert [c.id for c in gstripe.Customer.search(query="-name:'Amy'").data] == [jenny.id]
    assert [c.id for c in gstripe.Customer.search(query="phone:null").data] == [jenny.id]
    since = gstripe.Customer.search(query=f"created>={jenny.created}", expand=["total_count"])
    assert since.total_count == 2


def test_paging_with_next_page_and_auto_paging_iter(gstripe: Any) -> None:
    made = [gstripe.Customer.create(metadata={"batch": "b1"}).id for _ in range(5)]
    gstripe.Customer.create(metadata={"batch": "other"})
    first = gstripe.Customer.search(query="metadata['batch']:'b1'", limit=2)
    assert first.has_more is True and isinstance(first.next_page, str)
    second = gstripe.Customer.search(query="metadata['batch']:'b1'", limit=2, page=first.next_page)
    assert [c.id for c in first.data + second.data] == made[::-1][:4]
    every = gstripe.Customer.search(query="metadata['batch']:'b1'", limit=2).auto_paging_iter()
    assert [c.id for c in every] == made[::-1]


def test_payment_intent_and_charge_search(gstripe: Any, client: stripe.StripeClient) -> None:
    cus = gstripe.Customer.create()
    pi = gstripe.PaymentIntent.create(
        amount=2500,
        currency="eur",
        customer=cus.id,
        payment_method="pm_card_visa",
        confirm=True,
        metadata={"order": "6735"},
        **CARD,
    )
    other = gstripe.PaymentIntent.create(amount=500, currency="usd", **CARD)
    hits = gstripe.PaymentIntent.search(query="amount>1000 AND currency:'eur'")
    assert [p.id for p in hits.data] == [pi.id]
    assert hits.url == "/v1/payment_intents/search"
    assert [p.id for p in gstripe.PaymentIntent.search(query="-currency:'eur'").data] == [other.id]
    assert [p.id for p in gstripe.PaymentIntent.search(query="status:'succeeded'").data] == [pi.id]
    assert [p.id for p in gstripe.PaymentIntent.search(query=f"customer:'{cus.id}'").data] == [
        pi.id
    ]
    legacy = gstripe.Charge.create(amount=999, currency="usd", source="tok_mastercard")
    charges = client.v1.charges.search(
        params={"query": "payment_method_details.card.last4:4444", "expand": ["data.customer"]}
    )
    assert [c.id for c in charges.data] == [legacy.id]
    by_meta = gstripe.Charge.search(query="metadata['order']:'6735' OR amount<1000")
    assert {c.id for c in by_meta.data} == {pi.latest_charge, legacy.id}
    expanded = gstripe.Charge.search(query=f"customer:'{cus.id}'", expand=["data.customer"])
    assert expanded.data[0].customer.id == cus.id
    assert [c.id for c in gstripe.Charge.search(query="refunded:'false' AND amount:2500").data] == [
        pi.latest_charge
    ]


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("customers", "asdf", PARSE_ERROR),
        ("customers", "email:'a' AND name:'b' OR phone:'c'", PARSE_ERROR),
        (
            "customers",
            "foo:'bar'",
            "Field `foo` is an unsupported search field for resource `customers`. See "
            "http://stripe.com/docs/search#query-fields-for-customers for a list of supported "
            "fields.",
        ),
        (
            "payment_intents",
            "amount_received>1",
            "Field `amount_received` is an unsupported search field for resource "
            "`payment_intents`. See http://stripe.com/docs/search#query-fields-for-payment-"
            "intents for a list of supported fields.",
        ),
        ("charges", "status~'succ'", PARSE_ERROR),
    ],
)
def test_invalid_queries(gstripe: Any, path: str, query: str, message: str) -> None:
    resource = {
        "customers": gstripe.Customer,
        "payment_intents": gstripe.PaymentIntent,
        "charges": gstripe.Charge,
    }[path]
    with pytest.raises(stripe.InvalidRequestError) as info:
        resource.search(query=query)
    assert (info.value.http_status, info.value.user_message) == (400, message)
    assert info.value.error.type == "invalid_request_error"


def test_missing_query_limit_and_page(server: EmbeddedServer, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    r = httpx.get(f"{server.url}/v1/customers/search", headers=auth)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Missing required param: query."
    r = httpx.get(
        f"{server.url}/v1/customers/search",
        params={"query": "name:'x'", "limit": 101},
        headers=auth,
    )
    assert (r.status_code, r.json()["error"]["param"]) == (400, "limit")
    r = httpx.get(
        f"{server.url}/v1/charges/search", params={"query": "amount>1", "page": "zz"}, headers=auth
    )
    assert (r.status_code, r.json()["error"]["param"]) == (400, "page")
