"""Refunds of a Charge (named directly or through its PaymentIntent), whole or partial."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import currency, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.balance import Balance
from fakeservices.stripe.model.checks import get, list_of, merge_metadata
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields

FIELDS: dict[str, P.Field] = {
    "amount": P.AMOUNT,
    "metadata": P.Meta(),
    "reason": P.Enum(("duplicate", "fraudulent", "requested_by_customer")),
    "refund_application_fee": P.Bool(),
    "reverse_transfer": P.Bool(),
    "instructions_email": P.Str(),
    "expand": P.EXPAND,
}
CREATE = P.Obj(
    {**FIELDS, "charge": P.Str(), "payment_intent": P.Str(), "origin": P.Str(), "currency": P.Str()}
)
#: ``POST /v1/charges/{id}/refunds`` (the charge is in the path).
CREATE_FOR_CHARGE = P.Obj({**FIELDS, "payment_intent": P.Str()})
UPDATE = P.Obj({"metadata": P.Meta(), "expand": P.EXPAND})
LIST = P.LIST.extend({"charge": P.Str(), "payment_intent": P.Str()})


@dataclass(eq=False)
class Refunds(Resource):
    expandable = {
        "refund": fields(
            "charge payment_intent balance_transaction failure_balance_transaction "
            "source_transfer_reversal transfer_reversal"
        )
    }

    accounts: Accounts
    emit: Emitter
    balance: Balance

    @endpoint("POST", "/v1/refunds", CREATE)
    def create(self, ctx: Ctx, p: Obj, charge_id: str | None = None) -> Obj:
        """Refund the charge in the path (``charge_id``) or the ``charge``/``payment_intent``."""
        acct = self.accounts.open(ctx.account)
        if charge_id is not None:
            ch = get(acct, charge_id, "charge", "charge")
        elif p.get("charge") is not None:
            ch = get(acct, p["charge"], "charge", "charge", "charge", 400)
        elif p.get("payment_intent") is not None:
            pi = get(
                acct,
                p["payment_intent"],
                "payment_intent",
                "payment_intent",
                "payment_intent",
                400,
            )
            if pi["status"] != "succeeded" or pi["latest_charge"] is None:
                raise invalid(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    "payment_intent",
                )
            ch = get(acct, pi["latest_charge"], "charge", "charge", "payment_intent", 400)
        else:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
            )
        if ch["status"] != "succeeded":
            raise invalid(f"Charge {ch['id']} has failed and cannot be refunded.", "charge")
        refundable = (ch["amount_captured"] if ch["captured"] else ch["amount"]) - ch[
            "amount_refunded"
        ]
        if refundable <= 0:
            raise invalid(
                f"Charge {ch['id']} has already been refunded.", None, "charge_already_refunded"
            )
        amount = p.get("amount")
        if amount is None:
            amount = refundable
        if amount < 1:
            raise invalid("This value must be greater than or equal to 1.", "amount")
        if amount > refundable:
            cur = ch["currency"]
            raise invalid(
                f"Refund amount ({currency.fmt(amount, cur)}) is greater than unrefunded amount "
                f"on charge ({currency.fmt(refundable, cur)})",
                "amount",
            )
        txn = (
            self.balance.record(ctx, acct, -amount, ch["currency"], ch["id"], "refund")
            if ch["captured"]
            else None
        )
        refund = acct.put(objects.refund(amount, ch, p, txn, ctx.now()))
        previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= (
            ch["amount_captured"] if ch["captured"] else ch["amount"]
        )
        self.emit(ctx, "charge.refunded", ch, previous)
        self.emit(ctx, "refund.created", refund)
        return refund

    @endpoint("GET", "/v1/refunds/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, re_id: str) -> Obj:
        return get(self.accounts.open(ctx.account), re_id, "refund", "refund")

    @endpoint("POST", "/v1/refunds/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, re_id: str) -> Obj:
        refund = self.retrieve(ctx, p, re_id)
        if "metadata" in p:
            merge_metadata(refund, p["metadata"])
        self.emit(ctx, "refund.updated", refund)
        return refund

    @endpoint("GET", "/v1/refunds", LIST)
    def list(self, ctx: Ctx, p: Obj, charge_id: str | None = None) -> Page:
        """All refunds, or (``charge_id``) those of the charge named in the path."""
        acct = self.accounts.open(ctx.account)
        charge = charge_id or p.get("charge")
        return list_of(
            acct, "refund", p, "refund", charge=charge, payment_intent=p.get("payment_intent")
        )
