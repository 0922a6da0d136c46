"""The hosted Checkout page, driven by an HTTP client posting its form (no browser)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from fakeservices.server import EmbeddedServer
from tests.stripe.conftest import Landing


def _session(client: stripe.StripeClient, landing: Landing, **extra: Any) -> Any:
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Poster"}}
    )
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"price": price.id, "quantity": 2}],
        "success_url": f"{landing.url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{landing.url}/cart",
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)


@pytest.fixture
def browser() -> Any:
    with httpx.Client(timeout=30) as http:
        yield http


def test_the_page_shows_the_order_the_cards_and_the_way_back(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    cs = _session(client, landing, customer_email="ann@example.com")
    page = browser.get(cs.url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Poster &times; 2" in text and "$30.00" in text and 'id="total"' in text
    for pm in ("pm_card_visa", "pm_card_chargeDeclined", "pm_card_threeDSecure2Required"):
        assert f'value="{pm}"' in text
    assert 'value="ann@example.com" readonly' in text
    assert f'href="/checkout/{cs.id}/cancel"' in text


def test_paying_redirects_to_the_success_url_and_completes_the_session(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    cs = _session(client, landing)
    answer = browser.post(cs.url, data={"payment_method": "pm_card_visa", "email": "b@example.com"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{landing.url}/thanks?session_id={cs.id}"

    followed = browser.get(answer.headers["location"])
    assert followed.status_code == 200 and landing.seen() == [f"/thanks?session_id={cs.id}"]

    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details is not None and done.customer_details.email == "b@example.com"
    again = browser.get(cs.url)
    assert again.status_code == 200 and "This Checkout Session is complete." in again.text


def test_whole_chain_with_redirects_followed(
    client: stripe.StripeClient, landing: Landing, server: EmbeddedServer
) -> None:
    cs = _session(client, landing)
    with httpx.Client(timeout=30, follow_redirects=True) as http:
        final = http.post(cs.url, data={"payment_method": "pm_card_visa"})
    assert final.status_code == 200
    assert str(final.url) == f"{landing.url}/thanks?session_id={cs.id}"
    assert [r.status_code for r in final.history] == [303]
    assert f"Shop page /thanks?session_id={cs.id}" in final.text


def test_a_decline_shows_stripes_message_and_keeps_the_session_open(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    cs = _session(client, landing)
    declined = browser.post(cs.url, data={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402
    assert '<p id="error" role="alert">Your card was declined.</p>' in declined.text
    assert 'value="pm_card_visa"' in declined.text  # the form again, to try another card
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"

    funds = browser.post(
        cs.url, data={"payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"}
    )
    assert funds.status_code == 402 and "Your card has insufficient funds." in funds.text
    paid = browser.post(cs.url, data={"payment_method": "pm_card_visa"})
    assert paid.status_code == 303
    session = client.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["payment_intent"]})
    assert session.status == "complete"
    assert isinstance(session.payment_intent, stripe.PaymentIntent)
    charges = client.v1.charges.list(params={"payment_intent": session.payment_intent.id}).data
    assert sorted(c.status for c in charges) == ["failed", "failed", "succeeded"]


def test_three_d_secure_challenge_fail_then_succeed(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    cs = _session(client, landing)
    challenge = browser.post(cs.url, data={"payment_method": "pm_card_threeDSecure2Required"})
    assert challenge.status_code == 200 and 'id="authenticate-succeed"' in challenge.text
    action = f"{cs.url}/authenticate"
    failed = browser.post(action, data={"outcome": "fail"})
    assert failed.status_code == 402 and 'id="error"' in failed.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"

    browser.post(cs.url, data={"payment_method": "pm_card_threeDSecure2Required"})
    passed = browser.post(action, data={"outcome": "succeed"})
    assert passed.status_code == 303
    assert passed.headers["location"].endswith(f"session_id={cs.id}")
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "complete"


def test_cancel_goes_back_to_the_cancel_url_and_the_session_stays_open(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    cs = _session(client, landing)
    back = browser.get(f"{cs.url}/cancel")
    assert back.status_code == 303 and back.headers["location"] == f"{landing.url}/cart"
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"


def test_setup_mode_page_saves_the_card(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client
) -> None:
    customer = client.v1.customers.create(params={"email": "keep@example.com"})
    cs = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "usd",
            "customer": customer.id,
            "success_url": f"{landing.url}/saved",
        }
    )
    page = browser.get(cs.url)
    assert "Save card" in page.text and 'id="total"' not in page.text
    saved = browser.post(cs.url, data={"payment_method": "pm_card_visa"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{landing.url}/saved"
    [pm] = client.v1.customers.payment_methods.list(customer.id).data
    assert pm.card is not None and pm.card.last4 == "4242"


def test_expired_unknown_and_bad_posts(
    client: stripe.StripeClient, landing: Landing, browser: httpx.Client, server: EmbeddedServer
) -> None:
    cs = _session(client, landing)
    missing = browser.post(cs.url, data={})
    assert missing.status_code == 400 and "Choose a test card." in missing.text
    unknown_pm = browser.post(cs.url, data={"payment_method": "pm_nope"})
    assert unknown_pm.status_code == 400 and "No such PaymentMethod" in unknown_pm.text
    client.v1.checkout.sessions.expire(cs.id)
    gone = browser.get(cs.url)
    assert gone.status_code == 410 and "expired" in gone.text
    assert browser.post(cs.url, data={"payment_method": "pm_card_visa"}).status_code == 410
    nothing = browser.get(f"{server.url}/checkout/cs_test_a1nope")
    assert nothing.status_code == 404


def test_a_timeout_card_holds_the_post_and_charges_nothing(
    client: stripe.StripeClient, landing: Landing
) -> None:
    cs = _session(client, landing)
    with httpx.Client(timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(cs.url, data={"payment_method": "pm_card_timeout"})
    session = client.v1.checkout.sessions.retrieve(cs.id)
    assert session.status == "open" and session.payment_intent is None
    assert client.v1.payment_intents.list().data == []


def test_the_url_follows_the_host_the_request_came_to(
    server: EmbeddedServer, key: str, landing: Landing
) -> None:
    data = {
        "mode": "payment",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "700",
        "line_items[0][price_data][product_data][name]": "Mapped",
        "line_items[0][quantity]": "1",
        "success_url": f"{landing.url}/ok",
    }
    created = httpx.post(
        f"{server.url}/v1/checkout/sessions",
        data=data,
        auth=(key, ""),
        headers={"Host": "shop-fakes.internal:8443"},
    )
    assert created.status_code == 200, created.text
    sid = created.json()["id"]
    assert created.json()["url"] == f"http://shop-fakes.internal:8443/checkout/{sid}"


def test_page_requests_are_journaled_under_their_account(
    client: stripe.StripeClient,
    landing: Landing,
    browser: httpx.Client,
    server: EmbeddedServer,
    key: str,
) -> None:
    cs = _session(client, landing)
    browser.get(cs.url)
    journal = httpx.get(
        f"{server.url}/__admin/requests", params={"service": "stripe-checkout"}
    ).json()["data"]
    mine = [r for r in journal if r["path"] == f"/checkout/{cs.id}"]
    assert mine and mine[0]["account"] == key
