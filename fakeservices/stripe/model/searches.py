"""The Search API: ``GET /v1/{customers,payment_intents,charges}/search?query=...``.

Queries are parsed and matched by :mod:`fakeservices.stripe.search`; this module holds each
resource's searchable fields (Stripe's "query fields" tables) and the paging. Unlike Stripe's
(searchable within about a minute), ours is immediately consistent: an object is found as soon as
the request that made or changed it has answered. Other resources (subscriptions, invoices) add
their endpoint with :func:`search_page` and their own :data:`SearchFields`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import page_limit
from fakeservices.stripe.model.resource import Resource, SearchPage, endpoint
from fakeservices.stripe.search import (
    FieldType,
    QueryError,
    SearchFields,
    compile_text,
    page_after,
    page_token,
)

N, S, T = FieldType.NUMERIC, FieldType.STRING, FieldType.TOKEN

CUSTOMER_FIELDS: SearchFields = {"created": N, "email": S, "name": S, "phone": S}
PAYMENT_INTENT_FIELDS: SearchFields = {
    "amount": N,
    "created": N,
    "currency": T,
    "customer": T,
    "status": T,
}
_CARD = "payment_method_details.card"
CHARGE_FIELDS: SearchFields = {
    "amount": N,
    "billing_details.address.postal_code": S,
    "created": N,
    "currency": T,
    "customer": T,
    "disputed": T,
    "payment_intent": T,
    f"{_CARD}.brand": T,
    f"{_CARD}.exp_month": T,
    f"{_CARD}.exp_year": T,
    f"{_CARD}.fingerprint": T,
    f"{_CARD}.last4": T,
    "refunded": T,
    "status": T,
}

SEARCH = P.Obj(
    {"query": P.Str(), "limit": P.Int(), "page": P.Str(), "expand": P.EXPAND},
    required=("query",),
)


def search_page(
    acct: Account, kind: str, resource: str, fields: SearchFields, p: Obj
) -> SearchPage:
    """One page of the account's ``kind`` objects matching ``p["query"]``, newest first."""
    try:
        matches = compile_text(p["query"], fields, resource)
    except QueryError as err:
        raise invalid(err.message, "query") from None
    limit = page_limit(p)
    found = [o for o in acct.of_kind(kind) if matches(o)]
    total = len(found)
    if p.get("page") is not None:
        after = page_after(p["page"])
        ids = [o["id"] for o in found]
        if after is None or after not in acct.objects:
            raise invalid(f"Invalid page: {p['page']}", "page")
        if after in ids:
            found = found[ids.index(after) + 1 :]
        else:  # no longer matches: continue after it in the newest-first order
            order = [o["id"] for o in acct.of_kind(kind)]
            rank = {obj_id: i for i, obj_id in enumerate(order)}
            found = [o for o in found if rank[o["id"]] > rank.get(after, -1)]
    items = found[:limit]
    more = len(found) > limit
    return SearchPage(items, more, page_token(items[-1]["id"]) if more else None, total)


@dataclass(eq=False)
class Searches(Resource):
    """The search endpoints of Customers, PaymentIntents and Charges."""

    accounts: Accounts

    @endpoint("GET", "/v1/customers/search", SEARCH)
    def customers(self, ctx: Ctx, p: Obj) -> SearchPage:
        acct = self.accounts.open(ctx.account)
        return search_page(acct, "customer", "customers", CUSTOMER_FIELDS, p)

    @endpoint("GET", "/v1/payment_intents/search", SEARCH)
    def payment_intents(self, ctx: Ctx, p: Obj) -> SearchPage:
        acct = self.accounts.open(ctx.account)
        return search_page(acct, "payment_intent", "payment_intents", PAYMENT_INTENT_FIELDS, p)

    @endpoint("GET", "/v1/charges/search", SEARCH)
    def charges(self, ctx: Ctx, p: Obj) -> SearchPage:
        acct = self.accounts.open(ctx.account)
        return search_page(acct, "charge", "charges", CHARGE_FIELDS, p)
