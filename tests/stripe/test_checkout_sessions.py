"""Checkout Sessions through stripe-python and real sockets: create, read, expire, complete.

Completion goes through the admin shortcut here (the hosted page has its own tests in
test_checkout_page.py); every object and event is conformance-checked.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
import stripe

from fakeservices.client import AsyncFakeServices, FakeServices, FakeServicesError
from fakeservices.core.clock import ManualClock
from fakeservices.server import EmbeddedServer
from fakeservices.stripe.model import Accounts, Obj, StripeModel
from tests.conformance.stripe_schema import stripe_schema
from tests.stripe.conftest import Receiver


def _err(exc: pytest.ExceptionInfo[stripe.StripeError]) -> Any:
    assert exc.value.error is not None
    return exc.value.error


@pytest.fixture
def fake(server: EmbeddedServer) -> Any:
    with FakeServices(server.url) as client:
        yield client


@pytest.fixture
def price(client: stripe.StripeClient) -> stripe.Price:
    return client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Poster"}}
    )


def _payment(client: stripe.StripeClient, price: stripe.Price, **extra: Any) -> Any:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"price": price.id, "quantity": 2}],
        "success_url": "https://shop.example/ok?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)


def _events(server: EmbeddedServer, key: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(
        f"{server.url}/v1/events", params={"limit": 100}, auth=(key, "")
    ).json()["data"]
    return data


def test_payment_session_is_open_and_unpaid_with_its_hosted_url(
    client: stripe.StripeClient, price: stripe.Price, server: EmbeddedServer
) -> None:
    cs = _payment(client, price, client_reference_id="order-7", metadata={"order": "7"})
    assert re.fullmatch(r"cs_test_a1[A-Za-z0-9]{56}", cs.id)
    assert (cs.status, cs.payment_status, cs.mode) == ("open", "unpaid", "payment")
    assert (cs.amount_subtotal, cs.amount_total, cs.currency) == (3000, 3000, "usd")
    assert cs.url == f"{server.url}/checkout/{cs.id}"
    assert cs.payment_intent is None and cs.customer is None
    assert (
        cs.client_reference_id == "order-7"
        and cs.metadata is not None
        and cs.metadata.to_dict() == {"order": "7"}
    )
    assert cs.success_url == "https://shop.example/ok?session={CHECKOUT_SESSION_ID}"
    assert cs.expires_at - cs.created == 24 * 3600

    assert client.v1.checkout.sessions.retrieve(cs.id).id == cs.id
    [item] = client.v1.checkout.sessions.line_items.list(cs.id).data
    assert (item.object, item.quantity, item.amount_total, item.description) == (
        "item",
        2,
        3000,
        "Poster",
    )
    assert item.price is not None and item.price.id == price.id
    got = client.v1.checkout.sessions.retrieve(
        cs.id, params={"expand": ["line_items.data.price.product"]}
    )
    assert got.line_items is not None
    product = got.line_items.data[0].price.product  # type: ignore[union-attr]
    assert isinstance(product, stripe.Product) and product.name == "Poster"
    assert [s.id for s in client.v1.checkout.sessions.list(params={"status": "open"}).data] == [
        cs.id
    ]


def test_price_data_line_items_make_an_inline_price(client: stripe.StripeClient) -> None:
    cs = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 250,
                        "product_data": {"name": "Sticker"},
                    },
                    "quantity": 3,
                }
            ],
        }
    )
    assert (cs.amount_total, cs.currency) == (750, "eur")
    [item] = client.v1.checkout.sessions.line_items.list(cs.id).data
    assert item.price is not None and item.price.active is False
    assert item.description == "Sticker"


def test_session_validation_errors(client: stripe.StripeClient, price: stripe.Price) -> None:
    recurring = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )
    inactive = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 900, "product_data": {"name": "Old"}}
    )
    client.v1.prices.update(inactive.id, params={"active": False})
    ok = "https://shop.example/ok"
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"success_url": ok}, "mode", "Missing required param: mode."),
        ({"mode": "payment", "success_url": ok}, "line_items", "Missing required param"),
        (
            {"mode": "payment", "line_items": [{"price": price.id}]},
            "line_items[0]",
            "Quantity is required. Add `quantity` to `line_items[0]`",
        ),
        (
            {"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}]},
            "line_items[0][price]",
            "No such price: 'price_nope'",
        ),
        (
            {"mode": "payment", "line_items": [{"price": recurring.id, "quantity": 1}]},
            "line_items",
            "You specified `payment` mode but passed a recurring price.",
        ),
        (
            {"mode": "payment", "line_items": [{"price": inactive.id, "quantity": 1}]},
            "line_items[0][price]",
            "The price specified is inactive.",
        ),
        (
            {"mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}]},
            "line_items[0][price]",
            "models only recurring prices in `subscription` mode",
        ),
        (
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "discounts": [{"coupon": "X"}],
            },
            "discounts",
            "does not model",
        ),
        (
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "not a url",
            },
            "success_url",
            "Not a valid URL",
        ),
        (
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "expires_at": int(time.time()) + 60,
            },
            "expires_at",
            "at least 30 minutes",
        ),
        (
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "customer": "cus_nope",
            },
            "customer",
            "No such customer",
        ),
        (
            {"mode": "setup", "line_items": [{"price": price.id, "quantity": 1}]},
            "line_items",
            "You can not pass `line_items` in `setup` mode.",
        ),
        ({"mode": "setup"}, "currency", "Missing required param: currency."),
    ]
    for params, param, text in cases:
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.checkout.sessions.create(params=params)
        assert _err(exc).param == param, params
        assert text in str(exc.value.user_message), (params, exc.value.user_message)
    assert client.v1.checkout.sessions.list().data == []


def test_expire_cancels_and_sends_the_event(
    client: stripe.StripeClient, price: stripe.Price, server: EmbeddedServer, key: str
) -> None:
    cs = _payment(client, price)
    expired = client.v1.checkout.sessions.expire(cs.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.checkout.sessions.expire(cs.id)
    assert str(again.value.user_message) == (
        'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
        "has a status of `expired`."
    )
    assert [e["type"] for e in _events(server, key)][:1] == ["checkout.session.expired"]


def test_complete_payment_creates_the_intent_charge_and_events(
    client: stripe.StripeClient,
    price: stripe.Price,
    server: EmbeddedServer,
    key: str,
    fake: FakeServices,
) -> None:
    cs = _payment(client, price, customer_email="ann@example.com")
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa")
    assert done["status"] == "complete" and done["payment_status"] == "paid"
    session = client.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["payment_intent"]})
    assert session.status == "complete" and session.url is None
    assert session.customer_details is not None
    assert session.customer_details.email == "ann@example.com"
    pi = session.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 3000, 3000)
    assert pi.latest_charge is not None
    # payment mode with if_required and no card saved: a guest, no Customer object
    assert session.customer is None and client.v1.customers.list().data == []
    types = [e["type"] for e in _events(server, key)]
    assert types[0] == "checkout.session.completed"
    assert {"payment_intent.succeeded", "charge.succeeded", "payment_intent.created"} <= set(types)


def test_decline_leaves_the_session_open_then_a_good_card_pays(
    client: stripe.StripeClient, price: stripe.Price, fake: FakeServices
) -> None:
    cs = _payment(client, price)
    with pytest.raises(FakeServicesError) as declined:
        fake.complete_checkout(cs.id, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds")
    assert declined.value.status == 402
    assert declined.value.code == "card_declined"
    assert "insufficient funds" in str(declined.value).lower()
    open_ = client.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["payment_intent"]})
    assert open_.status == "open" and open_.payment_status == "unpaid"
    assert isinstance(open_.payment_intent, stripe.PaymentIntent)
    assert open_.payment_intent.status == "requires_payment_method"

    done = fake.complete_checkout(cs.id, payment_method="pm_card_mastercard")
    assert done["status"] == "complete" and done["payment_intent"] == open_.payment_intent.id
    with pytest.raises(FakeServicesError) as twice:
        fake.complete_checkout(cs.id, payment_method="pm_card_visa")
    assert twice.value.status == 409


def test_three_ds_cards_wait_for_authentication(
    client: stripe.StripeClient, price: stripe.Price, fake: FakeServices
) -> None:
    cs = _payment(client, price)
    done = fake.complete_checkout(cs.id, payment_method="pm_card_threeDSecure2Required")
    assert done["status"] == "complete"  # authenticated by default

    pending = _payment(client, price)
    waiting = fake.complete_checkout(
        pending.id, payment_method="pm_card_threeDSecure2Required", three_d_secure="pending"
    )
    assert waiting["status"] == "open"
    pi = client.v1.payment_intents.retrieve(waiting["payment_intent"])
    assert pi.status == "requires_action"
    fake.authenticate_payment(pi.id)
    assert client.v1.checkout.sessions.retrieve(pending.id).status == "complete"


def test_customer_creation_always_and_setup_future_usage_make_a_customer(
    client: stripe.StripeClient, price: stripe.Price, fake: FakeServices
) -> None:
    always = _payment(client, price, customer_creation="always", customer_email="c@example.com")
    done = fake.complete_checkout(always.id, payment_method="pm_card_visa")
    customer = client.v1.customers.retrieve(done["customer"])
    assert customer.email == "c@example.com"

    saving = _payment(client, price, payment_intent_data={"setup_future_usage": "off_session"})
    done = fake.complete_checkout(saving.id, payment_method="pm_card_visa", email="s@example.com")
    assert done["customer"] is not None
    pi = client.v1.payment_intents.retrieve(done["payment_intent"])
    assert pi.customer == done["customer"] and pi.setup_future_usage == "off_session"
    [pm] = client.v1.customers.payment_methods.list(done["customer"]).data
    assert pm.id == pi.payment_method


def test_setup_mode_saves_a_card_to_the_customer(
    client: stripe.StripeClient, fake: FakeServices, server: EmbeddedServer, key: str
) -> None:
    customer = client.v1.customers.create(params={"email": "setup@example.com"})
    cs = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": customer.id,
            "success_url": "https://shop.example/saved",
            "setup_intent_data": {"metadata": {"why": "later"}},
        }
    )
    assert (cs.status, cs.payment_status) == ("open", "no_payment_required")
    assert cs.amount_total is None and isinstance(cs.setup_intent, str)
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa")
    assert done["status"] == "complete" and done["payment_status"] == "no_payment_required"
    si = client.v1.setup_intents.retrieve(cs.setup_intent)
    assert si.status == "succeeded" and si.metadata.to_dict() == {"why": "later"}
    [pm] = client.v1.customers.payment_methods.list(customer.id).data
    assert pm.id == si.payment_method
    types = [e["type"] for e in _events(server, key)]
    assert types[:2] == ["checkout.session.completed", "setup_intent.succeeded"]


def test_expiry_by_the_clock_is_noticed_on_read() -> None:
    """The model alone, on a manual clock: an open session past ``expires_at`` is expired (and
    its event sent) the next time it is read."""
    start = 2_000_000_000
    clock = ManualClock(start)
    accounts = Accounts(clock=clock)
    emitted: list[tuple[str, Any]] = []

    class Log:
        def body(self, account: str, event_id: str) -> Obj | None:
            return None

        def newest_first(self, account: str, pred: Any) -> list[Obj]:
            return []

    model = StripeModel(
        accounts, lambda ctx, kind, obj, prev: emitted.append((kind, obj.get("status"))), Log()
    )
    ctx = accounts.context("sk_test_expiry", base_url="http://fake")
    price = model.prices.create(
        ctx, {"currency": "usd", "unit_amount": 700, "product_data": {"name": "P"}}
    )
    cs = model.checkout_sessions.create(
        ctx,
        {
            "mode": "payment",
            "line_items": [{"price": price["id"], "quantity": 1}],
            "expires_at": start + 3600,
        },
    )
    assert cs["url"] == f"http://fake/checkout/{cs['id']}"
    clock.advance(3599)
    assert model.checkout_sessions.retrieve(ctx, {}, cs["id"])["status"] == "open"
    clock.advance(1)
    assert model.checkout_sessions.retrieve(ctx, {}, cs["id"])["status"] == "expired"
    assert emitted[-1] == ("checkout.session.expired", "expired")


def test_checkout_events_reach_webhooks_signed_retried_and_recorded(
    client: stripe.StripeClient,
    price: stripe.Price,
    fake: FakeServices,
    receiver: Receiver,
    admin: httpx.Client,
    key: str,
) -> None:
    receiver.statuses = [500]
    we = client.v1.webhook_endpoints.create(
        params={
            "url": receiver.url,
            "enabled_events": ["checkout.session.completed", "checkout.session.expired"],
        }
    )
    paid = _payment(client, price, client_reference_id="order-42")
    fake.complete_checkout(paid.id, payment_method="pm_card_visa")
    left = _payment(client, price)
    fake.expire_checkout(left.id)
    r = admin.get(
        "/__admin/stripe/webhook-deliveries/wait",
        params={"account": key, "state": "delivered", "count": 2, "timeout": 10},
    )
    assert r.status_code == 200, r.text
    by_event = {d["event"]: d for d in r.json()["data"]}
    assert [a["status"] for a in by_event["checkout.session.completed"]["attempts"]] == [500, 200]
    assert [a["status"] for a in by_event["checkout.session.expired"]["attempts"]] == [200]
    events = [
        stripe.Webhook.construct_event(
            rec.body.decode(), rec.headers["Stripe-Signature"], we.secret
        )
        for rec in receiver.received
    ]
    completed = [e for e in events if e.type == "checkout.session.completed"]
    assert len(completed) == 2  # the failed attempt and its retry, the same event
    session = completed[0].data.object
    assert session.id == paid.id and session.client_reference_id == "order-42"
    assert session.payment_status == "paid" and session.status == "complete"
    expired = [e for e in events if e.type == "checkout.session.expired"]
    assert [e.data.object.id for e in expired] == [left.id]


def test_a_delayed_payment_completes_unpaid_then_settles(
    client: stripe.StripeClient,
    price: stripe.Price,
    fake: FakeServices,
    server: EmbeddedServer,
    key: str,
) -> None:
    cs = _payment(client, price)
    done = fake.complete_checkout(cs.id, payment_method="pm_card_visa", delayed=True)
    assert (done["status"], done["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(done["payment_intent"]).status == "processing"
    paid = fake.settle_checkout(cs.id)
    assert paid["payment_status"] == "paid"
    pi = client.v1.payment_intents.retrieve(done["payment_intent"])
    assert (pi.status, pi.amount_received) == ("succeeded", 3000)
    with pytest.raises(FakeServicesError) as again:
        fake.settle_checkout(cs.id)
    assert again.value.status == 409

    failing = _payment(client, price)
    fake.complete_checkout(failing.id, payment_method="pm_card_visa", delayed=True)
    failed = fake.settle_checkout(failing.id, outcome="fail")
    assert (failed["status"], failed["payment_status"]) == ("complete", "unpaid")
    returned = client.v1.payment_intents.retrieve(failed["payment_intent"])
    assert returned.status == "requires_payment_method" and returned.last_payment_error is not None
    types = [e["type"] for e in _events(server, key)]
    assert types.count("checkout.session.completed") == 2
    assert "checkout.session.async_payment_succeeded" in types
    assert types[0] == "checkout.session.async_payment_failed"
    assert "payment_intent.processing" in types


async def test_the_async_client_completes_and_expires(
    client: stripe.StripeClient, price: stripe.Price, server: EmbeddedServer
) -> None:
    first, second = _payment(client, price), _payment(client, price)
    async with AsyncFakeServices(server.url) as fake:
        done = await fake.complete_checkout(first.id, payment_method="pm_card_visa")
        gone = await fake.expire_checkout(second.id)
    assert done["status"] == "complete" and gone["status"] == "expired"


def test_the_conformance_check_covers_the_new_objects(
    client: stripe.StripeClient, price: stripe.Price, server: EmbeddedServer, key: str
) -> None:
    """Product, Price, Checkout Session and LineItem are each checked against the spec (a
    stray key in any of them is found), so the recorder keeps every test of them honest."""
    schema = stripe_schema()
    cs = _payment(client, price)
    auth = (key, "")
    bodies = {
        "product": httpx.get(f"{server.url}/v1/products/{price.product}", auth=auth).json(),
        "price": httpx.get(f"{server.url}/v1/prices/{price.id}", auth=auth).json(),
        "checkout.session": httpx.get(
            f"{server.url}/v1/checkout/sessions/{cs.id}", auth=auth
        ).json(),
        "item": httpx.get(
            f"{server.url}/v1/checkout/sessions/{cs.id}/line_items", auth=auth
        ).json()["data"][0],
    }
    for kind, body in bodies.items():
        assert body["object"] == kind
        assert schema.validate_response(body) == [], kind
        [stray] = schema.validate_response({**body, "colour": "red"})
        assert stray.key == "colour", kind
