"""Prices: how much a Product costs, once (``one_time``) or every interval (``recurring``)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.catalog import (
    CUSTOM_UNIT_AMOUNT,
    PRICE_FIELDS,
    PRODUCT_DATA_FIELDS,
    TAX_BEHAVIOR,
    add_price,
    claim_lookup_key,
    lookup_key_owner,
    new_price,
    new_product,
    price_object,
    product_ref,
)
from fakeservices.stripe.model.checks import created_filter, get, merge_metadata, paginate
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields

#: At most this many ``lookup_keys[]`` in one list request.
MAX_LOOKUP_KEYS = 10

CREATE = P.Obj(
    {
        **PRICE_FIELDS,
        "product": P.Str(),
        "product_data": P.Obj(PRODUCT_DATA_FIELDS, required=("name",)),
        "active": P.Bool(),
        "billing_scheme": P.Enum(("per_unit", "tiered")),
        "custom_unit_amount": CUSTOM_UNIT_AMOUNT,
        "lookup_key": P.Str(200),
        "nickname": P.Str(),
        "transfer_lookup_key": P.Bool(),
        "transform_quantity": P.Obj(
            {"divide_by": P.Int(min=1), "round": P.Enum(("down", "up"))},
            required=("divide_by", "round"),
        ),
        "expand": P.EXPAND,
        **P.unmodelled("Prices", "currency_options tiers tiers_mode"),
    },
    required=("currency",),
)
UPDATE = P.Obj(
    {
        "active": P.Bool(),
        "lookup_key": P.Str(200),
        "metadata": P.Meta(),
        "nickname": P.Str(),
        "tax_behavior": TAX_BEHAVIOR,
        "transfer_lookup_key": P.Bool(),
        "expand": P.EXPAND,
        **P.unmodelled("Prices", "currency_options"),
    }
)
LIST = P.LIST.extend(
    {
        "active": P.Bool(),
        "currency": P.Str(),
        "product": P.Str(),
        "type": P.Enum(("one_time", "recurring")),
        "lookup_keys": P.Arr(P.Str(200)),
        "recurring": P.Obj(
            {
                "interval": P.Enum(("day", "month", "week", "year")),
                "meter": P.Str(),
                "usage_type": P.Enum(("licensed", "metered")),
            }
        ),
    }
)


@dataclass(eq=False)
class Prices(Resource):
    expandable = {"price": fields("product currency_options tiers")}

    accounts: Accounts
    emit: Emitter

    @endpoint("POST", "/v1/prices", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        if p.get("billing_scheme") == "tiered":
            raise invalid(
                "`billing_scheme=tiered` is a Stripe feature that fakeservices does not model; "
                "use per_unit prices (docs/stripe.md lists what is modelled).",
                "billing_scheme",
            )
        product: str | None = p.get("product")
        data: Obj | None = p.get("product_data")
        if product is not None and data is not None:
            raise invalid(
                "You may only specify one of these parameters: product, product_data.", "product"
            )
        if product is not None:
            product_ref(acct, product, "product")
            return new_price(ctx, acct, self.emit, p, product)
        if data is None:
            raise invalid(
                "You must specify either `product` or `product_data` when creating a price.",
                "product",
            )
        # Everything is checked before the product is made: a failed request changes nothing.
        price = price_object(p, "", "", ctx.now())
        if p.get("lookup_key") is not None:
            lookup_key_owner(acct, p["lookup_key"], bool(p.get("transfer_lookup_key")))
        price["product"] = new_product(ctx, acct, self.emit, data, "product_data[name]")["id"]
        return add_price(ctx, acct, self.emit, price, p)

    @endpoint("GET", "/v1/prices/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, price_id: str) -> Obj:
        return get(self.accounts.open(ctx.account), price_id, "price", "price")

    @endpoint("POST", "/v1/prices/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, price_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        price = get(acct, price_id, "price", "price")
        behavior = p.get("tax_behavior")
        if behavior is not None and price["tax_behavior"] not in ("unspecified", behavior):
            raise invalid(
                "You cannot change `tax_behavior` once it is set to `inclusive` or `exclusive`.",
                "tax_behavior",
            )
        key = p.get("lookup_key")
        if key is not None and key != price["lookup_key"]:
            claim_lookup_key(ctx, acct, self.emit, key, bool(p.get("transfer_lookup_key")))
        previous: Obj = {}
        for name, value in p.items():
            if name in ("expand", "transfer_lookup_key"):
                continue
            previous[name] = objects.clone(price.get(name))
            if name == "metadata":
                merge_metadata(price, value)
            else:
                price[name] = value
        self.emit(ctx, "price.updated", price, previous)
        return price

    @endpoint("GET", "/v1/prices", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        keys = p.get("lookup_keys")
        if keys is not None and len(keys) > MAX_LOOKUP_KEYS:
            raise invalid(
                f"You may only specify up to {MAX_LOOKUP_KEYS} lookup keys.", "lookup_keys"
            )
        created = created_filter(p)
        wanted = [(k, p[k]) for k in ("active", "product", "type") if p.get(k) is not None]
        if p.get("currency") is not None:
            wanted.append(("currency", p["currency"].lower()))
        rec = {k: v for k, v in (p.get("recurring") or {}).items() if v is not None}

        def keep(o: Obj) -> bool:
            if not created(o) or not all(o[k] == v for k, v in wanted):
                return False
            if keys and o["lookup_key"] not in keys:
                return False
            return not rec or (
                o["recurring"] is not None
                and all(o["recurring"].get(k) == v for k, v in rec.items())
            )

        return paginate([o for o in acct.of_kind("price") if keep(o)], p, "price")
