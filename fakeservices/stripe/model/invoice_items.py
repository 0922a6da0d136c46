"""Invoice items: charges waiting for the customer's next invoice (or added to a draft one)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid, missing
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import (
    check_currency,
    get,
    list_of,
    merge_metadata,
    retrieve,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.invoices import add_line, invoice_item_line
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.test_clocks import on_clock

KIND = "invoiceitem"
NOUN = "invoiceitem"
PERIOD = P.Obj({"start": P.Int(), "end": P.Int()}, ("start", "end"))
CREATE = P.Obj(
    {
        "customer": P.Str(),
        "amount": P.Int(),
        "currency": P.Str(),
        "description": P.Str(),
        "invoice": P.Str(),
        "subscription": P.Str(),
        "quantity": P.Int(1),
        "pricing": P.Obj({"price": P.Str()}),
        "price": P.Str(),
        "unit_amount_decimal": P.Str(),
        "discountable": P.Bool(),
        "metadata": P.Meta(),
        "period": PERIOD,
        "expand": P.EXPAND,
    },
    required=("customer",),
)
UPDATE = P.Obj(
    {
        "amount": P.Int(),
        "description": P.Str(),
        "quantity": P.Int(1),
        "discountable": P.Bool(),
        "metadata": P.Meta(),
        "period": PERIOD,
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend({"customer": P.Str(), "invoice": P.Str(), "pending": P.Bool()})


@dataclass(eq=False)
class InvoiceItems(Resource):
    expandable = {KIND: fields("customer invoice test_clock")}

    accounts: Accounts
    emit: Emitter

    @endpoint("POST", "/v1/invoiceitems", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, p["customer"], "customer", "customer", "customer", 400)
        ctx = on_clock(ctx, acct, cus)
        price_id = p.get("price") or (p.get("pricing") or {}).get("price")
        quantity = p.get("quantity") or 1
        price: Obj | None = None
        if price_id is not None:
            price = get(acct, price_id, "price", "price", "price", 400)
            cur = price["currency"]
            unit = price.get("unit_amount") or 0
            amount = unit * quantity
        else:
            if p.get("amount") is None:
                raise missing("amount")
            cur = check_currency(p.get("currency"))
            amount = p["amount"]
            unit = amount // quantity
        inv: Obj | None = None
        if p.get("invoice") is not None:
            inv = get(acct, p["invoice"], "invoice", "invoice", "invoice", 400)
            if inv["status"] != "draft":
                raise invalid(
                    f"You can only add invoice items to draft invoices; {inv['id']} is "
                    f"{inv['status']}.",
                    "invoice",
                )
        sub = None
        if p.get("subscription") is not None:
            sub = get(acct, p["subscription"], "subscription", "subscription", "subscription", 400)
        now = ctx.now()
        period = p.get("period") or {"start": now, "end": now}
        ii: Obj = {
            "id": objects.new_id("ii"),
            "object": KIND,
            "amount": amount,
            "currency": cur,
            "customer": cus["id"],
            "customer_account": None,
            "date": now,
            "description": p.get("description"),
            "discountable": p.get("discountable", True),
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": p.get("metadata") or {},
            "net_amount": amount,
            "parent": None
            if sub is None
            else {
                "subscription_details": {"subscription": sub["id"]},
                "type": "subscription_details",
            },
            "period": {"end": period["end"], "start": period["start"]},
            "pricing": {
                **(
                    {}
                    if price is None
                    else {"price_details": {"price": price["id"], "product": price.get("product")}}
                ),
                "type": "price_details",
                "unit_amount_decimal": p.get("unit_amount_decimal") or str(unit),
            },
            "proration": False,
            "quantity": quantity,
            "quantity_decimal": str(quantity),
            "tax_rates": [],
            "test_clock": cus.get("test_clock"),
        }
        acct.put(ii)
        if inv is not None:
            ii["invoice"] = inv["id"]
            add_line(inv, invoice_item_line(inv, ii))
        self.emit(ctx, "invoiceitem.created", ii)
        return ii

    @endpoint("GET", "/v1/invoiceitems/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, ii_id: str) -> Obj:
        return retrieve(self.accounts.open(ctx.account), ii_id, KIND, NOUN)

    @endpoint("POST", "/v1/invoiceitems/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, ii_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        ii = get(acct, ii_id, KIND, NOUN)
        if ii["invoice"] is not None:
            inv = acct.objects.get(ii["invoice"])
            if inv is not None and inv["status"] != "draft":
                raise invalid(
                    "You can only update invoice items that are pending or on a draft invoice."
                )
        for key, value in p.items():
            if key == "metadata":
                merge_metadata(ii, value)
            elif key == "amount":
                ii["amount"] = ii["net_amount"] = value
            elif key != "expand":
                ii[key] = value
        return ii

    @endpoint("DELETE", "/v1/invoiceitems/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, ii_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        ii = get(acct, ii_id, KIND, NOUN)
        if ii["invoice"] is not None:
            raise invalid(
                "This invoice item is on an invoice and can no longer be deleted; delete or "
                "void the invoice instead."
            )
        acct.remove(ii_id)
        acct.mark_deleted(ii_id, KIND)
        self.emit(on_clock(ctx, acct, ii), "invoiceitem.deleted", ii)
        return objects.deleted(ii_id, KIND)

    @endpoint("GET", "/v1/invoiceitems", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        page = list_of(acct, KIND, p, NOUN, customer=p.get("customer"), invoice=p.get("invoice"))
        if p.get("pending") is not None:
            page.items = [ii for ii in page.items if (ii["invoice"] is None) == p["pending"]]
        return page
