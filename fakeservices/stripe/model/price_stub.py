"""A stand-in for Products and Prices (create and retrieve only) until the ``checkout`` branch,
which owns them, is merged: Billing needs recurring prices to be tested. Delete this module and
its line in :class:`StripeModel` when merging that branch."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import check_currency, get
from fakeservices.stripe.model.resource import Resource, endpoint

PRODUCT = P.Obj({"name": P.Str(), "metadata": P.Meta(), "expand": P.EXPAND}, ("name",))
PRICE = P.Obj(
    {
        "product": P.Str(),
        "product_data": P.Obj({"name": P.Str()}, ("name",)),
        "unit_amount": P.Int(0),
        "currency": P.Str(),
        "recurring": P.Obj(
            {"interval": P.Enum(("day", "week", "month", "year")), "interval_count": P.Int(1)},
            ("interval",),
        ),
        "nickname": P.Str(),
        "metadata": P.Meta(),
        "expand": P.EXPAND,
    },
    ("currency", "unit_amount"),
)


@dataclass(eq=False)
class PriceStub(Resource):
    accounts: Accounts

    def _product(self, name: str, now: int) -> Obj:
        return {
            "id": objects.new_id("prod"),
            "object": "product",
            "active": True,
            "created": now,
            "default_price": None,
            "description": None,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": {},
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": None,
            "updated": now,
            "url": None,
        }

    @endpoint("POST", "/v1/products", PRODUCT)
    def create_product(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        prod = self._product(p["name"], ctx.now())
        prod["metadata"] = p.get("metadata") or {}
        return acct.put(prod)

    @endpoint("POST", "/v1/prices", PRICE)
    def create_price(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        now = ctx.now()
        if p.get("product_data") is not None:
            product_id = acct.put(self._product(p["product_data"]["name"], now))["id"]
        else:
            product_id = get(acct, p["product"], "product", "product", "product", 400)["id"]
        rec = p.get("recurring")
        price: Obj = {
            "id": objects.new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": now,
            "currency": check_currency(p["currency"]),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": p.get("metadata") or {},
            "nickname": p.get("nickname"),
            "product": product_id,
            "recurring": None
            if rec is None
            else {
                "interval": rec["interval"],
                "interval_count": rec.get("interval_count") or 1,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time" if rec is None else "recurring",
            "unit_amount": p["unit_amount"],
            "unit_amount_decimal": str(p["unit_amount"]),
        }
        return acct.put(price)

    @endpoint("GET", "/v1/prices/{id}", P.ONLY_EXPAND)
    def retrieve_price(self, ctx: Ctx, p: Obj, price_id: str) -> Obj:
        return get(self.accounts.open(ctx.account), price_id, "price", "price")
