"""Outgoing messages: the welcome email (SMTP) and the order SMS (Twilio)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from twilio.rest import Client

from shop.settings import Settings


def send_welcome_email(settings: Settings, name: str, to: str) -> None:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = f"Welcome to the shop, {name}!"
    msg.set_content(f"Hello {name},\n\nthanks for signing up.\n")
    msg.add_alternative(f"<p>Hello <b>{name}</b>, thanks for signing up.</p>", subtype="html")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


def twilio_client(settings: Settings) -> Client:
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base
    return client


def send_order_sms(settings: Settings, to: str, order_id: int, amount: int, currency: str) -> str:
    message = twilio_client(settings).messages.create(
        to=to,
        from_=settings.sms_from,
        body=f"Order #{order_id} paid: {amount / 100:.2f} {currency.upper()}. Thank you!",
    )
    return str(message.sid)
