"""A minimal stand-in "app" for docker/compose.yaml: one checkout, standard library only.

It does what a real app does with its third-party services, configured only through environment
variables, so that pointing it at fakeservices is a deployment concern:

    STRIPE_API_BASE, STRIPE_SECRET_KEY        charge the order (PaymentIntent create + confirm)
    SMTP_HOST, SMTP_PORT                      send the receipt
    TWILIO_API_BASE, TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN                         text the customer

A real app would use the official SDKs (``stripe.api_base = STRIPE_API_BASE``,
``twilio_client.api.base_url = TWILIO_API_BASE``); the wire is the same. Exits 0 on success.
"""

from __future__ import annotations

import base64
import json
import os
import smtplib
import sys
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any


def post_form(url: str, fields: dict[str, str], auth: str) -> dict[str, Any]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, headers={"Authorization": auth})
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
        return body


def checkout(customer_email: str, customer_phone: str, amount: int) -> None:
    stripe_base = os.environ["STRIPE_API_BASE"].rstrip("/")
    stripe_auth = "Bearer " + os.environ["STRIPE_SECRET_KEY"]
    intent = post_form(
        f"{stripe_base}/v1/payment_intents",
        {
            "amount": str(amount),
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "payment_method_types[]": "card",
        },
        stripe_auth,
    )
    intent = post_form(f"{stripe_base}/v1/payment_intents/{intent['id']}/confirm", {}, stripe_auth)
    print(f"app: payment {intent['id']} {intent['status']}")

    msg = EmailMessage()
    msg["From"] = "shop@example.com"
    msg["To"] = customer_email
    msg["Subject"] = f"Receipt for {intent['id']}"
    msg.set_content(f"We charged {amount / 100:.2f} USD. Thank you!")
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"]), timeout=10) as smtp:
        smtp.send_message(msg)
    print(f"app: receipt mailed to {customer_email}")

    sid, token = os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]
    basic = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
    twilio_base = os.environ["TWILIO_API_BASE"].rstrip("/")
    sms = post_form(
        f"{twilio_base}/2010-04-01/Accounts/{sid}/Messages.json",
        {"To": customer_phone, "From": "+15005550006", "Body": "Your order is on its way"},
        basic,
    )
    print(f"app: sms {sms['sid']} {sms['status']}")


if __name__ == "__main__":
    checkout(
        os.environ.get("CUSTOMER_EMAIL", "customer@example.com"),
        os.environ.get("CUSTOMER_PHONE", "+15558675310"),
        int(os.environ.get("ORDER_AMOUNT", "2500")),
    )
    sys.exit(0)
