"""Products: what a shop sells (its Prices say for how much)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.catalog import (
    CUSTOM_UNIT_AMOUNT,
    PRICE_FIELDS,
    new_price,
    new_product,
)
from fakeservices.stripe.model.checks import (
    created_filter,
    get,
    merge_metadata,
    paginate,
    retrieve,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields

FIELDS: dict[str, P.Field] = {
    "name": P.Str(),
    "active": P.Bool(),
    "description": P.Str(40000),
    "images": P.Arr(P.Str(2048)),
    "marketing_features": P.Arr(P.Obj({"name": P.Str(80)}, required=("name",))),
    "metadata": P.Meta(),
    "package_dimensions": P.Obj({k: P.AnyValue() for k in ("height", "length", "weight", "width")}),
    "shippable": P.Bool(),
    "statement_descriptor": P.Str(22),
    "tax_code": P.Str(),
    "unit_label": P.Str(12),
    "url": P.Str(),
    "expand": P.EXPAND,
    "tax_details": P.AnyValue(),
}
DEFAULT_PRICE_DATA = P.Obj(
    {
        **PRICE_FIELDS,
        "custom_unit_amount": CUSTOM_UNIT_AMOUNT,
        **P.unmodelled("Products", "currency_options"),
    },
    required=("currency",),
)
CREATE = P.Obj(
    {**FIELDS, "id": P.Str(), "default_price_data": DEFAULT_PRICE_DATA, "type": P.Str()},
    required=("name",),
)
UPDATE = P.Obj({**FIELDS, "default_price": P.Str()})
LIST = P.LIST.extend(
    {"active": P.Bool(), "ids": P.Arr(P.Str()), "shippable": P.Bool(), "url": P.Str()}
)
IN_USE = "This product cannot be deleted because it has one or more user-created prices."


@dataclass(eq=False)
class Products(Resource):
    expandable = {"product": fields("default_price tax_code")}

    accounts: Accounts
    emit: Emitter

    @endpoint("POST", "/v1/products", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        product = new_product(ctx, acct, self.emit, p)
        data = p.get("default_price_data")
        if data is not None:
            price = new_price(ctx, acct, self.emit, data, product["id"], "default_price_data[")
            product["default_price"] = price["id"]
        return product

    @endpoint("GET", "/v1/products/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, prod_id: str) -> Obj:
        return retrieve(self.accounts.open(ctx.account), prod_id, "product", "product")

    @endpoint("POST", "/v1/products/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, prod_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        product = get(acct, prod_id, "product", "product")
        if "name" in p and p["name"] is None:
            raise invalid("You cannot unset the name of a product.", "name")
        price_id = p.get("default_price")
        if price_id is not None:
            price = get(acct, price_id, "price", "price", "default_price", 400)
            if price["product"] != prod_id:
                raise invalid(
                    f"The price `{price_id}` does not belong to this product.", "default_price"
                )
            if not price["active"]:
                raise invalid(
                    "The price specified is inactive. This field only accepts active prices.",
                    "default_price",
                )
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            previous[key] = objects.clone(product.get(key))
            if key == "metadata":
                merge_metadata(product, value)
            elif key in ("images", "marketing_features"):
                product[key] = value or []
            else:
                product[key] = value
        product["updated"] = ctx.now()
        self.emit(ctx, "product.updated", product, previous)
        return product

    @endpoint("DELETE", "/v1/products/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, prod_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        product = get(acct, prod_id, "product", "product")
        if any(price["product"] == prod_id for price in acct.of_kind("price")):
            raise invalid(IN_USE)
        acct.remove(prod_id)
        acct.mark_deleted(prod_id, "product")
        self.emit(ctx, "product.deleted", product)
        return objects.deleted(prod_id, "product")

    @endpoint("GET", "/v1/products", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        created = created_filter(p)
        ids = set(p["ids"]) if p.get("ids") else None
        wanted = [(k, p[k]) for k in ("active", "shippable", "url") if p.get(k) is not None]
        items = [
            o
            for o in acct.of_kind("product")
            if created(o) and (ids is None or o["id"] in ids) and all(o[k] == v for k, v in wanted)
        ]
        return paginate(items, p, "product")
