"""The shop's HTTP API (Starlette)."""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import AsyncIterator
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from twilio.base.exceptions import TwilioException

from shop import notify, payments
from shop.db import Database
from shop.settings import Settings

log = logging.getLogger("shop")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    db = Database(settings.database)

    async def register(request: Request) -> JSONResponse:
        data: dict[str, Any] = await request.json()
        name, email, phone = data["name"], data["email"], data.get("phone")
        if db.one("select id from users where email = ?", email):
            return JSONResponse({"error": "email already registered"}, status_code=409)
        user_id = db.execute(
            "insert into users (name, email, phone, welcome_email) values (?, ?, ?, 'pending')",
            name,
            email,
            phone,
        )
        # The user is kept even when the welcome email cannot be sent.
        try:
            await run_in_threadpool(notify.send_welcome_email, settings, name, email)
            welcome = "sent"
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("welcome email to %s failed: %s", email, exc)
            welcome = "failed"
        db.execute("update users set welcome_email = ? where id = ?", welcome, user_id)
        return JSONResponse({"id": user_id, "welcome_email": welcome}, status_code=201)

    async def get_user(request: Request) -> JSONResponse:
        user = db.one("select * from users where id = ?", int(request.path_params["id"]))
        return JSONResponse(user) if user else JSONResponse({"error": "not found"}, 404)

    async def create_order(request: Request) -> JSONResponse:
        data: dict[str, Any] = await request.json()
        user = db.one("select * from users where id = ?", int(data["user_id"]))
        if user is None:
            return JSONResponse({"error": "unknown user"}, status_code=404)
        amount, currency = int(data["amount"]), data.get("currency", "usd")
        order_id = db.execute(
            "insert into orders (user_id, amount, currency, status) values (?, ?, ?, 'pending')",
            user["id"],
            amount,
            currency,
        )
        result = await run_in_threadpool(
            payments.charge, settings, order_id, amount, currency, data["payment_method"]
        )
        db.execute(
            "update orders set status = ?, payment_intent = ?, decline_code = ? where id = ?",
            result.status,
            result.payment_intent,
            result.decline_code,
            order_id,
        )
        body = {"id": order_id, "status": result.status, "payment_intent": result.payment_intent}
        if result.status == "paid":
            if user["phone"]:
                try:
                    await run_in_threadpool(
                        notify.send_order_sms, settings, user["phone"], order_id, amount, currency
                    )
                except TwilioException as exc:
                    log.warning("order SMS failed: %s", exc)
            return JSONResponse(body, status_code=201)
        body["error"] = result.message
        status = {"declined": 402, "timeout": 504}.get(result.status, 502)
        return JSONResponse({**body, "decline_code": result.decline_code}, status_code=status)

    async def start_checkout(request: Request) -> JSONResponse:
        """An order paid on Stripe Checkout: the client is sent to ``checkout_url``."""
        data: dict[str, Any] = await request.json()
        user = db.one("select * from users where id = ?", int(data["user_id"]))
        if user is None:
            return JSONResponse({"error": "unknown user"}, status_code=404)
        items: list[dict[str, Any]] = data["items"]
        currency = data.get("currency", "usd")
        amount = sum(int(i["amount"]) * int(i.get("quantity", 1)) for i in items)
        order_id = db.execute(
            "insert into orders (user_id, amount, currency, status) values (?, ?, ?, 'pending')",
            user["id"],
            amount,
            currency,
        )
        try:
            session = await run_in_threadpool(
                payments.start_checkout, settings, order_id, items, currency, user["email"]
            )
        except stripe.StripeError as exc:
            db.execute("update orders set status = 'error' where id = ?", order_id)
            return JSONResponse({"id": order_id, "error": str(exc)}, status_code=502)
        db.execute("update orders set checkout_session = ? where id = ?", session.id, order_id)
        return JSONResponse(
            {"id": order_id, "checkout_url": session.url, "amount": amount}, status_code=201
        )

    def mark_paid(order_id: int, payment_intent: str | None, by_webhook: bool) -> None:
        db.execute(
            "update orders set status = 'paid', payment_intent = ? where id = ?",
            payment_intent,
            order_id,
        )
        if by_webhook:
            db.execute("update orders set webhook_confirmed = 1 where id = ?", order_id)

    async def checkout_return(request: Request) -> HTMLResponse:
        """Where Checkout sends the customer back: check the session with Stripe, not the URL."""
        order_id = int(request.path_params["id"])
        order = db.one("select * from orders where id = ?", order_id)
        session_id = request.query_params.get("session_id", "")
        if order is None or session_id != order["checkout_session"]:
            return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
        session = await run_in_threadpool(payments.checkout_session, settings, session_id)
        if session.payment_status != "paid":
            return HTMLResponse("<h1>Payment not received yet</h1>", status_code=202)
        intent = session.payment_intent
        mark_paid(order_id, intent if isinstance(intent, str) else None, False)
        return HTMLResponse(f"<h1 id='thanks'>Thanks! Order #{order_id} is paid.</h1>")

    async def checkout_cancelled(request: Request) -> HTMLResponse:
        return HTMLResponse("<h1 id='cancelled'>Your cart is waiting.</h1>")

    async def get_order(request: Request) -> JSONResponse:
        order = db.one("select * from orders where id = ?", int(request.path_params["id"]))
        return JSONResponse(order) if order else JSONResponse({"error": "not found"}, 404)

    async def stripe_webhook(request: Request) -> JSONResponse:
        payload = await request.body()
        try:
            event = payments.verify_webhook(
                settings, payload, request.headers.get("stripe-signature", "")
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if event.type == "payment_intent.succeeded":
            intent = event.data.object
            order_id = intent.metadata.to_dict().get("order_id")
            if order_id:
                db.execute("update orders set webhook_confirmed = 1 where id = ?", int(order_id))
        elif event.type == "checkout.session.completed":
            session = event.data.object
            if session.client_reference_id and session.payment_status == "paid":
                mark_paid(int(session.client_reference_id), session.payment_intent, True)
        return JSONResponse({"received": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        db.close()

    app = Starlette(
        routes=[
            Route("/users", register, methods=["POST"]),
            Route("/users/{id:int}", get_user),
            Route("/orders", create_order, methods=["POST"]),
            Route("/orders/{id:int}", get_order),
            Route("/checkout", start_checkout, methods=["POST"]),
            Route("/orders/{id:int}/paid", checkout_return),
            Route("/orders/{id:int}/cancelled", checkout_cancelled),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    return app
