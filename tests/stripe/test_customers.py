"""Customers, PaymentMethods (create/attach/detach/list) and Tokens."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.conftest import EXP_YEAR


def test_customer_crud_and_email_filter(client: stripe.StripeClient) -> None:
    a = client.v1.customers.create(
        params={"email": "ann@example.com", "name": "Ann", "metadata": {"plan": "pro"}}
    )
    assert a.id.startswith("cus_") and len(a.id) == 18
    assert (a.object, a.balance, a.delinquent, a.livemode) == ("customer", 0, False, False)
    assert len(a.invoice_prefix) == 8
    client.v1.customers.create(params={"email": "bob@example.com"})
    up = client.v1.customers.update(a.id, params={"name": "Ann B", "metadata": {"seats": "3"}})
    assert up.name == "Ann B" and up.metadata.to_dict() == {"plan": "pro", "seats": "3"}
    found = client.v1.customers.list(params={"email": "ann@example.com"})
    assert [c.id for c in found.data] == [a.id]
    assert len(client.v1.customers.list().data) == 2
    gone = client.v1.customers.delete(a.id)
    assert (gone.id, gone.deleted) == (a.id, True)
    assert client.v1.customers.retrieve(a.id).deleted is True
    assert [c.email for c in client.v1.customers.list().data] == ["bob@example.com"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(a.id, params={"name": "x"})


def test_global_style_customer(gstripe: stripe) -> None:
    cus = gstripe.Customer.create(
        email="g@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": None},
    )
    pms = gstripe.Customer.list_payment_methods(cus.id)
    assert len(pms.data) == 1 and pms.data[0].customer == cus.id
    gstripe.Customer.modify(cus.id, description="via modify")
    assert gstripe.Customer.retrieve(cus.id).description == "via modify"


def test_payment_method_create_attach_detach_list(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": "4242424242424242",
                "exp_month": 8,
                "exp_year": EXP_YEAR,
                "cvc": "314",
            },
            "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
        }
    )
    assert pm.id.startswith("pm_") and pm.type == "card" and pm.customer is None
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "visa",
        "4242",
        8,
        EXP_YEAR,
    )
    assert pm.billing_details.name == "Jenny Rosen"
    cus = client.v1.customers.create()
    attached = client.v1.payment_methods.attach(pm.id, params={"customer": cus.id})
    assert attached.customer == cus.id
    assert attached.card.checks.cvc_check == "pass"
    other = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": cus.id})
    listed = client.v1.payment_methods.list(params={"customer": cus.id, "type": "card"})
    assert [p.id for p in listed.data] == [other.id, pm.id]
    via_customer = client.v1.customers.payment_methods.list(cus.id)
    assert [p.id for p in via_customer.data] == [other.id, pm.id]
    assert via_customer.url == f"/v1/customers/{cus.id}/payment_methods"
    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.detach(pm.id)
    assert "not attached to a customer" in info.value.user_message
    assert [p.id for p in client.v1.payment_methods.list(params={"customer": cus.id}).data] == [
        other.id
    ]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.attach(other.id, params={"customer": "cus_missing"})
    assert (info.value.param, info.value.code) == ("customer", "resource_missing")


def test_payment_method_from_token_and_update(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_visa_debit"}}
    )
    assert (pm.card.brand, pm.card.funding) == ("visa", "debit")
    up = client.v1.payment_methods.update(
        pm.id, params={"metadata": {"k": "v"}, "billing_details": {"name": "Z"}}
    )
    assert up.metadata.to_dict() == {"k": "v"} and up.billing_details.name == "Z"


def test_tokens(client: stripe.StripeClient, gstripe: stripe) -> None:
    tok = client.v1.tokens.create(
        params={
            "card": {
                "number": "378282246310005",
                "exp_month": 1,
                "exp_year": EXP_YEAR,
                "cvc": "1234",
            }
        }
    )
    assert tok.id.startswith("tok_") and tok.type == "card" and tok.used is False
    assert (tok.card.brand, tok.card.last4, tok.card.object) == ("American Express", "0005", "card")
    assert client.v1.tokens.retrieve(tok.id).id == tok.id
    ch = gstripe.Charge.create(amount=1000, currency="usd", source=tok.id)
    assert ch.source.last4 == "0005"
    assert client.v1.tokens.retrieve(tok.id).used is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        gstripe.Charge.create(amount=1000, currency="usd", source=tok.id)
    assert "more than once" in info.value.user_message
    magic = client.v1.tokens.retrieve("tok_mastercard")
    assert magic.card.brand == "MasterCard"


def test_customer_with_source_and_charge_by_customer(gstripe: stripe) -> None:
    cus = gstripe.Customer.create(source="tok_visa")
    assert cus.default_source.startswith("card_")
    ch = gstripe.Charge.create(amount=1200, currency="usd", customer=cus.id)
    assert (ch.customer, ch.source.id, ch.status) == (cus.id, cus.default_source, "succeeded")
    with pytest.raises(stripe.CardError):
        gstripe.Customer.create(source="tok_chargeDeclined")
    expanded = gstripe.Customer.retrieve(cus.id, expand=["default_source"])
    assert expanded.default_source.last4 == "4242"
