"""The failure scenarios an integration suite must cover, end to end with the real SDKs
and the pytest plugin."""

from __future__ import annotations

import httpx
import pytest
import stripe
from twilio.base.exceptions import TwilioRestException

from fakeservices.pytest_plugin import Fake

PI = {"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
PI_CARD = {**PI, "payment_method_types": ["card"]}


def retrying_client(fake: Fake, timeout: float, retries: int) -> stripe.StripeClient:
    return fake.stripe_client(
        http_client=stripe.RequestsClient(timeout=timeout), max_network_retries=retries
    )


def stripe_journal(fake: Fake) -> list[tuple[int, str | None]]:
    entries = fake.requests.list(service="stripe", account=fake.stripe_key, method="POST")
    return [(e.status, e.fault["type"] if e.fault else None) for e in entries]


@pytest.mark.parametrize("action", ["timeout", "drop"])
def test_payment_that_times_out_is_retried_by_the_sdk_and_succeeds(fake: Fake, action: str) -> None:
    fault = fake.faults.add(
        "stripe",
        {"type": action},
        {"account": fake.stripe_key, "path": "/v1/payment_intents"},
        times=1,
    )
    client = retrying_client(fake, timeout=1.0, retries=1)
    intent = client.v1.payment_intents.create(params=PI_CARD)
    assert intent.status == "succeeded"
    assert fault.refresh().expired
    # The fault fired before the fake's handler: the retry (same Idempotency-Key) created the
    # only PaymentIntent there is.
    assert [pi.id for pi in client.v1.payment_intents.list().data] == [intent.id]
    journal = stripe_journal(fake)
    assert journal[0][1] == action
    assert journal[1:] == [(200, None)]


def test_injected_500_is_retried_and_409_carries_no_should_retry_false(fake: Fake) -> None:
    fake.faults.add(
        "stripe", {"type": "error", "status": 409}, {"account": fake.stripe_key}, times=1
    )
    r = httpx.post(
        f"{fake.url}/v1/customers",
        headers={"Authorization": f"Bearer {fake.stripe_key}"},
        data={"email": "x@example.com"},
    )
    assert r.status_code == 409
    assert r.headers.get("stripe-should-retry") != "false"
    fake.faults.add(
        "stripe", {"type": "error", "status": 503}, {"account": fake.stripe_key}, times=2
    )
    customer = retrying_client(fake, timeout=5, retries=2).v1.customers.create(
        params={"email": "y@example.com"}
    )
    assert customer.email == "y@example.com"
    assert [s for s, _ in stripe_journal(fake)] == [409, 503, 503, 200]


def test_injected_429_raises_rate_limit_error_and_is_not_retried(fake: Fake) -> None:
    fake.faults.add(
        "stripe", {"type": "error", "status": 429}, {"account": fake.stripe_key}, times=1
    )
    client = retrying_client(fake, timeout=5, retries=2)
    with pytest.raises(stripe.RateLimitError) as exc:
        client.v1.customers.create(params={"email": "z@example.com"})
    assert exc.value.http_status == 429
    assert exc.value.headers is not None
    assert exc.value.headers.get("stripe-should-retry") is None
    assert stripe_journal(fake) == [(429, "error")]  # the SDK does not retry a 429


def test_twilio_outage_raises_twilio_rest_exception(fake: Fake) -> None:
    with fake.faults.add("sms", {"type": "error", "status": 503}, {"to": "+15558675310"}):
        with pytest.raises(TwilioRestException) as exc:
            fake.twilio_client().messages.create(to="+15558675310", from_="+15005550006", body="x")
        assert exc.value.status == 503
    message = fake.twilio_client().messages.create(
        to="+15558675310", from_="+15005550006", body="x"
    )
    assert message.status in ("queued", "sent", "delivered")


def test_sendgrid_outage_gets_sendgrids_envelope(fake: Fake) -> None:
    from python_http_client.exceptions import HTTPError

    mail = {
        "personalizations": [{"to": [{"email": "a@example.com"}]}],
        "from": {"email": "shop@example.com"},
        "subject": "hi",
        "content": [{"type": "text/plain", "value": "x"}],
    }
    with fake.faults.add("email-http", {"type": "error", "status": 500}, times=1):
        with pytest.raises(HTTPError) as exc:
            fake.sendgrid_client().send(mail)
        assert exc.value.status_code == 500
        assert "errors" in exc.value.to_dict
    assert fake.sendgrid_client().send(mail).status_code == 202
