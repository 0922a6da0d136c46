"""The hosted Checkout page in a real headless Chromium (Debian's ``chromium``, Playwright).

A declined card first (Stripe's message on the page, the session still open), then a good card:
the browser follows the redirect chain to the ``success_url`` served by a tiny local app.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.stripe.conftest import Landing

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed (the test extra has it)"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)


@pytest.fixture
def page() -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            context = browser.new_context()
            context.set_default_timeout(30_000)
            yield context.new_page()
        finally:
            browser.close()


def test_a_browser_pays_after_a_decline_and_lands_on_the_success_url(
    client: stripe.StripeClient, landing: Landing, page: Any
) -> None:
    price = client.v1.prices.create(
        params={"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Lamp"}}
    )
    cs = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": f"{landing.url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{landing.url}/cart",
        }
    )
    page.goto(cs.url)
    assert "$25.00" in page.inner_text("#total")
    page.fill("#email", "browser@example.com")
    page.check("#pm_card_chargeDeclined")
    page.click("#submit")
    assert page.inner_text("#error") == "Your card was declined."
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"

    page.check("#pm_card_visa")
    page.click("#submit")
    page.wait_for_url(f"{landing.url}/thanks?session_id={cs.id}")
    assert page.inner_text("#landed") == f"Shop page /thanks?session_id={cs.id}"
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details is not None
    assert done.customer_details.email == "browser@example.com"


def test_a_browser_passes_3d_secure_and_can_go_back(
    client: stripe.StripeClient, landing: Landing, page: Any
) -> None:
    cs = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 990,
                        "product_data": {"name": "Book"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": f"{landing.url}/done",
            "cancel_url": f"{landing.url}/cart",
        }
    )
    page.goto(cs.url)
    page.click("#cancel")
    page.wait_for_url(f"{landing.url}/cart")
    page.goto(cs.url)
    page.check("#pm_card_threeDSecure2Required")
    page.click("#submit")
    page.click("#authenticate-succeed")
    page.wait_for_url(f"{landing.url}/done")
    assert [p for p in landing.seen() if p != "/favicon.ico"] == ["/cart", "/done"]
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "complete"
