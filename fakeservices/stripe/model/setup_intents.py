"""SetupIntents: saving a card for later, with the same test cards and 3DS."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.core.ids import alnum
from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.cards import SETUP_AUTH_FAILED_MESSAGE, SLOW_SECONDS
from fakeservices.stripe.errors import card_error, decline_error_object, doc_url, state_error
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import (
    customer_ref,
    get,
    list_of,
    merge_metadata,
    use_payment_method,
    wrong_status,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.objects import clone

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = CONFIRMABLE
MISSING_PM = (
    "You cannot confirm this SetupIntent because it's missing a payment method. You can either "
    "update the SetupIntent with a payment method and then confirm it again, or confirm it "
    "again directly with a payment method."
)

COMMON: dict[str, P.Field] = {
    "description": P.Str(),
    "metadata": P.Meta(),
    "payment_method": P.Str(),
    "payment_method_data": P.PM_DATA,
    "payment_method_options": P.AnyValue(),
    "payment_method_types": P.Arr(P.Str()),
    "expand": P.EXPAND,
    "flow_directions": P.Arr(P.Str()),
    "payment_method_configuration": P.Str(),
    "excluded_payment_method_types": P.Arr(P.Str()),
}
CREATE = P.Obj(
    {
        **COMMON,
        "customer": P.Str(),
        "confirm": P.Bool(),
        "usage": P.Enum(("off_session", "on_session")),
        "return_url": P.Str(),
        "automatic_payment_methods": P.AUTOMATIC_PMS,
        "attach_to_self": P.Bool(),
        "on_behalf_of": P.Str(),
        "mandate_data": P.AnyValue(),
        "single_use": P.AnyValue(),
        "use_stripe_sdk": P.Bool(),
        "confirmation_token": P.Str(),
    }
)
UPDATE = P.Obj({**COMMON, "customer": P.Str(), "attach_to_self": P.Bool()})
CONFIRM = P.Obj(
    {
        "payment_method": P.Str(),
        "payment_method_data": P.PM_DATA,
        "payment_method_options": P.AnyValue(),
        "return_url": P.Str(),
        "mandate_data": P.AnyValue(),
        "use_stripe_sdk": P.Bool(),
        "confirmation_token": P.Str(),
        "expand": P.EXPAND,
    }
)
CANCEL = P.Obj(
    {
        "cancellation_reason": P.Enum(("abandoned", "duplicate", "requested_by_customer")),
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend({"customer": P.Str(), "payment_method": P.Str(), "attach_to_self": P.Bool()})
RETRIEVE = P.ONLY_EXPAND.extend({"client_secret": P.Str()})


@dataclass(eq=False)
class SetupIntents(Resource):
    expandable = {
        "setup_intent": fields(
            "customer payment_method latest_attempt application mandate on_behalf_of "
            "single_use_mandate"
        )
    }

    accounts: Accounts
    emit: Emitter
    payment_methods: PaymentMethods

    def _si(self, acct: Account, si_id: str) -> Obj:
        return get(acct, si_id, "setup_intent", "setupintent", "intent")

    @endpoint("POST", "/v1/setup_intents", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        customer_ref(acct, p.get("customer"))
        apm, pm = self.payment_methods.for_new_intent(ctx, acct, p, "SetupIntent")
        si = acct.put(objects.setup_intent(p, apm, ctx.now()))
        use_payment_method(si, pm)
        self.emit(ctx, "setup_intent.created", si)
        if p.get("confirm"):
            confirm = {k: p[k] for k in ("payment_method_data", "return_url") if p.get(k)}
            return self.confirm(ctx, confirm, si["id"])
        return si

    @endpoint("GET", "/v1/setup_intents/{id}", RETRIEVE)
    def retrieve(self, ctx: Ctx, p: Obj, si_id: str) -> Obj:
        return self._si(self.accounts.open(ctx.account), si_id)

    @endpoint("POST", "/v1/setup_intents/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, si_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] in ("succeeded", "canceled"):
            raise state_error(
                f"You cannot update this SetupIntent because it has a status of {si['status']}.",
                "setup_intent",
                clone(si),
            )
        customer_ref(acct, p.get("customer"))
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                merge_metadata(si, value)
            else:
                si[key] = value
        if p.get("payment_method") is not None:
            pm = self.payment_methods.resolve(ctx, acct, p["payment_method"], "payment_method")
            use_payment_method(si, pm)
        return si

    @endpoint("POST", "/v1/setup_intents/{id}/confirm", CONFIRM)
    def confirm(self, ctx: Ctx, p: Obj, si_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in CONFIRMABLE:
            raise wrong_status(si, "confirm", CONFIRMABLE)
        return_url = p.get("return_url")
        pm = self.payment_methods.for_confirm(ctx, acct, si, p, return_url, MISSING_PM)
        si["payment_method"] = pm["id"]
        si["last_setup_error"] = None
        spec = acct.specs[pm["id"]]
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        if spec.outcome == "three_ds" and si["id"] not in acct.authenticated:
            si["status"] = "requires_action"
            si["next_action"] = objects.next_action(si, return_url)
            self.emit(ctx, "setup_intent.requires_action", si)
            return si
        if spec.outcome == "decline" and spec.decline is not None:
            d = spec.decline
            error = decline_error_object(d, payment_method=clone(pm))
            self._fail(ctx, si, pm, d.code, d.message, error=error)
            raise card_error(d, setup_intent=clone(si), payment_method=clone(pm))
        self._succeed(ctx, acct, si, pm)
        return si

    def _succeed(self, ctx: Ctx, acct: Account, si: Obj, pm: Obj) -> None:
        si["status"] = "succeeded"
        si["next_action"] = None
        si["last_setup_error"] = None
        si["latest_attempt"] = f"setatt_1{alnum(23)}"
        acct.set_up.add(pm["id"])
        if si["customer"] and pm["customer"] is None:
            pm["customer"] = si["customer"]
            self.emit(ctx, "payment_method.attached", pm)
        self.emit(ctx, "setup_intent.succeeded", si)

    def _fail(
        self,
        ctx: Ctx,
        si: Obj,
        pm: Obj,
        code: str,
        message: str,
        error: Obj | None = None,
    ) -> None:
        """``error`` is a card decline's error object; else an ``invalid_request_error``."""
        if error is None:
            error = {
                "code": code,
                "doc_url": doc_url(code),
                "message": message,
                "payment_method": clone(pm),
                "type": "invalid_request_error",
            }
        si["last_setup_error"] = error
        si["status"] = "requires_payment_method"
        si["payment_method"] = None
        si["next_action"] = None
        self.emit(ctx, "setup_intent.setup_failed", si)

    def authenticate(self, ctx: Ctx, acct: Account, si: Obj, succeed: bool) -> Obj:
        """Complete (or fail) the pending 3DS challenge of ``si`` (our admin hook)."""
        pm = get(acct, si["payment_method"], "payment_method", "PaymentMethod", "payment_method")
        if succeed:
            acct.authenticated.add(si["id"])
            self._succeed(ctx, acct, si, pm)
        else:
            self._fail(
                ctx, si, pm, "setup_intent_authentication_failure", SETUP_AUTH_FAILED_MESSAGE
            )
        return si

    @endpoint("POST", "/v1/setup_intents/{id}/cancel", CANCEL)
    def cancel(self, ctx: Ctx, p: Obj, si_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in CANCELABLE:
            raise wrong_status(si, "cancel", CANCELABLE)
        si["status"] = "canceled"
        si["cancellation_reason"] = p.get("cancellation_reason")
        si["next_action"] = None
        self.emit(ctx, "setup_intent.canceled", si)
        return si

    @endpoint("GET", "/v1/setup_intents", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        filters = {k: p.get(k) for k in ("customer", "payment_method")}
        return list_of(acct, "setup_intent", p, "setupintent", **filters)
