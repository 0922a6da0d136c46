"""The hosted Checkout page: the HTML behind a session's ``url`` (``/checkout/{id}``).

A thin adapter over :class:`~fakeservices.stripe.model.checkout_sessions.CheckoutSessions`, with
no JavaScript and nothing loaded from the internet, so a person, an HTTP client posting the form
or a headless browser can pay:

- ``GET /checkout/{id}``: the order (line items, total), an email field and the test cards;
- ``POST /checkout/{id}`` (``payment_method``, ``email``): pays; success answers ``303`` to the
  ``success_url`` (``{CHECKOUT_SESSION_ID}`` replaced), a decline shows Stripe's message (402)
  with the session still open, a 3DS card shows a challenge, a timeout card holds the request;
- ``POST /checkout/{id}/authenticate`` (``outcome`` succeed|fail): the 3DS challenge's answer;
- ``GET /checkout/{id}/cancel``: ``303`` to the ``cancel_url`` (the session stays open).
"""

from __future__ import annotations

import html
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.disconnect import until_disconnect
from fakeservices.stripe import currency
from fakeservices.stripe.errors import HoldRequest, StripeError
from fakeservices.stripe.model import Ctx, StripeModel

if TYPE_CHECKING:
    from fakeservices.core.runtime import Runtime

Obj = dict[str, Any]

PREFIX = "/checkout"
#: The journal's (and fault rules') name for the page.
SERVICE = "stripe-checkout"
#: A form post is a few fields; anything larger is refused.
MAX_FORM_BYTES = 16 * 1024
#: The cards the page offers: (``payment_method``, label).
TEST_CARDS: tuple[tuple[str, str], ...] = (
    ("pm_card_visa", "Visa •••• 4242: succeeds"),
    ("pm_card_mastercard", "Mastercard •••• 4444: succeeds"),
    ("pm_card_chargeDeclined", "Visa •••• 0002: declined (generic_decline)"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "Visa •••• 9995: insufficient funds"),
    ("pm_card_chargeDeclinedExpiredCard", "Visa •••• 0069: expired card"),
    ("pm_card_threeDSecure2Required", "Visa •••• 3220: asks for 3D Secure"),
    ("pm_card_timeout", "Visa •••• 0408: the payment never answers (timeout)"),
)
TIMEOUT_MESSAGE = "The payment timed out (timeout test card); nothing was charged. Try again."
_PAGE = Template(resources.files(__package__).joinpath("checkout.html").read_text("utf-8"))


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, content: str, status: int = 200) -> HTMLResponse:
    body = _PAGE.substitute(title=e(title), content=content)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def message_page(title: str, text: str, status: int, link: str | None = None) -> HTMLResponse:
    extra = f'<p><a id="continue" href="{e(link)}">Continue</a></p>' if link else ""
    return page(title, f"<h1>{e(title)}</h1><p>{e(text)}</p>{extra}", status)


def success_target(cs: Obj) -> str | None:
    url = cs.get("success_url")
    return None if url is None else str(url).replace("{CHECKOUT_SESSION_ID}", cs["id"])


class CheckoutPage:
    def __init__(self, runtime: Runtime, model: StripeModel) -> None:
        self.runtime = runtime
        self.model = model
        self.sessions = model.checkout_sessions

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PREFIX + "/{id}", self.show, methods=["GET"]),
            Route(PREFIX + "/{id}", self.pay, methods=["POST"]),
            Route(PREFIX + "/{id}/authenticate", self.authenticate, methods=["POST"]),
            Route(PREFIX + "/{id}/cancel", self.cancel, methods=["GET"]),
        ]

    # -- finding the session -------------------------------------------------------------------
    def _open(self, request: Request) -> tuple[Ctx, Obj] | None:
        """The session's context and the session itself (expired first if its time is up)."""
        sid = request.path_params["id"]
        key = self.model.accounts.owner(sid)
        if key is None:
            return None
        request.state.account = key
        acct = self.model.accounts.open(key)
        if acct.objects[sid]["object"] != "checkout.session":
            return None
        ctx = self.model.accounts.context(key, base_url=str(request.base_url).rstrip("/"))
        return ctx, self.sessions.session(ctx, acct, sid)

    @staticmethod
    def _gone(cs: Obj | None) -> HTMLResponse:
        if cs is None:
            return message_page(
                "Checkout Session not found", "There is no Checkout Session at this address.", 404
            )
        if cs["status"] == "complete":
            return message_page(
                "Payment complete",
                "This Checkout Session is complete.",
                200,
                success_target(cs),
            )
        return message_page("Session expired", "This Checkout Session has expired.", 410)

    # -- handlers ------------------------------------------------------------------------------
    async def show(self, request: Request) -> Response:
        found = self._open(request)
        if found is None or found[1]["status"] != "open":
            return self._gone(None if found is None else found[1])
        return self._form(found[0], found[1])

    async def pay(self, request: Request) -> Response:
        found = self._open(request)
        if found is None or found[1]["status"] != "open":
            return self._gone(None if found is None else found[1])
        ctx, cs = found
        form = await self._read_form(request)
        if form is None:
            return self._form(ctx, cs, "The form is too large.", 413)
        pm = form.get("payment_method")
        if not pm:
            return self._form(ctx, cs, "Choose a test card.", 400)
        email = form.get("email") or None
        try:
            cs = self.sessions.pay(ctx, cs["id"], pm, email)
        except HoldRequest:
            runtime = self.runtime
            await until_disconnect(request.receive, runtime.hold(runtime.config.hold_seconds))
            return self._form(ctx, cs, TIMEOUT_MESSAGE, 504)
        except StripeError as err:
            return self._form(ctx, cs, err.message, 402 if err.status == 402 else 400, email)
        if ctx.delay:
            await self.runtime.hold(ctx.delay)
        return self._after(ctx, cs)

    async def authenticate(self, request: Request) -> Response:
        found = self._open(request)
        if found is None or found[1]["status"] != "open":
            return self._gone(None if found is None else found[1])
        ctx, cs = found
        form = await self._read_form(request) or {}
        intent = self._intent(ctx, cs)
        if intent is None or intent["status"] != "requires_action":
            return self._form(ctx, cs)
        intent = self.model.authenticate(ctx, intent["id"], form.get("outcome") == "succeed")
        if cs["status"] == "complete":
            return self._after(ctx, cs)
        error = intent.get("last_payment_error") or intent.get("last_setup_error") or {}
        return self._form(ctx, cs, error.get("message"), 402)

    async def cancel(self, request: Request) -> Response:
        found = self._open(request)
        if found is None:
            return self._gone(None)
        cs = found[1]
        if not cs.get("cancel_url"):
            return message_page("No cancel URL", "This session has no cancel_url.", 404)
        return RedirectResponse(cs["cancel_url"], status_code=303)

    # -- rendering -----------------------------------------------------------------------------
    def _intent(self, ctx: Ctx, cs: Obj) -> Obj | None:
        acct = self.model.accounts.open(ctx.account)
        return self.model.accounts.find(ctx.account, self.sessions.intent_of(acct, cs) or "")

    def _after(self, ctx: Ctx, cs: Obj) -> Response:
        """Where a payment attempt leads: the success URL, or the 3DS challenge."""
        if cs["status"] == "complete":
            target = success_target(cs)
            if target is None:
                return message_page("Payment complete", "Thanks: this session is complete.", 200)
            return RedirectResponse(target, status_code=303)
        return self._challenge(cs)

    @staticmethod
    def _challenge(cs: Obj) -> HTMLResponse:
        action = e(f"{PREFIX}/{cs['id']}/authenticate")
        content = (
            "<h1>3D Secure authentication</h1>"
            "<p>Your bank asks you to confirm this payment (test mode: choose the outcome).</p>"
            f'<form method="post" action="{action}">'
            '<button id="authenticate-succeed" name="outcome" value="succeed">'
            "Complete authentication</button> "
            '<button id="authenticate-fail" class="secondary" name="outcome" value="fail">'
            "Fail authentication</button></form>"
        )
        return page("3D Secure", content)

    def _form(
        self,
        ctx: Ctx,
        cs: Obj,
        error: str | None = None,
        status: int = 200,
        email: str | None = None,
    ) -> HTMLResponse:
        acct = self.model.accounts.open(ctx.account)
        items = acct.checkout.get(cs["id"], {}).get("line_items", [])
        cur = cs["currency"] or ""
        rows = "".join(
            f"<tr><td>{e(li['description'] or 'Item')} &times; {e(li['quantity'])}</td>"
            f'<td class="amount">{e(currency.fmt(li["amount_total"], cur))}</td></tr>'
            for li in items
        )
        setup = cs["mode"] == "setup"
        if not setup:
            total = currency.fmt(cs["amount_total"] or 0, cur)
            rows += (
                f'<tr class="total"><td>Total</td><td class="amount" id="total">{e(total)} '
                f"{e(cur.upper())}</td></tr>"
            )
        table = f"<table>{rows}</table>" if rows else ""
        fixed = cs["customer_email"]
        value = fixed or email or ""
        readonly = " readonly" if fixed else ""
        cards = "".join(
            f'<label><input type="radio" name="payment_method" value="{e(pm)}" id="{e(pm)}"'
            f"{' checked' if i == 0 else ''}> {e(label)}</label>"
            for i, (pm, label) in enumerate(TEST_CARDS)
        )
        alert = f'<p id="error" role="alert">{e(error)}</p>' if error else ""
        back = (
            f'<p><a id="cancel" href="{e(PREFIX)}/{e(cs["id"])}/cancel">&larr; Back</a></p>'
            if cs.get("cancel_url")
            else ""
        )
        title = "Save your card" if setup else "Pay"
        content = (
            f"{back}<h1>{e(title)}</h1>{table}{alert}"
            f'<form method="post" action="{e(PREFIX)}/{e(cs["id"])}">'
            f'<label>Email <input type="email" name="email" id="email" value="{e(value)}"'
            f"{readonly}></label>"
            f"<fieldset><legend>Test card</legend>{cards}</fieldset>"
            f'<button id="submit" type="submit">{"Save card" if setup else "Pay"}</button>'
            "</form>"
        )
        return page(f"{title} · Checkout", content, status)

    @staticmethod
    async def _read_form(request: Request) -> dict[str, str] | None:
        """The urlencoded form (first value of each field), or None when too large."""
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_FORM_BYTES:
                return None
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in fields.items()}
