"""PaymentMethods: cards from the test-card table, attached to and detached from customers."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import cards, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.cards import CardSpec
from fakeservices.stripe.errors import HoldRequest, StripeError, invalid, missing, no_such
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.card_data import card_check, card_from_data, peek_spec
from fakeservices.stripe.model.checks import (
    automatic_payment_methods,
    check_return_url,
    get,
    list_of,
    merge_metadata,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint

REDISPLAY = P.Enum(("always", "limited", "unspecified"))
CREATE = P.Obj(
    {
        "type": P.Enum(("card",)),
        "card": P.CARD_DATA,
        "billing_details": P.BILLING,
        "metadata": P.Meta(),
        "allow_redisplay": REDISPLAY,
        "customer": P.Str(),
        "payment_method": P.Str(),
        "expand": P.EXPAND,
    }
)
UPDATE = P.Obj(
    {
        "billing_details": P.BILLING,
        "metadata": P.Meta(),
        "card": P.Obj({"exp_month": P.Int(), "exp_year": P.Int(), "networks": P.AnyValue()}),
        "allow_redisplay": REDISPLAY,
        "expand": P.EXPAND,
    }
)
ATTACH = P.Obj({"customer": P.Str(), "expand": P.EXPAND}, required=("customer",))
LIST = P.LIST.extend({"customer": P.Str(), "type": P.Str()})


@dataclass(eq=False)
class PaymentMethods(Resource):
    expandable = {"payment_method": frozenset({"customer"})}

    accounts: Accounts
    emit: Emitter

    # -- what other resources use ----------------------------------------------------------
    def new(
        self, ctx: Ctx, acct: Account, spec: CardSpec, m: int, y: int, cvc: bool, p: Obj
    ) -> Obj:
        pm = objects.payment_method(
            spec,
            m,
            y,
            billing=p.get("billing_details"),
            metadata=p.get("metadata"),
            cvc_given=cvc,
            allow_redisplay=p.get("allow_redisplay"),
            created=ctx.now(),
        )
        acct.put(pm)
        acct.specs[pm["id"]] = spec
        return pm

    def from_data(self, ctx: Ctx, acct: Account, data: Obj, prefix: str) -> Obj:
        """A new PaymentMethod from ``payment_method_data``."""
        if data.get("type") is None:
            raise missing(f"{prefix}[type]")
        if data.get("card") is None:
            raise missing(f"{prefix}[card]")
        spec, m, y, cvc = card_from_data(acct, data["card"], f"{prefix}[card]", ctx.now())
        return self.new(ctx, acct, spec, m, y, cvc, data)

    def _magic(self, ctx: Ctx, acct: Account, name: str) -> Obj | None:
        spec = cards.by_pm(name)
        if spec is None:
            return None
        m, y = objects.default_expiry(ctx.now())
        return self.new(ctx, acct, spec, m, y, False, {})

    def resolve(self, ctx: Ctx, acct: Account, value: str, param: str) -> Obj:
        """A ``pm_card_*`` name becomes a new PaymentMethod; an id must exist."""
        magic = self._magic(ctx, acct, value)
        if magic is not None:
            return magic
        obj = acct.objects.get(value)
        if obj is None or obj["object"] != "payment_method":
            raise no_such("PaymentMethod", value, param, 400)
        return obj

    def for_confirm(
        self,
        ctx: Ctx,
        acct: Account,
        intent: Obj,
        p: Obj,
        return_url: str | None,
        missing_message: str,
    ) -> Obj:
        """The PaymentMethod a PaymentIntent or SetupIntent confirm uses: the one given (by id or
        ``payment_method_data``) or the intent's own. A timeout card holds the request before
        anything changes."""
        kind = intent["object"]
        pm_value = p.get("payment_method")
        data = p.get("payment_method_data")
        if pm_value is None and data is None:
            pm_value = intent["payment_method"]
        spec = peek_spec(acct, pm_value, data)
        if spec is not None and spec.outcome == "timeout":
            raise HoldRequest()
        if pm_value is None and data is None:
            raise StripeError(
                400,
                missing_message,
                code=f"{kind}_unexpected_state",
                extra={kind: objects.clone(intent)},
            )
        label = "PaymentIntent" if kind == "payment_intent" else "SetupIntent"
        check_return_url(intent, return_url, label)
        if data is not None:
            return self.from_data(ctx, acct, data, "payment_method_data")
        return self.resolve(ctx, acct, str(pm_value), "payment_method")

    def for_new_intent(
        self, ctx: Ctx, acct: Account, p: Obj, label: str
    ) -> tuple[Obj | None, Obj | None]:
        """An intent being created: its ``automatic_payment_methods`` and the PaymentMethod it
        names. With ``confirm=true`` a timeout card holds first and a ``return_url`` may be due."""
        if p.get("confirm"):
            spec = peek_spec(acct, p.get("payment_method"), p.get("payment_method_data"))
            if spec is not None and spec.outcome == "timeout":
                raise HoldRequest()
        apm = automatic_payment_methods(p)
        if p.get("confirm"):
            check_return_url({"automatic_payment_methods": apm}, p.get("return_url"), label)
        if p.get("payment_method") is None:
            return apm, None
        return apm, self.resolve(ctx, acct, p["payment_method"], "payment_method")

    # -- endpoints -------------------------------------------------------------------------
    @endpoint("POST", "/v1/payment_methods", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        if p.get("payment_method") is not None:  # cloning onto a connected account
            return self.resolve(ctx, acct, p["payment_method"], "payment_method")
        if p.get("type") is None:
            raise missing("type")
        if p.get("card") is None:
            raise missing("card")
        spec, m, y, cvc = card_from_data(acct, p["card"], "card", ctx.now())
        return self.new(ctx, acct, spec, m, y, cvc, p)

    @endpoint("GET", "/v1/payment_methods/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, pm_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        magic = self._magic(ctx, acct, pm_id)
        if magic is not None:
            return magic
        return get(acct, pm_id, "payment_method", "PaymentMethod")

    @endpoint("POST", "/v1/payment_methods/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, pm_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pm = get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
        if "metadata" in p:
            merge_metadata(pm, p["metadata"])
        if p.get("billing_details"):
            b = p["billing_details"]
            for k in ("email", "name", "phone"):
                if k in b:
                    pm["billing_details"][k] = b[k]
            if isinstance(b.get("address"), dict):
                pm["billing_details"]["address"].update(b["address"])
        if p.get("card"):
            for k in ("exp_month", "exp_year"):
                if p["card"].get(k) is not None:
                    pm["card"][k] = p["card"][k]
        if p.get("allow_redisplay"):
            pm["allow_redisplay"] = p["allow_redisplay"]
        self.emit(ctx, "payment_method.updated", pm)
        return pm

    @endpoint("POST", "/v1/payment_methods/{id}/attach", ATTACH)
    def attach(self, ctx: Ctx, p: Obj, pm_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pm = self.resolve(ctx, acct, pm_id, "payment_method")
        cus = get(acct, p["customer"], "customer", "customer", "customer", 400)
        if pm["customer"] not in (None, cus["id"]):
            raise invalid(
                "The payment method you provided has already been attached to a customer.",
                "payment_method",
            )
        card_check(acct.specs[pm["id"]], payment_method=objects.clone(pm))
        pm["customer"] = cus["id"]
        pm["card"]["checks"]["cvc_check"] = "pass"
        self.emit(ctx, "payment_method.attached", pm)
        return pm

    @endpoint("POST", "/v1/payment_methods/{id}/detach", P.ONLY_EXPAND)
    def detach(self, ctx: Ctx, p: Obj, pm_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pm = get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
        if pm["customer"] is None:
            raise invalid(
                f"The payment method {pm_id} is not attached to a customer so detachment is "
                "impossible.",
                "payment_method",
            )
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        self.emit(ctx, "payment_method.detached", pm, previous)
        return pm

    @endpoint("GET", "/v1/payment_methods", LIST)
    def list(self, ctx: Ctx, p: Obj, customer: str | None = None) -> Page:
        """All of them, or (``customer``) those of the customer named in the path."""
        acct = self.accounts.open(ctx.account)
        cus_id = customer or p.get("customer")
        if cus_id is not None:
            get(acct, cus_id, "customer", "customer", "customer", 404 if customer else 400)
        return list_of(
            acct, "payment_method", p, "PaymentMethod", customer=cus_id, type=p.get("type")
        )
