"""The SaaS app against fakeservices: trial, renewal, failed renewal and cancellation, each
driven by a Stripe test clock. ``advance`` returns after the app has received the webhooks it
causes, so every assertion right after it sees the app's state without waiting."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
import uvicorn
from saas.app import Settings, create_app

from fakeservices.pytest_plugin import Fake

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86400
FEB1 = T0 + 31 * DAY


@dataclass
class Saas:
    http: httpx.Client
    stripe: stripe.StripeClient
    clock: str

    def advance(self, to: int) -> None:
        """Move the test clock; the app has its webhooks when this returns."""
        done = self.stripe.v1.test_helpers.test_clocks.advance(
            self.clock, params={"frozen_time": to}
        )
        assert done.status == "ready"

    def signup(self, email: str, card: str = "pm_card_visa", trial_days: int = 0) -> Any:
        r = self.http.post(
            "/signup", json={"email": email, "payment_method": card, "trial_days": trial_days}
        )
        assert r.status_code == 201, r.text
        return r.json()

    def account(self, account_id: int) -> Any:
        return self.http.get(f"/accounts/{account_id}").json()


@pytest.fixture
def saas(fake: Fake, tmp_path: Path) -> Iterator[Saas]:
    client = fake.stripe_client()
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Team plan"},
        }
    )
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    endpoint = client.v1.webhook_endpoints.create(
        params={
            "url": f"{url}/webhooks/stripe",
            "enabled_events": [
                "customer.subscription.created",
                "customer.subscription.updated",
                "customer.subscription.deleted",
                "invoice.paid",
                "invoice.payment_failed",
            ],
        }
    )
    settings = Settings(
        database=str(tmp_path / "saas.sqlite3"),
        stripe_api_key=fake.stripe_key,
        stripe_api_base=fake.stripe_api_base,
        stripe_webhook_secret=endpoint.secret or "",
        stripe_price=price.id,
        stripe_test_clock=clock.id,
        smtp_host=fake.smtp_host,
        smtp_port=fake.smtp_port,
        smtp_user=fake.smtp_user,
        smtp_password=fake.smtp_password,
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    ready = threading.Event()

    async def serve() -> None:
        await server.startup(sockets=[sock])
        ready.set()
        await server.main_loop()
        await server.shutdown(sockets=[sock])

    server.config.load()
    server.lifespan = server.config.lifespan_class(server.config)
    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the app did not start"
    with httpx.Client(base_url=url, timeout=30) as http:
        yield Saas(http, client, clock.id)
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_trial_then_renewals(saas: Saas) -> None:
    acct = saas.signup("trial@example.com", trial_days=14)
    assert acct["status"] == "trialing"
    saas.advance(T0 + 14 * DAY)  # the trial ends: first paid period
    state = saas.account(acct["id"])
    assert state["status"] == "active" and state["access"] and state["paid_invoices"] == 1
    saas.advance(T0 + 14 * DAY + 31 * DAY)  # one renewal later
    assert saas.account(acct["id"])["paid_invoices"] == 2


def test_failed_renewal_emails_then_cancels_after_the_retries(saas: Saas, fake: Fake) -> None:
    acct = saas.signup("late@example.com")
    customer = saas.account(acct["id"])["customer"]
    # the customer's card starts failing before the renewal
    pm = saas.stripe.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_chargeCustomerFail"}}
    )
    saas.stripe.v1.payment_methods.attach(pm.id, params={"customer": customer})
    saas.stripe.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    saas.advance(FEB1)
    state = saas.account(acct["id"])
    assert state["status"] == "past_due" and state["access"] and state["paid_invoices"] == 1
    [mail] = fake.emails.wait(to="late@example.com", subject="Your payment failed")
    assert "15.00 USD" in (mail.text or "")
    saas.advance(FEB1 + 15 * DAY)  # retries on days 3, 8 and 15 fail too
    state = saas.account(acct["id"])
    assert state["status"] == "canceled" and not state["access"]
    assert len(fake.emails.list(to="late@example.com")) == 4


def test_cancel_at_period_end_keeps_access_until_then(saas: Saas) -> None:
    acct = saas.signup("leaving@example.com")
    r = saas.http.post(f"/accounts/{acct['id']}/cancel")
    assert r.status_code == 200 and r.json()["cancel_at"] == FEB1
    saas.advance(FEB1 - DAY)
    assert saas.account(acct["id"])["access"]
    saas.advance(FEB1)
    state = saas.account(acct["id"])
    assert state["status"] == "canceled" and not state["access"]
