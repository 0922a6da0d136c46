"""Customers (and their legacy card sources)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.card_data import card_check, peek_spec
from fakeservices.stripe.model.checks import get, list_of, merge_metadata, retrieve
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.sources import CustomerSources, source_of
from fakeservices.stripe.model.test_clocks import KIND as CLOCK
from fakeservices.stripe.model.test_clocks import ClockTime
from fakeservices.stripe.objects import clone

FIELDS: dict[str, P.Field] = {
    "address": P.ADDRESS,
    "balance": P.Int(),
    "description": P.Str(),
    "email": P.Str(512),
    "invoice_prefix": P.Str(),
    "invoice_settings": P.AnyValue(),
    "metadata": P.Meta(),
    "name": P.Str(256),
    "phone": P.Str(20),
    "preferred_locales": P.Arr(P.Str()),
    "shipping": P.SHIPPING,
    "source": P.Str(),
    "tax_exempt": P.Enum(("exempt", "none", "reverse")),
    "expand": P.EXPAND,
    "next_invoice_sequence": P.Int(),
}
CREATE = P.Obj(
    {
        **FIELDS,
        "payment_method": P.Str(),
        "tax_id_data": P.AnyValue(),
        "test_clock": P.Str(),
        "tax": P.AnyValue(),
    }
)
UPDATE = P.Obj({**FIELDS, "default_source": P.Str(), "tax": P.AnyValue()})
LIST = P.LIST.extend({"email": P.Str(512), "test_clock": P.Str()})
PAYMENT_METHODS = P.LIST.extend({"type": P.Str(), "allow_redisplay": P.Str()})


@dataclass(eq=False)
class Customers(Resource):
    expandable = {
        "customer": fields("default_source invoice_settings.default_payment_method test_clock"),
        "card": fields("customer"),
    }

    accounts: Accounts
    emit: Emitter
    payment_methods: PaymentMethods
    sources: CustomerSources

    @endpoint("POST", "/v1/customers", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        if p.get("test_clock") is not None:
            clock = get(acct, p["test_clock"], CLOCK, "test_clock", "test_clock", 400)
            ctx = ctx.at(ClockTime(clock))  # the customer lives on its clock's time
        pm: Obj | None = None
        if p.get("payment_method") is not None:
            pm = self.payment_methods.resolve(ctx, acct, p["payment_method"], "payment_method")
            card_check(acct.specs[pm["id"]], payment_method=clone(pm))
        if p.get("source") is not None:
            spec = peek_spec(acct, p["source"], None)
            if spec is not None:
                card_check(spec)
        cus = objects.customer(p, ctx.now())
        cus["test_clock"] = p.get("test_clock")
        if isinstance(p.get("invoice_settings"), dict):
            cus["invoice_settings"].update(p["invoice_settings"])
        acct.put(cus)
        if p.get("source") is not None:
            self.sources.attach(ctx, acct, cus, p["source"])
        self.emit(ctx, "customer.created", cus)
        if pm is not None:
            pm["customer"] = cus["id"]
            self.emit(ctx, "payment_method.attached", pm)
        return cus

    @endpoint("GET", "/v1/customers/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, cus_id: str) -> Obj:
        return retrieve(self.accounts.open(ctx.account), cus_id, "customer", "customer")

    @endpoint("POST", "/v1/customers/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, cus_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, cus_id, "customer", "customer")
        previous: Obj = {}
        for key, value in p.items():
            if key in ("expand", "source", "tax"):
                continue
            if key == "metadata":
                previous["metadata"] = dict(cus["metadata"])
                merge_metadata(cus, value)
            elif key == "invoice_settings":
                previous[key] = dict(cus[key])
                if isinstance(value, dict):
                    cus[key].update(value)
            elif key == "default_source":
                previous[key] = cus[key]
                if value is not None:
                    source_of(acct, cus, value, "default_source", 400)
                cus[key] = value
            else:
                previous[key] = cus.get(key)
                cus[key] = value
        if p.get("source") is not None:
            # Stripe: the new card becomes the default and the old default is deleted.
            old = cus["default_source"]
            peeked = peek_spec(acct, p["source"], None)
            if peeked is not None:
                card_check(peeked)
            if old is not None and old in acct.objects:
                self.sources.detach(ctx, acct, cus, acct.objects[old])
            previous["default_source"] = old
            card = self.sources.attach(ctx, acct, cus, p["source"])
            cus["default_source"] = card["id"]
        self.emit(ctx, "customer.updated", cus, previous)
        return cus

    @endpoint("DELETE", "/v1/customers/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, cus_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, cus_id, "customer", "customer")
        acct.remove(cus_id)
        acct.mark_deleted(cus_id, "customer")
        self.emit(ctx, "customer.deleted", cus)
        return objects.deleted(cus_id, "customer")

    @endpoint("GET", "/v1/customers/{id}/payment_methods", PAYMENT_METHODS)
    def payment_methods_of(self, ctx: Ctx, p: Obj, cus_id: str) -> Page:
        return self.payment_methods.list(ctx, p, customer=cus_id)

    @endpoint("GET", "/v1/customers", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        return list_of(
            acct, "customer", p, "customer", email=p.get("email"), test_clock=p.get("test_clock")
        )
