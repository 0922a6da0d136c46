"""The product catalog's shared pieces: Product and Price builders, checks and schemas.

Products and Prices create each other (``product_data`` on a Price, ``default_price_data`` on a
Product, ``price_data`` on a Checkout line item), so the making of each lives here as functions
of an account, used by :class:`~fakeservices.stripe.model.products.Products`,
:class:`~fakeservices.stripe.model.prices.Prices` and Checkout.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fakeservices.stripe import params as P
from fakeservices.stripe.errors import StripeError, invalid, missing
from fakeservices.stripe.model.accounts import Account, Ctx, Obj
from fakeservices.stripe.model.checks import check_currency, get
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.objects import new_id

#: Most intervals Stripe allows between two billings: three years.
MAX_INTERVAL = {"day": 1095, "week": 156, "month": 36, "year": 3}
DECIMAL_RE = re.compile(r"^-?\d+(\.\d{1,12})?$")

PRODUCT_DATA_FIELDS: dict[str, P.Field] = {
    "name": P.Str(),
    "active": P.Bool(),
    "id": P.Str(),
    "metadata": P.Meta(),
    "statement_descriptor": P.Str(22),
    "tax_code": P.Str(),
    "unit_label": P.Str(12),
    "tax_details": P.AnyValue(),
}
RECURRING = P.Obj(
    {
        "interval": P.Enum(("day", "month", "week", "year")),
        "interval_count": P.Int(),
        "usage_type": P.Enum(("licensed", "metered")),
        "meter": P.Str(),
        "trial_period_days": P.Int(min=1, max=730),
    },
    required=("interval",),
)
TAX_BEHAVIOR = P.Enum(("exclusive", "inclusive", "unspecified"))
CUSTOM_UNIT_AMOUNT = P.Obj(
    {"enabled": P.Bool(), "maximum": P.Int(), "minimum": P.Int(), "preset": P.Int()},
    required=("enabled",),
)
#: What a price is made of, wherever it is given (``prices.create``, ``price_data``...).
PRICE_FIELDS: dict[str, P.Field] = {
    "currency": P.Str(),
    "unit_amount": P.Int(min=0),
    "unit_amount_decimal": P.Str(),
    "recurring": RECURRING,
    "tax_behavior": TAX_BEHAVIOR,
    "metadata": P.Meta(),
}


def product_object(p: Obj, created: int) -> Obj:
    prod_id = p.get("id") or new_id("prod")
    return {
        "id": prod_id,
        "object": "product",
        "active": p.get("active", True) is not False,
        "created": created,
        "default_price": None,
        "description": p.get("description"),
        "images": p.get("images") or [],
        "livemode": False,
        "marketing_features": p.get("marketing_features") or [],
        "metadata": p.get("metadata") or {},
        "name": p["name"],
        "package_dimensions": p.get("package_dimensions"),
        "shippable": p.get("shippable"),
        "statement_descriptor": p.get("statement_descriptor"),
        "tax_code": p.get("tax_code"),
        "tax_details": None,
        "type": "service",
        "unit_label": p.get("unit_label"),
        "updated": created,
        "url": p.get("url"),
    }


def new_product(ctx: Ctx, acct: Account, emit: Emitter, p: Obj, param: str = "name") -> Obj:
    """Create (and announce) a Product from validated parameters."""
    if not p.get("name"):
        raise missing(param)
    if p.get("id") is not None and p["id"] in acct.objects:
        raise StripeError(
            400, "Product already exists.", code="resource_already_exists", param="id"
        )
    product = acct.put(product_object(p, ctx.now()))
    emit(ctx, "product.created", product)
    return product


def amounts(p: Obj, prefix: str) -> tuple[int | None, str | None]:
    """``unit_amount`` and ``unit_amount_decimal`` of a price, each derived from the other."""
    amount, dec = p.get("unit_amount"), p.get("unit_amount_decimal")
    if amount is not None and dec is not None:
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            f"{prefix}unit_amount",
        )
    if dec is not None:
        if not DECIMAL_RE.match(dec):
            raise invalid(f"Invalid decimal: {dec}", f"{prefix}unit_amount_decimal")
        value = Decimal(dec)
        if value < 0:
            raise invalid(
                "This value must be greater than or equal to 0.", f"{prefix}unit_amount_decimal"
            )
        whole = value == value.to_integral_value()
        return (int(value) if whole else None), format(value.normalize(), "f")
    if amount is not None:
        return amount, str(amount)
    return None, None


def recurring_of(p: Obj, prefix: str) -> Obj | None:
    rec: Obj | None = p.get("recurring")
    if rec is None:
        return None
    count = rec.get("interval_count") or 1
    if count < 1 or count > MAX_INTERVAL[rec["interval"]]:
        raise invalid(
            "The maximum interval allowed is three years (3 years, 36 months, or 156 weeks)."
            if count >= 1
            else "This value must be greater than or equal to 1.",
            f"{prefix}recurring[interval_count]",
        )
    usage = rec.get("usage_type") or "licensed"
    if usage == "metered" and rec.get("meter") is None:
        raise missing(f"{prefix}recurring[meter]")
    return {
        "interval": rec["interval"],
        "interval_count": count,
        "meter": rec.get("meter"),
        "trial_period_days": rec.get("trial_period_days"),
        "usage_type": usage,
    }


def price_object(p: Obj, product: str, prefix: str, created: int) -> Obj:
    """A Price from validated parameters (``prefix`` names them in errors: ``price_data[``)."""
    cur = check_currency(p.get("currency"))
    amount, dec = amounts(p, prefix)
    custom = p.get("custom_unit_amount")
    if amount is None and dec is None and custom is None:
        raise missing(f"{prefix}unit_amount")
    if custom is not None and (amount is not None or dec is not None):
        raise invalid(
            "You may only specify one of these parameters: custom_unit_amount, unit_amount.",
            f"{prefix}custom_unit_amount",
        )
    recurring = recurring_of(p, prefix)
    return {
        "id": new_id("price"),
        "object": "price",
        "active": p.get("active", True) is not False,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": cur,
        "custom_unit_amount": None
        if custom is None
        else {k: custom.get(k) for k in ("maximum", "minimum", "preset")},
        "livemode": False,
        "lookup_key": p.get("lookup_key"),
        "metadata": p.get("metadata") or {},
        "nickname": p.get("nickname"),
        "product": product,
        "recurring": recurring,
        "tax_behavior": p.get("tax_behavior") or "unspecified",
        "tiers_mode": None,
        "transform_quantity": p.get("transform_quantity"),
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": amount,
        "unit_amount_decimal": dec,
    }


def lookup_key_owner(acct: Account, key: str, transfer: bool) -> Obj | None:
    """The price holding lookup key ``key``, if any; an error if it may not be moved."""
    for other in acct.of_kind("price"):
        if other.get("lookup_key") == key:
            if not transfer:
                raise invalid(
                    f"A price (`{other['id']}`) already uses that lookup key.", "lookup_key"
                )
            return other
    return None


def claim_lookup_key(ctx: Ctx, acct: Account, emit: Emitter, key: str, transfer: bool) -> None:
    """A lookup key names one price: taken already, it moves only with ``transfer_lookup_key``."""
    other = lookup_key_owner(acct, key, transfer)
    if other is not None:
        other["lookup_key"] = None
        emit(ctx, "price.updated", other, {"lookup_key": key})


def add_price(ctx: Ctx, acct: Account, emit: Emitter, price: Obj, p: Obj) -> Obj:
    """Store (and announce) a Price built by :func:`price_object`."""
    if p.get("lookup_key") is not None:
        claim_lookup_key(ctx, acct, emit, p["lookup_key"], bool(p.get("transfer_lookup_key")))
    acct.put(price)
    emit(ctx, "price.created", price)
    return price


def new_price(
    ctx: Ctx, acct: Account, emit: Emitter, p: Obj, product: str, prefix: str = ""
) -> Obj:
    """Create (and announce) a Price of ``product`` from validated parameters."""
    price = price_object(p, product, prefix, ctx.now())
    if p.get("lookup_key") is not None:
        lookup_key_owner(acct, p["lookup_key"], bool(p.get("transfer_lookup_key")))
    return add_price(ctx, acct, emit, price, p)


def product_ref(acct: Account, prod_id: str, param: str) -> Obj:
    return get(acct, prod_id, "product", "product", param, 400)


def unit_total(price: Obj, quantity: int) -> int:
    """What ``quantity`` of ``price`` costs, in the currency's minor unit (rounded half up)."""
    if price["unit_amount"] is not None:
        return int(price["unit_amount"]) * quantity
    try:
        exact = Decimal(price["unit_amount_decimal"]) * quantity
    except (InvalidOperation, TypeError):
        return 0
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
