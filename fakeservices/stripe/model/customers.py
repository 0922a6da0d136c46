"""Customers (and their legacy card sources)."""

from __future__ import annotations

from fakeservices.stripe import objects
from fakeservices.stripe.model.base import Account, Ctx, Obj, merge_metadata
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.objects import clone


class Customers(PaymentMethods):
    """Customers."""

    def _add_source(self, ctx: Ctx, acct: Account, cus: Obj, source: str) -> Obj:
        spec = self._token_spec(acct, source, "source")
        self._card_check(spec)
        m, y = objects.default_expiry()
        card = objects.legacy_card(spec, m, y, cus["id"])
        card["cvc_check"] = "pass"
        acct.specs[card["id"]] = spec
        self._add(acct, card)
        cus["default_source"] = card["id"]
        return card

    def create_customer(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pm: Obj | None = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
            self._card_check(acct.specs[pm["id"]], payment_method=clone(pm))
        if p.get("source") is not None:
            spec = self._peek_spec(acct, p["source"], None)
            if spec is not None:
                self._card_check(spec)
        cus = objects.customer(p)
        if isinstance(p.get("invoice_settings"), dict):
            cus["invoice_settings"].update(p["invoice_settings"])
        self._add(acct, cus)
        if p.get("source") is not None:
            self._add_source(ctx, acct, cus, p["source"])
        self._emit(ctx, "customer.created", cus)
        if pm is not None:
            pm["customer"] = cus["id"]
            self._emit(ctx, "payment_method.attached", pm)
        return cus

    def retrieve_customer(self, ctx: Ctx, cus_id: str) -> Obj:
        return self.retrieve(ctx, cus_id, "customer", "customer")

    def update_customer(self, ctx: Ctx, cus_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        cus = self._get(acct, cus_id, "customer", "customer")
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
                    self._get(acct, value, "card", "source", "default_source", 400)
                cus[key] = value
            else:
                previous[key] = cus.get(key)
                cus[key] = value
        if p.get("source") is not None:
            previous["default_source"] = cus["default_source"]
            self._add_source(ctx, acct, cus, p["source"])
        self._emit(ctx, "customer.updated", cus, previous)
        return cus

    def delete_customer(self, ctx: Ctx, cus_id: str) -> Obj:
        acct = self.account(ctx.account)
        cus = self._get(acct, cus_id, "customer", "customer")
        acct.remove(cus_id)
        acct.deleted[cus_id] = "customer"
        self._emit(ctx, "customer.deleted", cus)
        return objects.deleted(cus_id, "customer")

    def list_customers(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        email = p.get("email")
        return self.list_of(
            ctx, "customer", p, "customer", None if email is None else lambda o: o["email"] == email
        )

    # -- payment intents ---------------------------------------------------------------------
    def _customer_ref(self, acct: Account, cus_id: str | None) -> None:
        if cus_id is not None:
            self._get(acct, cus_id, "customer", "customer", "customer", 400)
