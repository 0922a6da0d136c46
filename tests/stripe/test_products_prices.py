"""Products and Prices through stripe-python and real sockets (each object conformance-checked)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer


def _err(exc: pytest.ExceptionInfo[stripe.StripeError]) -> Any:
    assert exc.value.error is not None
    return exc.value.error


def test_product_create_retrieve_update_list(client: stripe.StripeClient) -> None:
    prod = client.v1.products.create(
        params={"name": "T-shirt", "description": "Cotton", "metadata": {"sku": "ts-1"}}
    )
    assert re.fullmatch(r"prod_[A-Za-z0-9]{14}", prod.id)
    assert prod.active is True and prod.name == "T-shirt" and prod.default_price is None
    assert prod.metadata["sku"] == "ts-1" and prod.images == []
    assert client.v1.products.retrieve(prod.id).description == "Cotton"

    updated = client.v1.products.update(prod.id, params={"active": False, "metadata": {"x": "1"}})
    assert updated.active is False and updated.metadata.to_dict() == {"sku": "ts-1", "x": "1"}

    other = client.v1.products.create(params={"name": "Mug", "id": "prod_mug"})
    assert other.id == "prod_mug"
    assert [p.id for p in client.v1.products.list().data] == ["prod_mug", prod.id]
    assert [p.id for p in client.v1.products.list(params={"active": False}).data] == [prod.id]
    ids = client.v1.products.list(params={"ids": ["prod_mug"]}).data
    assert [p.id for p in ids] == ["prod_mug"]
    with pytest.raises(stripe.InvalidRequestError) as dup:
        client.v1.products.create(params={"name": "Mug again", "id": "prod_mug"})
    assert _err(dup).code == "resource_already_exists"


def test_product_requires_a_name(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.create(params={"description": "nameless"})
    assert (_err(exc).code, _err(exc).param) == ("parameter_missing", "name")
    assert exc.value.user_message == "Missing required param: name."


def test_one_time_price_and_its_amounts(client: stripe.StripeClient) -> None:
    prod = client.v1.products.create(params={"name": "Book"})
    price = client.v1.prices.create(
        params={"product": prod.id, "currency": "USD", "unit_amount": 1999, "nickname": "std"}
    )
    assert re.fullmatch(r"price_1[A-Za-z0-9]{23}", price.id)
    assert (price.type, price.currency, price.unit_amount) == ("one_time", "usd", 1999)
    assert str(price.unit_amount_decimal) == "1999" and price.recurring is None
    assert price.billing_scheme == "per_unit" and price.tax_behavior == "unspecified"
    assert price.product == prod.id

    dec = client.v1.prices.create(
        params={"product": prod.id, "currency": "usd", "unit_amount_decimal": "12.5"}
    )
    assert dec.unit_amount is None and str(dec.unit_amount_decimal) == "12.5"

    expanded = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert isinstance(expanded.product, stripe.Product) and expanded.product.name == "Book"


def test_recurring_price_with_inline_product(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "month", "interval_count": 3},
            "product_data": {"name": "Pro plan"},
            "tax_behavior": "exclusive",
            "lookup_key": "pro_quarterly",
        }
    )
    assert price.type == "recurring" and price.recurring is not None
    assert (price.recurring.interval, price.recurring.interval_count) == ("month", 3)
    assert price.recurring.usage_type == "licensed" and price.recurring.trial_period_days is None
    assert price.tax_behavior == "exclusive" and price.lookup_key == "pro_quarterly"
    product = client.v1.products.retrieve(str(price.product))
    assert product.name == "Pro plan"

    found = client.v1.prices.list(params={"lookup_keys": ["pro_quarterly", "nope"]}).data
    assert [p.id for p in found] == [price.id]
    by_interval = client.v1.prices.list(params={"recurring": {"interval": "month"}}).data
    assert [p.id for p in by_interval] == [price.id]
    assert client.v1.prices.list(params={"type": "one_time"}).data == []


def test_price_validation_errors(client: stripe.StripeClient) -> None:
    prod = client.v1.products.create(params={"name": "Thing"})
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"product": prod.id, "currency": "usd"}, "unit_amount", "Missing required param"),
        ({"currency": "usd", "unit_amount": 5}, "product", "either `product` or `product_data`"),
        (
            {"product": prod.id, "currency": "usd", "unit_amount": 5, "unit_amount_decimal": "5"},
            "unit_amount",
            "only specify one of these parameters: unit_amount, unit_amount_decimal",
        ),
        ({"product": "prod_nope", "currency": "usd", "unit_amount": 5}, "product", "No such"),
        ({"product": prod.id, "currency": "xxx", "unit_amount": 5}, "currency", "Invalid currency"),
        (
            {"product": prod.id, "currency": "usd", "unit_amount": 5, "recurring": {"a": "b"}},
            "recurring[a]",
            "Received unknown parameter",
        ),
        (
            {
                "product": prod.id,
                "currency": "usd",
                "unit_amount": 5,
                "recurring": {"interval": "month", "interval_count": 37},
            },
            "recurring[interval_count]",
            "three years",
        ),
        (
            {"product": prod.id, "currency": "usd", "unit_amount": -1},
            "unit_amount",
            "greater than or equal to 0",
        ),
        (
            {"product": prod.id, "currency": "usd", "tiers": [{"up_to": "inf"}]},
            "tiers",
            "does not model",
        ),
    ]
    for params, param, text in cases:
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.prices.create(params=params)
        assert _err(exc).param == param, params
        assert text in str(exc.value.user_message), (params, exc.value.user_message)
    # A failed price with product_data leaves no product behind.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(params={"currency": "usd", "product_data": {"name": "Ghost"}})
    assert [p.name for p in client.v1.products.list().data] == ["Thing"]


def test_price_update_is_limited_and_lookup_keys_move_only_on_request(
    client: stripe.StripeClient,
) -> None:
    prod = client.v1.products.create(params={"name": "Plan"})
    base = {"product": prod.id, "currency": "usd", "unit_amount": 500}
    first = client.v1.prices.create(params={**base, "lookup_key": "basic"})
    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.prices.create(params={**base, "lookup_key": "basic"})
    assert f"A price (`{first.id}`) already uses that lookup key." in str(taken.value)
    second = client.v1.prices.create(
        params={**base, "lookup_key": "basic", "transfer_lookup_key": True}
    )
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    assert second.lookup_key == "basic"

    off = client.v1.prices.update(first.id, params={"active": False, "nickname": "old"})
    assert off.active is False and off.nickname == "old"
    assert [p.id for p in client.v1.prices.list(params={"active": True}).data] == [second.id]
    with pytest.raises(stripe.InvalidRequestError) as immutable:
        client.v1.prices.update(first.id, params={"unit_amount": 100})  # type: ignore[typeddict-unknown-key]
    assert _err(immutable).code == "parameter_unknown"


def test_default_price_and_product_delete(client: stripe.StripeClient) -> None:
    prod = client.v1.products.create(
        params={"name": "Box", "default_price_data": {"currency": "usd", "unit_amount": 1200}}
    )
    assert isinstance(prod.default_price, str)
    price = client.v1.prices.retrieve(prod.default_price)
    assert price.product == prod.id and price.unit_amount == 1200
    got = client.v1.products.retrieve(prod.id, params={"expand": ["default_price"]})
    assert isinstance(got.default_price, stripe.Price) and got.default_price.id == price.id

    with pytest.raises(stripe.InvalidRequestError) as in_use:
        client.v1.products.delete(prod.id)
    assert "has one or more user-created prices" in str(in_use.value)
    bare = client.v1.products.create(params={"name": "Gone"})
    deleted = client.v1.products.delete(bare.id)
    assert deleted.deleted is True
    assert client.v1.products.retrieve(bare.id).deleted is True


def test_product_and_price_events(server: EmbeddedServer, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)
    prod = client.v1.products.create(params={"name": "Evented"})
    price = client.v1.prices.create(
        params={"product": prod.id, "currency": "usd", "unit_amount": 300}
    )
    client.v1.products.update(prod.id, params={"name": "Renamed"})
    client.v1.prices.update(price.id, params={"active": False})
    events = httpx.get(f"{server.url}/v1/events", auth=(key, "")).json()["data"]
    assert [e["type"] for e in events] == [
        "price.updated",
        "product.updated",
        "price.created",
        "product.created",
    ]
    assert events[0]["data"]["previous_attributes"] == {"active": True}
    assert events[1]["data"]["previous_attributes"]["name"] == "Evented"
