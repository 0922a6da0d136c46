"""Customer sources (the legacy Card API) through stripe-python: attach, list, retrieve, update,
delete, the default source and charging it, declines on attach."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def test_attach_list_retrieve_and_default(gstripe: Any) -> None:
    cus = gstripe.Customer.create(email="src@example.com")
    assert cus.default_source is None
    first = gstripe.Customer.create_source(cus.id, source="tok_visa")
    assert (first.object, first.customer, first.last4, first.brand) == (
        "card",
        cus.id,
        "4242",
        "Visa",
    )
    second = gstripe.Customer.create_source(cus.id, source="tok_mastercard", metadata={"slot": "2"})
    assert second.metadata.to_dict() == {"slot": "2"}
    # the first card attached is the default; a later one does not replace it
    assert gstripe.Customer.retrieve(cus.id).default_source == first.id
    listed = gstripe.Customer.list_sources(cus.id, object="card")
    assert [c.id for c in listed.data] == [second.id, first.id]
    assert listed.url == f"/v1/customers/{cus.id}/sources"
    assert gstripe.Customer.list_sources(cus.id, object="bank_account").data == []
    got = gstripe.Customer.retrieve_source(cus.id, second.id)
    assert (got.id, got.last4) == (second.id, "4444")
    expanded = gstripe.Customer.retrieve(cus.id, expand=["sources"])
    assert [c.id for c in expanded.sources.data] == [second.id, first.id]


def test_charge_the_default_source_or_a_named_one(gstripe: Any) -> None:
    cus = gstripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Charge.create(amount=500, currency="usd", customer=cus.id)
    assert info.value.user_message == "Cannot charge a customer that has no active card"
    card = gstripe.Customer.create_source(cus.id, source="tok_visa")
    other = gstripe.Customer.create_source(cus.id, source="tok_amex")
    ch = gstripe.Charge.create(amount=500, currency="usd", customer=cus.id)
    assert (ch.source.id, ch.customer, ch.status, ch.paid) == (card.id, cus.id, "succeeded", True)
    ch2 = gstripe.Charge.create(amount=700, currency="usd", customer=cus.id, source=other.id)
    assert ch2.source.last4 == "0005"
    stranger = gstripe.Customer.create(source="tok_visa")
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Charge.create(amount=500, currency="usd", customer=stranger.id, source=card.id)
    assert info.value.user_message == (
        f"Customer {stranger.id} does not have a linked source with ID {card.id}."
    )
    assert (info.value.param, info.value.code) == ("source", "resource_missing")


def test_declines_on_attach_and_on_charge(gstripe: Any) -> None:
    cus = gstripe.Customer.create()
    with pytest.raises(stripe.CardError) as info:
        gstripe.Customer.create_source(cus.id, source="tok_chargeDeclined")
    assert (info.value.code, info.value.error.decline_code) == ("card_declined", "generic_decline")
    assert gstripe.Customer.list_sources(cus.id).data == []
    assert gstripe.Customer.retrieve(cus.id).default_source is None
    # this card attaches fine and every charge on it is declined
    card = gstripe.Customer.create_source(cus.id, source="tok_chargeCustomerFail")
    with pytest.raises(stripe.CardError) as charged:
        gstripe.Charge.create(amount=500, currency="usd", customer=cus.id)
    assert charged.value.error.charge.startswith("ch_")
    failed = gstripe.Charge.retrieve(charged.value.error.charge)
    assert (failed.status, failed.source.id) == ("failed", card.id)


def test_update_and_delete_moves_the_default(gstripe: Any) -> None:
    cus = gstripe.Customer.create()
    first = gstripe.Customer.create_source(cus.id, source="tok_visa")
    second = gstripe.Customer.create_source(cus.id, source="tok_mastercard")
    third = gstripe.Customer.create_source(cus.id, source="tok_amex")
    updated = gstripe.Customer.modify_source(
        cus.id, second.id, name="Jane", exp_month="7", metadata={"a": "b"}
    )
    assert (updated.name, updated.exp_month, updated.metadata.to_dict()) == ("Jane", 7, {"a": "b"})
    gone = gstripe.Customer.delete_source(cus.id, first.id)
    assert (gone.id, gone.object, gone.deleted) == (first.id, "card", True)
    # the most recently added remaining card becomes the default
    assert gstripe.Customer.retrieve(cus.id).default_source == third.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Customer.retrieve_source(cus.id, first.id)
    assert info.value.http_status == 404
    assert info.value.user_message == (
        f"Customer {cus.id} does not have a linked source with ID {first.id}."
    )
    gstripe.Customer.modify(cus.id, default_source=second.id)
    assert gstripe.Customer.retrieve(cus.id).default_source == second.id
    gstripe.Customer.delete_source(cus.id, second.id)
    gstripe.Customer.delete_source(cus.id, third.id)
    assert gstripe.Customer.retrieve(cus.id).default_source is None


def test_update_with_source_replaces_the_default(gstripe: Any) -> None:
    cus = gstripe.Customer.create(source="tok_visa")
    old = cus.default_source
    cus = gstripe.Customer.modify(cus.id, source="tok_mastercard")
    assert cus.default_source != old
    assert [c.id for c in gstripe.Customer.list_sources(cus.id).data] == [cus.default_source]
    with pytest.raises(stripe.CardError):
        gstripe.Customer.modify(cus.id, source="tok_chargeDeclined")
    # a declined card changes nothing
    assert gstripe.Customer.retrieve(cus.id).default_source == cus.default_source


def test_unknown_ids_and_the_events(gstripe: Any, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Customer.create_source("cus_nope", source="tok_visa")
    assert info.value.http_status == 404 and info.value.param == "id"
    cus = gstripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Customer.create_source(cus.id, source="tok_nope")
    assert (info.value.http_status, info.value.param) == (400, "source")
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Customer.modify(cus.id, default_source="card_nope")
    assert info.value.param == "default_source"
    card = gstripe.Customer.create_source(cus.id, source="tok_visa")
    gstripe.Customer.delete_source(cus.id, card.id)
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert types[:4] == [
        "customer.updated",
        "customer.source.deleted",
        "customer.updated",
        "customer.source.created",
    ]
