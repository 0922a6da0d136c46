"""Settings from environment variables, as the shop reads them in production."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database: str
    #: Where customers reach the shop (Checkout sends them back here).
    public_url: str
    stripe_api_key: str
    stripe_api_base: str | None
    stripe_webhook_secret: str | None
    stripe_timeout: float
    stripe_max_retries: int
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    mail_from: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base: str | None
    sms_from: str

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            database=e.get("SHOP_DATABASE", "shop.sqlite3"),
            public_url=e.get("SHOP_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
            stripe_api_key=e["STRIPE_API_KEY"],
            stripe_api_base=e.get("STRIPE_API_BASE"),
            stripe_webhook_secret=e.get("STRIPE_WEBHOOK_SECRET"),
            stripe_timeout=float(e.get("STRIPE_TIMEOUT", "20")),
            stripe_max_retries=int(e.get("STRIPE_MAX_RETRIES", "2")),
            smtp_host=e.get("SMTP_HOST", "localhost"),
            smtp_port=int(e.get("SMTP_PORT", "25")),
            smtp_user=e.get("SMTP_USER"),
            smtp_password=e.get("SMTP_PASSWORD"),
            mail_from=e.get("MAIL_FROM", "shop@example.com"),
            twilio_account_sid=e["TWILIO_ACCOUNT_SID"],
            twilio_auth_token=e["TWILIO_AUTH_TOKEN"],
            twilio_api_base=e.get("TWILIO_API_BASE"),
            sms_from=e.get("SMS_FROM", "+15005550006"),
        )
