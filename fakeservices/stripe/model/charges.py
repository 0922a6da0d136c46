"""Charges: the legacy ``source=tok_*`` API, plus those PaymentIntents create; their refunds."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import currency, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.cards import AUTH_REQUIRED, SLOW_SECONDS, Decline
from fakeservices.stripe.errors import HoldRequest, card_error, invalid, no_such
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.balance import Balance
from fakeservices.stripe.model.card_data import peek_spec, token_spec
from fakeservices.stripe.model.checks import (
    check_amount,
    check_currency,
    get,
    list_of,
    merge_metadata,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_intents import PaymentIntents
from fakeservices.stripe.model.refunds import CREATE_FOR_CHARGE, Refunds
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.sources import no_linked_source
from fakeservices.stripe.objects import clone

CREATE = P.Obj(
    {
        "amount": P.AMOUNT,
        "currency": P.Str(),
        "source": P.Str(),
        "customer": P.Str(),
        "capture": P.Bool(),
        "description": P.Str(),
        "metadata": P.Meta(),
        "receipt_email": P.Str(),
        "shipping": P.SHIPPING,
        "statement_descriptor": P.Str(22),
        "statement_descriptor_suffix": P.Str(22),
        "transfer_group": P.Str(),
        "application_fee_amount": P.Int(),
        "on_behalf_of": P.Str(),
        "transfer_data": P.AnyValue(),
        "radar_options": P.AnyValue(),
        "expand": P.EXPAND,
    },
    required=("amount", "currency"),
)
UPDATE = P.Obj(
    {
        "description": P.Str(),
        "metadata": P.Meta(),
        "receipt_email": P.Str(),
        "shipping": P.SHIPPING,
        "fraud_details": P.AnyValue(),
        "transfer_group": P.Str(),
        "customer": P.Str(),
        "expand": P.EXPAND,
    }
)
CAPTURE = P.Obj(
    {
        "amount": P.Int(),
        "receipt_email": P.Str(),
        "statement_descriptor": P.Str(22),
        "statement_descriptor_suffix": P.Str(22),
        "application_fee_amount": P.Int(),
        "transfer_group": P.Str(),
        "transfer_data": P.AnyValue(),
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend({"customer": P.Str(), "payment_intent": P.Str(), "transfer_group": P.Str()})


@dataclass(eq=False)
class Charges(Resource):
    expandable = {
        "charge": fields(
            "customer payment_intent balance_transaction application application_fee "
            "failure_balance_transaction on_behalf_of review source_transfer transfer "
            "payment_method"
        )
    }

    accounts: Accounts
    emit: Emitter
    payment_intents: PaymentIntents
    refunds: Refunds
    balance: Balance

    def _charge(self, acct: Account, ch_id: str) -> Obj:
        return get(acct, ch_id, "charge", "charge")

    @endpoint("POST", "/v1/charges", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        cur = check_currency(p.get("currency"))
        check_amount(p["amount"], cur)
        source_id, cus_id = p.get("source"), p.get("customer")
        if cus_id is not None:
            cus = get(acct, cus_id, "customer", "customer", "customer", 400)
            if source_id is None:
                source_id = cus["default_source"]
                if source_id is None:
                    raise invalid(
                        "Cannot charge a customer that has no active card", "card", "missing"
                    )
        if source_id is None:
            raise invalid("Must provide source or customer.", None, "parameter_missing")
        existing = acct.objects.get(source_id)
        if existing is not None and existing["object"] == "card":
            if cus_id is not None and existing.get("customer") != cus_id:
                raise no_linked_source(cus_id, source_id, "source", 400)
            spec = acct.specs[source_id]
            card = existing
        else:
            peek = peek_spec(acct, source_id, None)
            if peek is not None and peek.outcome == "timeout":
                raise HoldRequest()
            if not source_id.startswith("tok_"):
                raise no_such("source", source_id, "source", 400)
            spec = token_spec(acct, source_id, "source")
            token_obj = acct.objects.get(source_id)
            if token_obj is not None:
                card = clone(token_obj["card"])
            else:
                m, y = objects.default_expiry(ctx.now())
                card = objects.legacy_card(spec, m, y, None)
            card["cvc_check"] = card.get("cvc_check") or "pass"
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        decline: Decline | None = None
        if spec.outcome == "three_ds":
            decline = spec.decline or AUTH_REQUIRED
        elif spec.outcome in ("decline", "charge_decline"):
            decline = spec.decline
        captured = p.get("capture") is not False
        ch = objects.charge(
            amount=p["amount"],
            currency=cur,
            spec=spec,
            card=card,
            pm_id=None,
            source=card,
            customer=cus_id,
            payment_intent=None,
            captured=captured,
            decline=decline,
            fields=p,
            created=ctx.now(),
        )
        if decline is None and captured:
            ch["balance_transaction"] = self.balance.record(ctx, acct, p["amount"], cur, ch["id"])
        acct.put(ch)
        if decline is not None:
            self.emit(ctx, "charge.failed", ch)
            raise card_error(decline, charge=ch["id"])
        self.emit(ctx, "charge.succeeded", ch)
        return ch

    @endpoint("GET", "/v1/charges/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, ch_id: str) -> Obj:
        return self._charge(self.accounts.open(ctx.account), ch_id)

    @endpoint("POST", "/v1/charges/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, ch_id: str) -> Obj:
        ch = self._charge(self.accounts.open(ctx.account), ch_id)
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            previous[key] = clone(ch.get(key))
            if key == "metadata":
                merge_metadata(ch, value)
            else:
                ch[key] = value
        self.emit(ctx, "charge.updated", ch, previous)
        return ch

    @endpoint("POST", "/v1/charges/{id}/capture", CAPTURE)
    def capture(self, ctx: Ctx, p: Obj, ch_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        ch = self._charge(acct, ch_id)
        if ch["captured"] or ch["status"] != "succeeded":
            raise invalid(
                f"Charge {ch_id} has already been captured.", None, "charge_already_captured"
            )
        amount = p.get("amount")
        if ch["payment_intent"] is not None:
            self.payment_intents.capture(
                ctx, {} if amount is None else {"amount_to_capture": amount}, ch["payment_intent"]
            )
            return ch
        if amount is None:
            amount = ch["amount"]
        if not 1 <= amount <= ch["amount"]:
            raise invalid(
                f"Amount must be no more than {currency.fmt(ch['amount'], ch['currency'])}",
                "amount",
                "amount_too_large",
            )
        previous = {"amount_captured": 0, "captured": False}
        ch["captured"] = True
        ch["amount_captured"] = amount
        ch["balance_transaction"] = self.balance.record(ctx, acct, amount, ch["currency"], ch["id"])
        self.emit(ctx, "charge.captured", ch, previous)
        return ch

    @endpoint("POST", "/v1/charges/{id}/refunds", CREATE_FOR_CHARGE)
    def refund(self, ctx: Ctx, p: Obj, ch_id: str) -> Obj:
        return self.refunds.create(ctx, p, charge_id=ch_id)

    @endpoint("GET", "/v1/charges/{id}/refunds", P.LIST, sublist=("charge", "refunds"))
    def refunds_of(self, ctx: Ctx, p: Obj, ch_id: str) -> Page:
        return self.refunds.list(ctx, p, charge_id=ch_id)

    @endpoint("GET", "/v1/charges", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        filters = {k: p.get(k) for k in ("customer", "payment_intent")}
        return list_of(acct, "charge", p, "charge", **filters)
