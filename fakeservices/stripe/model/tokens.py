"""Tokens: card data exchanged for a single-use ``tok_`` (legacy Charges and sources)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import cards, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.card_data import card_from_data
from fakeservices.stripe.model.checks import get
from fakeservices.stripe.model.resource import Resource, endpoint

CREATE = P.Obj({"card": P.CARD_DATA, "customer": P.Str(), "expand": P.EXPAND}, required=("card",))


@dataclass(eq=False)
class Tokens(Resource):
    accounts: Accounts

    @endpoint("POST", "/v1/tokens", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        spec, m, y, _cvc = card_from_data(acct, p["card"], "card", ctx.now())
        card = objects.legacy_card(spec, m, y, None)
        if p["card"].get("cvc") is not None:
            card["cvc_check"] = "unchecked"
        tok = acct.put(objects.token(card, ctx.now()))
        acct.specs[tok["id"]] = spec
        return tok

    @endpoint("GET", "/v1/tokens/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, tok_id: str) -> Obj:
        """A Token of the account, or a magic ``tok_*`` (a fresh Token each time, as Stripe)."""
        acct = self.accounts.open(ctx.account)
        spec = cards.by_token(tok_id)
        if spec is not None and tok_id not in acct.objects:
            m, y = objects.default_expiry(ctx.now())
            tok = objects.token(objects.legacy_card(spec, m, y, None), ctx.now())
            tok["id"] = tok_id
            return tok
        return get(acct, tok_id, "token", "token")
