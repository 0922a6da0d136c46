"""Payments through the Stripe SDK."""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from shop.settings import Settings


@dataclass
class PaymentResult:
    status: str  # "paid", "declined", "timeout", "error"
    payment_intent: str | None = None
    decline_code: str | None = None
    message: str | None = None


def stripe_client(settings: Settings) -> stripe.StripeClient:
    kwargs: dict[str, object] = {}
    if settings.stripe_api_base:
        kwargs["base_addresses"] = {"api": settings.stripe_api_base}
    return stripe.StripeClient(
        settings.stripe_api_key,
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout),
        max_network_retries=settings.stripe_max_retries,
        **kwargs,
    )


def charge(
    settings: Settings, order_id: int, amount: int, currency: str, payment_method: str
) -> PaymentResult:
    client = stripe_client(settings)
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency,
                "payment_method": payment_method,
                "confirm": True,
                "metadata": {"order_id": str(order_id)},
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
    except stripe.CardError as exc:
        err = exc.error
        intent = err.payment_intent if err else None
        return PaymentResult(
            "declined",
            payment_intent=intent.id if intent else None,
            decline_code=(err.decline_code if err else None) or exc.code,
            message=exc.user_message or str(exc),
        )
    except stripe.APIConnectionError as exc:
        return PaymentResult("timeout", message=f"payment provider unreachable: {exc}")
    except stripe.StripeError as exc:
        return PaymentResult("error", message=exc.user_message or str(exc))
    if intent.status != "succeeded":
        return PaymentResult("error", intent.id, message=f"unexpected status {intent.status}")
    return PaymentResult("paid", intent.id)


def verify_webhook(settings: Settings, payload: bytes, signature: str) -> stripe.Event:
    if not settings.stripe_webhook_secret:
        raise ValueError("no webhook secret configured")
    return stripe.Webhook.construct_event(payload, signature, settings.stripe_webhook_secret)


def start_checkout(
    settings: Settings, order_id: int, items: list[dict[str, object]], currency: str, email: str
) -> stripe.checkout.Session:
    """A Checkout Session for the order; the customer pays on Stripe's hosted page."""
    base = f"{settings.public_url}/orders/{order_id}"
    return stripe_client(settings).v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "client_reference_id": str(order_id),
            "customer_email": email,
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": int(str(item["amount"])),
                        "product_data": {"name": str(item["name"])},
                    },
                    "quantity": int(str(item.get("quantity", 1))),
                }
                for item in items
            ],
            "success_url": base + "/paid?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": base + "/cancelled",
            "metadata": {"order_id": str(order_id)},
        }
    )


def checkout_session(settings: Settings, session_id: str) -> stripe.checkout.Session:
    return stripe_client(settings).v1.checkout.sessions.retrieve(session_id)
