"""Tokens and PaymentMethods: cards from the test-card table."""

from __future__ import annotations

import time
from typing import Any

from fakeservices.stripe import cards, objects
from fakeservices.stripe.cards import (
    CardSpec,
    Decline,
)
from fakeservices.stripe.errors import (
    StripeError,
    card_error,
    invalid,
    missing,
    no_such,
)
from fakeservices.stripe.model.base import Account, Ctx, ModelBase, Obj, merge_metadata
from fakeservices.stripe.objects import clone


class PaymentMethods(ModelBase):
    """Tokens and PaymentMethods."""

    def _card_from_data(
        self, acct: Account, card: Obj, prefix: str
    ) -> tuple[CardSpec, int, int, bool]:
        """Resolve ``card[...]`` data to a row and expiry; raises Stripe's card errors."""
        tok = card.get("token")
        if tok is not None:
            spec = self._token_spec(acct, tok, f"{prefix}[token]")
            m, y = objects.default_expiry()
            return spec, m, y, False
        number = card.get("number")
        if number is None:
            raise missing(f"{prefix}[number]")
        for part in ("exp_month", "exp_year"):
            if card.get(part) is None:
                raise missing(f"{prefix}[{part}]")
        spec = cards.by_number(number)
        if spec.outcome == "incorrect_number":
            raise self._card_error(cards.INCORRECT_NUMBER, param="number")
        month, year = int(card["exp_month"]), int(card["exp_year"])
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise StripeError(
                402,
                "Your card's expiration month is invalid.",
                type="card_error",
                code="invalid_expiry_month",
                param="exp_month",
            )
        t = time.gmtime()
        if year < t.tm_year or (year == t.tm_year and month < t.tm_mon) or year > t.tm_year + 50:
            raise StripeError(
                402,
                "Your card's expiration year is invalid.",
                type="card_error",
                code="invalid_expiry_year",
                param="exp_year",
            )
        cvc = card.get("cvc")
        if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise StripeError(
                402,
                "Your card's security code is invalid.",
                type="card_error",
                code="invalid_cvc",
                param="cvc",
            )
        return spec, month, year, cvc is not None

    @staticmethod
    def _card_error(d: Decline, param: str | None = None, **extra: Any) -> StripeError:
        return card_error(d, param, **extra)

    def _token_spec(self, acct: Account, tok: str, param: str, consume: bool = True) -> CardSpec:
        magic = cards.by_token(tok)
        if magic is not None:
            return magic
        obj = acct.objects.get(tok)
        if obj is None or obj["object"] != "token":
            raise no_such("token", tok, param, 400)
        if obj["used"]:
            raise invalid(f"You cannot use a Stripe token more than once: {tok}.", param)
        if consume:
            obj["used"] = True
        return acct.specs[tok]

    def create_token(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        spec, m, y, _cvc = self._card_from_data(acct, p["card"], "card")
        card = objects.legacy_card(spec, m, y, None)
        if p["card"].get("cvc") is not None:
            card["cvc_check"] = "unchecked"
        tok = self._add(acct, objects.token(card))
        acct.specs[tok["id"]] = spec
        acct.specs[card["id"]] = spec
        return tok

    def retrieve_token(self, ctx: Ctx, tok_id: str) -> Obj:
        acct = self.account(ctx.account)
        spec = cards.by_token(tok_id)
        if spec is not None and tok_id not in acct.objects:
            m, y = objects.default_expiry()
            tok = objects.token(objects.legacy_card(spec, m, y, None))
            tok["id"] = tok_id
            return tok
        return self._get(acct, tok_id, "token", "token")

    def _new_pm(self, acct: Account, spec: CardSpec, m: int, y: int, cvc: bool, p: Obj) -> Obj:
        pm = objects.payment_method(
            spec,
            m,
            y,
            billing=p.get("billing_details"),
            metadata=p.get("metadata"),
            cvc_given=cvc,
            allow_redisplay=p.get("allow_redisplay"),
        )
        acct.specs[pm["id"]] = spec
        return self._add(acct, pm)

    def _pm_from_data(self, acct: Account, data: Obj, prefix: str) -> Obj:
        if data.get("type") is None:
            raise missing(f"{prefix}[type]")
        if data.get("card") is None:
            raise missing(f"{prefix}[card]")
        spec, m, y, cvc = self._card_from_data(acct, data["card"], f"{prefix}[card]")
        return self._new_pm(acct, spec, m, y, cvc, data)

    def _magic_pm(self, acct: Account, name: str) -> Obj | None:
        spec = cards.by_pm(name)
        if spec is None:
            return None
        m, y = objects.default_expiry()
        return self._new_pm(acct, spec, m, y, False, {})

    def _resolve_pm(self, acct: Account, value: str, param: str) -> Obj:
        """A ``pm_card_*`` name becomes a new PaymentMethod; an id must exist."""
        magic = self._magic_pm(acct, value)
        if magic is not None:
            return magic
        obj = acct.objects.get(value)
        if obj is None or obj["object"] != "payment_method":
            raise no_such("PaymentMethod", value, param, 400)
        return obj

    def _peek_spec(self, acct: Account, pm_value: str | None, data: Obj | None) -> CardSpec | None:
        """The card row a request would use, without creating anything."""
        if data is not None and isinstance(data.get("card"), dict):
            card = data["card"]
            if card.get("token"):
                tok = card["token"]
                return cards.by_token(tok) or acct.specs.get(tok)
            if card.get("number"):
                return cards.by_number(card["number"])
        if pm_value is not None:
            return cards.by_pm(pm_value) or cards.by_token(pm_value) or acct.specs.get(pm_value)
        return None

    def create_payment_method(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        if p.get("payment_method") is not None:  # cloning onto a connected account
            return self._resolve_pm(acct, p["payment_method"], "payment_method")
        if p.get("type") is None:
            raise missing("type")
        if p.get("card") is None:
            raise missing("card")
        spec, m, y, cvc = self._card_from_data(acct, p["card"], "card")
        return self._new_pm(acct, spec, m, y, cvc, p)

    def retrieve_payment_method(self, ctx: Ctx, pm_id: str) -> Obj:
        acct = self.account(ctx.account)
        magic = self._magic_pm(acct, pm_id)
        if magic is not None:
            return magic
        return self._get(acct, pm_id, "payment_method", "PaymentMethod")

    def update_payment_method(self, ctx: Ctx, pm_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pm = self._get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
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
        self._emit(ctx, "payment_method.updated", pm)
        return pm

    def _card_check(self, spec: CardSpec, **extra: Any) -> None:
        """Attaching a card runs a check: the decline rows fail it with their 402."""
        if spec.outcome == "decline" and spec.decline is not None:
            raise self._card_error(spec.decline, **extra)

    def attach_payment_method(self, ctx: Ctx, pm_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pm = self._resolve_pm(acct, pm_id, "payment_method")
        cus = self._get(acct, p["customer"], "customer", "customer", "customer", 400)
        if pm["customer"] not in (None, cus["id"]):
            raise invalid(
                "The payment method you provided has already been attached to a customer.",
                "payment_method",
            )
        self._card_check(acct.specs[pm["id"]], payment_method=clone(pm))
        pm["customer"] = cus["id"]
        pm["card"]["checks"]["cvc_check"] = "pass"
        self._emit(ctx, "payment_method.attached", pm)
        return pm

    def detach_payment_method(self, ctx: Ctx, pm_id: str) -> Obj:
        acct = self.account(ctx.account)
        pm = self._get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
        if pm["customer"] is None:
            raise invalid(
                f"The payment method {pm_id} is not attached to a customer so detachment is "
                "impossible.",
                "payment_method",
            )
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        self._emit(ctx, "payment_method.detached", pm, previous)
        return pm

    def list_payment_methods(
        self, ctx: Ctx, p: Obj, customer: str | None = None
    ) -> tuple[list[Obj], bool]:
        acct = self.account(ctx.account)
        cus_id = customer or p.get("customer")
        if cus_id is not None:
            self._get(acct, cus_id, "customer", "customer", "customer", 404 if customer else 400)
        kind = p.get("type")
        return self.list_of(
            ctx,
            "payment_method",
            p,
            "PaymentMethod",
            lambda o: (
                (cus_id is None or o["customer"] == cus_id) and (kind is None or o["type"] == kind)
            ),
        )

    # -- customers ---------------------------------------------------------------------------
