"""The SaaS app: sign up (trial or paid), cancel, and Stripe's webhooks deciding access.

Configuration is environment variables only (:class:`Settings`). Access follows the subscription
as Stripe reports it through webhooks (``customer.subscription.*``); a failed renewal
(``invoice.payment_failed``) emails the customer. Nothing here knows about fakeservices except
``STRIPE_TEST_CLOCK``, which a test sets so that new customers live on its test clock.
"""

from __future__ import annotations

import os
import smtplib
import sqlite3
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

#: Subscription statuses that give access to the product.
ACCESS = ("trialing", "active", "past_due")


@dataclass(frozen=True)
class Settings:
    database: str
    stripe_api_key: str
    stripe_api_base: str | None
    stripe_webhook_secret: str
    stripe_price: str
    stripe_test_clock: str | None
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            database=e.get("SAAS_DATABASE", "saas.sqlite3"),
            stripe_api_key=e["STRIPE_API_KEY"],
            stripe_api_base=e.get("STRIPE_API_BASE"),
            stripe_webhook_secret=e["STRIPE_WEBHOOK_SECRET"],
            stripe_price=e["STRIPE_PRICE"],
            stripe_test_clock=e.get("STRIPE_TEST_CLOCK"),
            smtp_host=e.get("SMTP_HOST", "localhost"),
            smtp_port=int(e.get("SMTP_PORT", "25")),
            smtp_user=e.get("SMTP_USER"),
            smtp_password=e.get("SMTP_PASSWORD"),
        )


class Database:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        with self.lock, self.conn:
            self.conn.execute(
                "create table if not exists accounts (id integer primary key, email text, "
                "customer text, subscription text, status text, paid_invoices integer default 0)"
            )

    def run(self, sql: str, *args: Any) -> int:
        with self.lock, self.conn:
            return int(self.conn.execute(sql, args).lastrowid or 0)

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        with self.lock:
            row = self.conn.execute(sql, args).fetchone()
        return None if row is None else dict(row)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    db = Database(settings.database)
    client = stripe.StripeClient(
        settings.stripe_api_key,
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
        max_network_retries=0,
    )

    def subscribe(email: str, payment_method: str, trial_days: int) -> tuple[Any, Any]:
        params: dict[str, Any] = {"email": email, "payment_method": payment_method}
        if settings.stripe_test_clock:
            params["test_clock"] = settings.stripe_test_clock
        customer = client.v1.customers.create(params=params)
        pm = client.v1.customers.payment_methods.list(customer.id).data[0]
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
        )
        sub_params: dict[str, Any] = {
            "customer": customer.id,
            "items": [{"price": settings.stripe_price}],
        }
        if trial_days:
            sub_params["trial_period_days"] = trial_days
        return customer, client.v1.subscriptions.create(params=sub_params)

    async def signup(request: Request) -> JSONResponse:
        data: dict[str, Any] = await request.json()
        try:
            customer, sub = await run_in_threadpool(
                subscribe, data["email"], data["payment_method"], int(data.get("trial_days", 0))
            )
        except stripe.StripeError as exc:
            return JSONResponse({"error": exc.user_message}, status_code=402)
        account_id = db.run(
            "insert into accounts (email, customer, subscription, status) values (?, ?, ?, ?)",
            data["email"],
            customer.id,
            sub.id,
            sub.status,
        )
        return JSONResponse({"id": account_id, "status": sub.status}, status_code=201)

    async def account(request: Request) -> JSONResponse:
        row = db.one("select * from accounts where id = ?", int(request.path_params["id"]))
        if row is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({**row, "access": row["status"] in ACCESS})

    async def cancel(request: Request) -> JSONResponse:
        row = db.one("select * from accounts where id = ?", int(request.path_params["id"]))
        if row is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        sub = await run_in_threadpool(
            client.v1.subscriptions.update,
            row["subscription"],
            params={"cancel_at_period_end": True},
        )
        return JSONResponse({"cancel_at": sub.cancel_at})

    def email(to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "billing@example.com", to, subject
        msg.set_content(body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(msg)

    async def webhook(request: Request) -> Response:
        payload = await request.body()
        try:
            event = stripe.Webhook.construct_event(
                payload,
                request.headers.get("stripe-signature", ""),
                settings.stripe_webhook_secret,
            )
        except (ValueError, stripe.SignatureVerificationError):
            return Response(status_code=400)
        obj = event.data.object
        if event.type.startswith("customer.subscription."):
            db.run("update accounts set status = ? where subscription = ?", obj.status, obj.id)
        elif event.type == "invoice.paid" and obj.amount_paid > 0:
            db.run(
                "update accounts set paid_invoices = paid_invoices + 1 where customer = ?",
                obj.customer,
            )
        elif event.type == "invoice.payment_failed":
            row = db.one("select * from accounts where customer = ?", obj.customer)
            if row is not None:
                await run_in_threadpool(
                    email,
                    row["email"],
                    "Your payment failed",
                    f"We could not charge {obj.amount_due / 100:.2f} "
                    f"{obj.currency.upper()}; we will try again.",
                )
        return Response(status_code=200)

    return Starlette(
        routes=[
            Route("/signup", signup, methods=["POST"]),
            Route("/accounts/{id:int}", account),
            Route("/accounts/{id:int}/cancel", cancel, methods=["POST"]),
            Route("/webhooks/stripe", webhook, methods=["POST"]),
        ]
    )
