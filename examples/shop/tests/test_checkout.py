"""The shop's Checkout flow: the customer pays on the hosted page (an HTTP client here, as a
browser would: posting the page's form and following the redirects), or the test pays through
``fake.complete_checkout`` and the shop learns it from the signed ``checkout.session.completed``
webhook. No mocks: the shop talks to fakeservices with the real stripe SDK."""

from __future__ import annotations

import httpx
from conftest import Shop

from fakeservices.pytest_plugin import Fake

CART = [
    {"name": "Poster", "amount": 1500, "quantity": 2},
    {"name": "Frame", "amount": 2000},
]


def test_paying_on_the_hosted_page_returns_to_the_shop_with_the_order_paid(
    shop: Shop, fake: Fake
) -> None:
    user = shop.register("Cleo", "cleo@example.com").json()
    started = shop.checkout(user["id"], CART)
    assert started.status_code == 201, started.text
    order = started.json()
    assert order["amount"] == 5000 and order["checkout_url"].startswith(f"{fake.url}/checkout/")

    with httpx.Client(timeout=30, follow_redirects=True) as customer:
        page = customer.get(order["checkout_url"])
        assert "Poster &times; 2" in page.text and "$50.00" in page.text
        landed = customer.post(order["checkout_url"], data={"payment_method": "pm_card_visa"})
    assert landed.status_code == 200
    assert str(landed.url).startswith(f"{shop.url}/orders/{order['id']}/paid?session_id=cs_test_")
    assert f"Order #{order['id']} is paid." in landed.text

    stored = shop.http.get(f"/orders/{order['id']}").json()
    assert stored["status"] == "paid" and stored["payment_intent"].startswith("pi_")
    intent = fake.stripe_client().v1.payment_intents.retrieve(stored["payment_intent"])
    assert intent.amount_received == 5000 and intent.receipt_email == "cleo@example.com"


def test_a_declined_card_keeps_the_order_pending_and_cancel_returns_to_the_cart(
    shop: Shop, fake: Fake
) -> None:
    user = shop.register("Dora", "dora@example.com").json()
    order = shop.checkout(user["id"], CART).json()
    with httpx.Client(timeout=30, follow_redirects=True) as customer:
        declined = customer.post(
            order["checkout_url"], data={"payment_method": "pm_card_chargeDeclined"}
        )
        assert declined.status_code == 402 and "Your card was declined." in declined.text
        back = customer.get(f"{order['checkout_url']}/cancel")
    assert str(back.url) == f"{shop.url}/orders/{order['id']}/cancelled"
    assert shop.http.get(f"/orders/{order['id']}").json()["status"] == "pending"


def test_the_completed_webhook_marks_the_order_paid_without_a_browser(
    shop: Shop, fake: Fake
) -> None:
    user = shop.register("Emil", "emil@example.com").json()
    order = shop.checkout(user["id"], CART).json()
    session_id = order["checkout_url"].rsplit("/", 1)[1]
    done = fake.complete_checkout(session_id, payment_method="pm_card_visa")
    assert done["status"] == "complete"

    [delivery] = fake.webhook_deliveries.wait(
        service="stripe", event="checkout.session.completed", state="delivered"
    )
    assert delivery.url == f"{shop.url}/webhooks/stripe"
    assert delivery.attempts[-1].status == 200
    stored = shop.http.get(f"/orders/{order['id']}").json()
    assert stored["status"] == "paid" and stored["webhook_confirmed"] == 1
    assert stored["payment_intent"] == done["payment_intent"]


def test_an_expired_checkout_leaves_the_order_unpaid(shop: Shop, fake: Fake) -> None:
    user = shop.register("Finn", "finn@example.com").json()
    order = shop.checkout(user["id"], CART).json()
    session_id = order["checkout_url"].rsplit("/", 1)[1]
    fake.expire_checkout(session_id)
    [event] = fake.stripe_events.wait(type="checkout.session.expired")
    assert event.type == "checkout.session.expired"
    assert httpx.get(order["checkout_url"]).status_code == 410
    assert shop.http.get(f"/orders/{order['id']}").json()["status"] == "pending"
