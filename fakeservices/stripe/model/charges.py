"""Charges (legacy `source=tok_*`) and Refunds."""

from __future__ import annotations

from fakeservices.stripe import currency, objects
from fakeservices.stripe.cards import (
    AUTH_REQUIRED,
    SLOW_SECONDS,
    Decline,
)
from fakeservices.stripe.errors import (
    HoldRequest,
    invalid,
    no_such,
)
from fakeservices.stripe.model.base import Account, Ctx, Obj, merge_metadata
from fakeservices.stripe.model.payment_intents import PaymentIntents
from fakeservices.stripe.objects import clone


class Charges(PaymentIntents):
    """Charges and Refunds."""

    def create_charge(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        cur = self.check_currency(p.get("currency"))
        self.check_amount(p["amount"], cur)
        source_id, cus_id = p.get("source"), p.get("customer")
        if cus_id is not None:
            self._get(acct, cus_id, "customer", "customer", "customer", 400)
        if source_id is None and cus_id is not None:
            source_id = acct.objects[cus_id]["default_source"]
            if source_id is None:
                raise invalid("Cannot charge a customer that has no active card", "card", "missing")
        if source_id is None:
            raise invalid("Must provide source or customer.", None, "parameter_missing")
        existing = acct.objects.get(source_id)
        if existing is not None and existing["object"] == "card":
            spec = acct.specs[source_id]
            card = existing
        else:
            peek = self._peek_spec(acct, source_id, None)
            if peek is not None and peek.outcome == "timeout":
                raise HoldRequest()
            if not source_id.startswith("tok_"):
                raise no_such("source", source_id, "source", 400)
            spec = self._token_spec(acct, source_id, "source")
            m, y = objects.default_expiry()
            token_obj = acct.objects.get(source_id)
            card = (
                clone(token_obj["card"])
                if token_obj is not None
                else objects.legacy_card(spec, m, y, None)
            )
            card["cvc_check"] = card.get("cvc_check") or "pass"
            acct.specs[card["id"]] = spec
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
        )
        if decline is None and captured:
            ch["balance_transaction"] = self._txn(acct, p["amount"], cur, ch["id"])
        self._add(acct, ch)
        if decline is not None:
            self._emit(ctx, "charge.failed", ch)
            raise self._card_error(decline, charge=ch["id"])
        self._emit(ctx, "charge.succeeded", ch)
        return ch

    def _charge(self, acct: Account, ch_id: str, param: str = "id", status: int = 404) -> Obj:
        return self._get(acct, ch_id, "charge", "charge", param, status)

    def retrieve_charge(self, ctx: Ctx, ch_id: str) -> Obj:
        return self._charge(self.account(ctx.account), ch_id)

    def update_charge(self, ctx: Ctx, ch_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        ch = self._charge(acct, ch_id)
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            previous[key] = clone(ch.get(key))
            if key == "metadata":
                merge_metadata(ch, value)
            else:
                ch[key] = value
        self._emit(ctx, "charge.updated", ch, previous)
        return ch

    def capture_charge(self, ctx: Ctx, ch_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        ch = self._charge(acct, ch_id)
        if ch["captured"] or ch["status"] != "succeeded":
            raise invalid(
                f"Charge {ch_id} has already been captured.", None, "charge_already_captured"
            )
        amount = p.get("amount")
        if ch["payment_intent"] is not None:
            self.capture_payment_intent(
                ctx, ch["payment_intent"], {} if amount is None else {"amount_to_capture": amount}
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
        ch["balance_transaction"] = self._txn(acct, amount, ch["currency"], ch["id"])
        self._emit(ctx, "charge.captured", ch, previous)
        return ch

    def list_charges(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus, pi = p.get("customer"), p.get("payment_intent")
        return self.list_of(
            ctx,
            "charge",
            p,
            "charge",
            lambda o: (
                (cus is None or o["customer"] == cus) and (pi is None or o["payment_intent"] == pi)
            ),
        )

    def create_refund(self, ctx: Ctx, p: Obj, charge_id: str | None = None) -> Obj:
        acct = self.account(ctx.account)
        if charge_id is not None:
            ch = self._charge(acct, charge_id)
        elif p.get("charge") is not None:
            ch = self._charge(acct, p["charge"], "charge", 400)
        elif p.get("payment_intent") is not None:
            pi = self._get(
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
            ch = acct.objects[pi["latest_charge"]]
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
            self._txn(acct, -amount, ch["currency"], ch["id"], "refund") if ch["captured"] else None
        )
        refund = self._add(acct, objects.refund(amount, ch, p, txn))
        previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= (
            ch["amount_captured"] if ch["captured"] else ch["amount"]
        )
        self._emit(ctx, "charge.refunded", ch, previous)
        self._emit(ctx, "refund.created", refund)
        return refund

    def retrieve_refund(self, ctx: Ctx, re_id: str) -> Obj:
        return self._get(self.account(ctx.account), re_id, "refund", "refund")

    def update_refund(self, ctx: Ctx, re_id: str, p: Obj) -> Obj:
        refund = self.retrieve_refund(ctx, re_id)
        if "metadata" in p:
            merge_metadata(refund, p["metadata"])
        self._emit(ctx, "refund.updated", refund)
        return refund

    def list_refunds(
        self, ctx: Ctx, p: Obj, charge_id: str | None = None
    ) -> tuple[list[Obj], bool]:
        ch, pi = charge_id or p.get("charge"), p.get("payment_intent")
        return self.list_of(
            ctx,
            "refund",
            p,
            "refund",
            lambda o: (
                (ch is None or o["charge"] == ch) and (pi is None or o["payment_intent"] == pi)
            ),
        )

    # -- setup intents -----------------------------------------------------------------------
