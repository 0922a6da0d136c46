"""Admin routes of the Stripe fake: webhook deliveries, events and the 3DS authenticate hook."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.disconnect import until_disconnect
from fakeservices.core.errors import AdminError, bad_param
from fakeservices.core.errors import json_body as guarded_json
from fakeservices.core.openapi import Param
from fakeservices.core.outbound import Delivery, delivery_filters
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Store
from fakeservices.stripe import currency
from fakeservices.stripe.admin_objects import StripeObjects
from fakeservices.stripe.errors import HoldRequest, StripeError
from fakeservices.stripe.events import StripeEvent
from fakeservices.stripe.model import StripeModel
from fakeservices.stripe.model.subscriptions import set_after_retries
from fakeservices.stripe.objects import clone

#: What ``complete`` does when the card asks for 3D Secure.
THREE_DS = ("succeed", "fail", "pending")


async def json_body(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object (empty body: ``{}``) through the core's guarded decoder,
    refusing fields not in ``allowed``."""
    body = await guarded_json(request, empty={})
    if not isinstance(body, dict):
        raise AdminError(400, "invalid_json", "Body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise bad_param(sorted(unknown)[0], "unknown field")
    return body


def declined(err: StripeError) -> AdminError:
    """A Stripe error met while paying, in the admin envelope (a decline keeps its fields)."""
    if err.status == 402:
        extra = {k: v for k, v in err.error_object().items() if k not in ("code", "message")}
        return AdminError(402, err.code or "card_declined", err.message, **extra)
    return AdminError(400, err.code or "invalid_request", err.message, param=err.param)


def event_filters(q: Query) -> Callable[[StripeEvent], bool] | None:
    kind = q.text("type")
    if kind is None:
        return None
    return lambda e: e.type == kind


class StripeAdmin:
    def __init__(self, runtime: Runtime, model: StripeModel, events: Store[StripeEvent]) -> None:
        self.runtime = runtime
        self.model = model
        self.deliveries = Readback[Delivery](
            name="stripe/webhook-deliveries",
            store=runtime.deliveries,
            filters=delivery_filters("stripe"),
            to_json=Delivery.to_json,
            summary=Delivery.summary,
            filter_params=[
                Param("event", description="event type, e.g. payment_intent.succeeded"),
                Param("state", description="pending, delivered or failed"),
                Param("ref", description="the event id (evt_...)"),
                Param("url", description="the receiving URL"),
            ],
            noun="delivery",
        )
        self.events = Readback[StripeEvent](
            name="stripe/events",
            store=events,
            filters=event_filters,
            to_json=StripeEvent.to_json,
            summary=StripeEvent.summary,
            filter_params=[Param("type", description="event type, e.g. charge.succeeded")],
            noun="event",
        )

    def _find(
        self, obj_id: str, account: str | None, noun: str = "intent"
    ) -> tuple[str, dict[str, Any]]:
        keys = [account] if account else self.model.accounts.keys()
        for key in keys:
            obj = self.model.accounts.find(key, obj_id)
            if obj is not None:
                return key, obj
        raise AdminError(404, "not_found", f"No {noun} with id {obj_id!r}")

    async def authenticate(self, request: Request) -> Response:
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        body = await json_body(request, {"outcome"})
        outcome = body.get("outcome", "succeed")
        if outcome not in ("succeed", "fail"):
            raise bad_param("outcome", f"expected succeed or fail, got {outcome!r}")
        kind = "payment_intent" if "payment_intents" in request.url.path else "setup_intent"
        intent_id = request.path_params["id"]
        key, intent = self._find(intent_id, account)
        if intent["object"] != kind:
            raise AdminError(404, "not_found", f"No {kind} with id {intent_id!r}")
        if intent["status"] != "requires_action":
            raise AdminError(
                409,
                "unexpected_state",
                f"{intent_id} has status {intent['status']}; only an intent in "
                "requires_action awaits authentication",
            )
        ctx = self.model.accounts.context(key)
        result = self.model.authenticate(ctx, intent_id, outcome == "succeed")
        return JSONResponse(result)

    async def billing_settings(self, request: Request) -> Response:
        """Set what Billing does after the last failed retry of a renewal, per account (the
        Dashboard setting on Stripe): ``{"after_retries": "cancel" | "unpaid" | "past_due"}``."""
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        if not account:
            raise bad_param("account", "the secret key of the account to configure")
        body = await json_body(request, {"after_retries"})
        acct = self.model.accounts.open(account)
        if "after_retries" in body:
            try:
                set_after_retries(acct, body["after_retries"])
            except ValueError as exc:
                raise bad_param("after_retries", str(exc)) from None
        return JSONResponse({"after_retries": acct.settings.get("billing.after_retries", "cancel")})

    async def hosted_invoice(self, request: Request) -> Response:
        """The page an invoice's ``hosted_invoice_url`` points to: its number, status, lines
        and amounts (no payment form: pay through the API or ``/v1/invoices/{id}/pay``)."""
        inv_id = request.path_params["id"]
        keys = self.model.accounts.keys()
        for key in keys:
            inv = self.model.accounts.find(key, inv_id)
            if inv is not None and inv["object"] == "invoice":
                break
        else:
            raise AdminError(404, "not_found", f"No invoice with id {inv_id!r}")
        cur = inv["currency"]
        rows = "".join(
            f"<tr><td>{html.escape(line['description'] or '')}</td>"
            f"<td>{html.escape(currency.fmt(line['amount'], cur))}</td></tr>"
            for line in inv["lines"]["data"]
        )
        title = html.escape(f"Invoice {inv['number'] or inv['id']}")
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>Status: <strong id='status'>"
            f"{html.escape(inv['status'])}</strong></p>"
            f"<table><tr><th>Description</th><th>Amount</th></tr>{rows}</table>"
            f"<p>Amount due: <span id='amount_due'>"
            f"{html.escape(currency.fmt(inv['amount_due'], cur))}</span>; "
            f"remaining: {html.escape(currency.fmt(inv['amount_remaining'], cur))}</p>"
            "</body></html>"
        )
        return HTMLResponse(page)

    def _session(self, request: Request) -> tuple[str, str]:
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        sid = request.path_params["id"]
        key, obj = self._find(sid, account, "Checkout Session")
        if obj["object"] != "checkout.session":
            raise AdminError(404, "not_found", f"No Checkout Session with id {sid!r}")
        return key, sid

    async def complete_checkout(self, request: Request) -> Response:
        """Pay an open Checkout Session with a test card, as its hosted page does."""
        key, sid = self._session(request)
        body = await json_body(request, {"payment_method", "email", "three_d_secure", "delayed"})
        pm = body.get("payment_method", "pm_card_visa")
        email = body.get("email")
        three_ds = body.get("three_d_secure", "succeed")
        if not isinstance(pm, str) or not pm:
            raise bad_param("payment_method", "expected a PaymentMethod id or pm_card_* name")
        if email is not None and not isinstance(email, str):
            raise bad_param("email", "expected a string")
        if three_ds not in THREE_DS:
            raise bad_param("three_d_secure", f"expected one of {', '.join(THREE_DS)}")
        delayed = body.get("delayed", False)
        if not isinstance(delayed, bool):
            raise bad_param("delayed", "expected true or false")
        sessions = self.model.checkout_sessions
        ctx = self.model.accounts.context(key)
        acct = self.model.accounts.open(key)
        status = sessions.session(ctx, acct, sid)["status"]
        if status != "open":
            raise AdminError(
                409, "unexpected_state", f"{sid} has status {status}; only an open session is paid"
            )
        try:
            cs = sessions.pay(ctx, sid, pm, email, delayed)
        except HoldRequest:
            runtime = self.runtime
            await until_disconnect(request.receive, runtime.hold(runtime.config.hold_seconds))
            raise AdminError(
                504, "timeout", "The payment timed out (timeout test card); nothing was charged"
            ) from None
        except StripeError as err:
            raise declined(err) from None
        if ctx.delay:
            await self.runtime.hold(ctx.delay)
        intent_id = sessions.intent_of(acct, cs)
        intent = acct.objects.get(intent_id or "")
        if intent is not None and intent["status"] == "requires_action" and three_ds != "pending":
            intent = self.model.authenticate(ctx, intent["id"], three_ds == "succeed")
            error = intent.get("last_payment_error") or intent.get("last_setup_error")
            if cs["status"] == "open" and error:
                raise AdminError(402, error["code"], error["message"])
        return JSONResponse(clone(cs))

    async def settle_checkout(self, request: Request) -> Response:
        """The outcome of a completed session's delayed payment (``delayed`` on complete)."""
        key, sid = self._session(request)
        body = await json_body(request, {"outcome"})
        outcome = body.get("outcome", "succeed")
        if outcome not in ("succeed", "fail"):
            raise bad_param("outcome", f"expected succeed or fail, got {outcome!r}")
        ctx = self.model.accounts.context(key)
        try:
            cs = self.model.checkout_sessions.settle(ctx, sid, outcome == "succeed")
        except StripeError as err:
            raise AdminError(409, "unexpected_state", err.message) from None
        return JSONResponse(clone(cs))

    async def expire_checkout(self, request: Request) -> Response:
        """Expire an open Checkout Session (as ``POST /v1/checkout/sessions/{id}/expire``)."""
        key, sid = self._session(request)
        await json_body(request, set())
        ctx = self.model.accounts.context(key)
        try:
            cs = self.model.checkout_sessions.expire(ctx, {}, sid)
        except StripeError as err:
            raise AdminError(409, "unexpected_state", err.message) from None
        return JSONResponse(clone(cs))

    def routes(self) -> list[BaseRoute]:
        doc = self.runtime.api_doc
        body = {
            "type": "object",
            "properties": {"outcome": {"type": "string", "enum": ["succeed", "fail"]}},
        }
        for kind in ("payment_intents", "setup_intents"):
            doc.add(
                "POST",
                f"/__admin/stripe/{kind}/{{id}}/authenticate",
                "Complete (succeed) or fail the 3D Secure challenge of an intent in "
                "requires_action",
                [Param("id", location="path"), Param("account", description="its secret key")],
                {200: "The intent after authentication", 409: "Not awaiting authentication"},
                body_schema=body,
            )
        doc.add(
            "GET",
            "/__admin/stripe/invoices/{id}/hosted",
            "The hosted page of an invoice (its hosted_invoice_url)",
            [Param("id", location="path")],
            {200: "An HTML page", 404: "No such invoice"},
            response_type="text/html",
        )
        doc.add(
            "POST",
            "/__admin/stripe/billing/settings",
            "Set what Billing does after a renewal's last failed retry (cancel, unpaid, past_due)",
            [Param("account", description="its secret key")],
            {200: "The settings now", 400: "Bad value"},
            body_schema={
                "type": "object",
                "properties": {
                    "after_retries": {"type": "string", "enum": ["cancel", "unpaid", "past_due"]}
                },
            },
        )
        session = [Param("id", location="path"), Param("account", description="its secret key")]
        doc.add(
            "POST",
            "/__admin/stripe/checkout/sessions/{id}/complete",
            "Pay an open Checkout Session with a test card, as its hosted page does",
            session,
            {
                200: "The session (complete; or open when three_d_secure=pending)",
                402: "The card was declined (the session stays open)",
                409: "The session is not open",
                504: "Timeout test card",
            },
            body_schema={
                "type": "object",
                "properties": {
                    "payment_method": {"type": "string", "default": "pm_card_visa"},
                    "email": {"type": "string"},
                    "three_d_secure": {"type": "string", "enum": list(THREE_DS)},
                    "delayed": {"type": "boolean", "default": False},
                },
            },
        )
        doc.add(
            "POST",
            "/__admin/stripe/checkout/sessions/{id}/async_payment",
            "Settle the delayed payment of a session completed with delayed=true",
            session,
            {200: "The session (paid, or still unpaid)", 409: "No delayed payment waiting"},
            body_schema={
                "type": "object",
                "properties": {"outcome": {"type": "string", "enum": ["succeed", "fail"]}},
            },
        )
        doc.add(
            "POST",
            "/__admin/stripe/checkout/sessions/{id}/expire",
            "Expire an open Checkout Session",
            session,
            {200: "The expired session", 409: "The session is not open"},
        )
        return [
            Route("/stripe/invoices/{id}/hosted", self.hosted_invoice, methods=["GET"]),
            Route("/stripe/billing/settings", self.billing_settings, methods=["POST"]),
            Route(
                "/stripe/checkout/sessions/{id}/complete",
                self.complete_checkout,
                methods=["POST"],
            ),
            Route("/stripe/checkout/sessions/{id}/expire", self.expire_checkout, methods=["POST"]),
            Route(
                "/stripe/checkout/sessions/{id}/async_payment",
                self.settle_checkout,
                methods=["POST"],
            ),
            *self.deliveries.routes(doc),
            *self.events.routes(doc),
            *StripeObjects(self.model).routes(doc),
            Route("/stripe/payment_intents/{id}/authenticate", self.authenticate, methods=["POST"]),
            Route("/stripe/setup_intents/{id}/authenticate", self.authenticate, methods=["POST"]),
        ]
