"""Subscriptions: recurring prices billed per period, and the billing moments a test clock crosses.

Statuses follow Stripe's state machine: ``trialing`` -> ``active``; a first invoice not paid at
once leaves ``incomplete`` (``incomplete_expired`` 23 hours later); a renewal that fails or needs
3DS makes it ``past_due``; after the last retry of :data:`invoices.RETRY_DAYS` it is ``canceled``
(or ``unpaid`` / left ``past_due``, the account's ``billing.after_retries`` setting); a trial
ending without a payment method may ``cancel`` or ``pause`` it (``trial_settings``).

Periods live on the items (``current_period_start/end``), as API 2026-10-28.endive places them.
Prorations are not modelled: a change of price or quantity needs ``proration_behavior=none`` and
is billed from the next renewal.

:class:`Subscriptions` is also the :class:`~test_clocks.Billing` a test clock drives:
:meth:`next_due` says when something on the clock is due, :meth:`run_due` does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.cards import AUTH_REQUIRED
from fakeservices.stripe.errors import card_error, invalid, missing
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import created_filter, get, merge_metadata, paginate
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.invoices import Invoices, describe, subscription_of
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.periods import DAY, boundary, period_index
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.test_clocks import on_clock
from fakeservices.stripe.objects import clone

KIND = "subscription"
NOUN = "subscription"
#: A first invoice left unpaid this long expires the subscription (``incomplete_expired``).
INCOMPLETE_WINDOW = 23 * 3600
#: ``customer.subscription.trial_will_end`` is sent this long before a trial ends.
TRIAL_WARNING = 3 * DAY
STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)
#: What the last failed retry does (the account setting ``billing.after_retries``).
AFTER_RETRIES = ("cancel", "unpaid", "past_due")

WHERE = "Subscriptions"
ITEM = P.Obj(
    {
        "id": P.Str(),
        "price": P.Str(),
        "quantity": P.Int(0),
        "metadata": P.Meta(),
        "deleted": P.Bool(),
        **P.unmodelled(WHERE, "clear_usage discounts price_data tax_rates"),
    }
)
PRORATION = P.Enum(("always_invoice", "create_prorations", "none"))
PAYMENT_BEHAVIOR = P.Enum(
    ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
)
COMMON: dict[str, P.Field] = {
    "items": P.Arr(ITEM),
    "default_payment_method": P.Str(),
    "cancel_at_period_end": P.Bool(),
    "collection_method": P.Enum(("charge_automatically", "send_invoice")),
    "days_until_due": P.Int(0, 730),
    "description": P.Str(500),
    "metadata": P.Meta(),
    "payment_behavior": PAYMENT_BEHAVIOR,
    "proration_behavior": PRORATION,
    "trial_end": P.AnyValue(),
    "trial_settings": P.Obj(
        {
            "end_behavior": P.Obj(
                {"missing_payment_method": P.Enum(("cancel", "create_invoice", "pause"))},
                ("missing_payment_method",),
            )
        },
        ("end_behavior",),
    ),
    "off_session": P.Bool(),
    "expand": P.EXPAND,
    **P.unmodelled(
        WHERE,
        "add_invoice_items application_fee_percent automatic_tax billing_cycle_anchor "
        "billing_thresholds cancel_at default_source default_tax_rates discounts "
        "invoice_settings on_behalf_of pause_collection payment_settings "
        "pending_invoice_item_interval proration_date transfer_data",
    ),
}
CREATE = P.Obj(
    {
        **COMMON,
        "customer": P.Str(),
        "trial_period_days": P.Int(0, 730),
        "trial_from_plan": P.Bool(),
        "currency": P.Str(),
    },
    required=("customer",),
)
UPDATE = P.Obj({**COMMON, "cancellation_details": P.AnyValue()})
CANCEL = P.Obj(
    {
        "invoice_now": P.Bool(),
        "prorate": P.Bool(),
        "cancellation_details": P.AnyValue(),
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend(
    {
        "customer": P.Str(),
        "price": P.Str(),
        "status": P.Enum(STATUSES),
        "collection_method": P.Enum(("charge_automatically", "send_invoice")),
        "test_clock": P.Str(),
        "current_period_end": P.AnyValue(),
        "current_period_start": P.AnyValue(),
        "automatic_tax": P.AnyValue(),
    }
)
NO_PAYMENT_METHOD = (
    "This customer has no attached payment source or default payment method. Please consider "
    "adding a default payment method. For more information, visit "
    "https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority."
)
NO_PRORATIONS = (
    "fakeservices does not model prorations: pass proration_behavior=none to change items or "
    "quantities (the change is billed from the next renewal)."
)


def plan_of(price: Obj) -> Obj:
    """The legacy ``plan`` every subscription item still carries, derived from its price."""
    rec = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price.get("active", True),
        "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price.get("billing_scheme", "per_unit"),
        "created": price.get("created"),
        "currency": price["currency"],
        "interval": rec.get("interval"),
        "interval_count": rec.get("interval_count", 1),
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": None,
        "nickname": price.get("nickname"),
        "product": price.get("product"),
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": rec.get("usage_type", "licensed"),
    }


def new_item(sub_id: str, price: Obj, quantity: int, meta: Obj | None, created: int) -> Obj:
    return {
        "id": objects.new_id("si"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": 0,
        "current_period_start": 0,
        "current_trial": None,
        "discounts": [],
        "metadata": dict(meta or {}),
        "plan": plan_of(price),
        "price": clone(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def items_of(sub: Obj) -> list[Obj]:
    items: list[Obj] = sub["items"]["data"]
    return items


def period_end(sub: Obj) -> int:
    end: int = items_of(sub)[0]["current_period_end"]
    return end


def interval(sub: Obj) -> tuple[str, int]:
    rec = items_of(sub)[0]["price"]["recurring"]
    return rec["interval"], rec.get("interval_count", 1)


@dataclass(eq=False)
class Subscriptions(Resource):
    expandable = {
        KIND: fields("customer default_payment_method latest_invoice test_clock"),
        "subscription_item": fields("price"),
    }

    accounts: Accounts
    emit: Emitter
    invoices: Invoices
    payment_methods: PaymentMethods

    def __post_init__(self) -> None:
        self.invoices.on_paid.append(self._invoice_paid)

    # -- checks ----------------------------------------------------------------------------
    def _price(self, acct: Account, price_id: str | None, param: str) -> Obj:
        if price_id is None:
            raise missing(param)
        price = get(acct, price_id, "price", "price", param, 400)
        if price.get("type") != "recurring" or not price.get("recurring"):
            raise invalid(
                "The price specified is set to `type=one_time` but this field only accepts "
                "prices with `type=recurring`.",
                param,
            )
        return price

    @staticmethod
    def _same_cycle(prices: list[Obj]) -> None:
        first = prices[0]
        for price in prices[1:]:
            if price["currency"] != first["currency"]:
                raise invalid(
                    "Currency and interval fields must match across all plans on this "
                    "subscription. Found mismatch in currency field.",
                    "items",
                )
            a, b = price["recurring"], first["recurring"]
            if (a["interval"], a.get("interval_count", 1)) != (
                b["interval"],
                b.get("interval_count", 1),
            ):
                raise invalid(
                    "Currency and interval fields must match across all plans on this "
                    "subscription. Found mismatch in interval field.",
                    "items",
                )

    def _payment_method(self, acct: Account, cus: Obj, pm_id: str | None) -> Obj | None:
        if pm_id is None:
            pm_id = cus["invoice_settings"].get("default_payment_method")
            if pm_id is None:
                return None
        pm = acct.objects.get(pm_id)
        if pm is None or pm["object"] != "payment_method":
            raise invalid(f"No such PaymentMethod: '{pm_id}'", "default_payment_method")
        if pm["customer"] != cus["id"]:
            raise invalid(
                f"The customer does not have a payment method with the ID {pm_id}. The payment "
                "method must be attached to the customer.",
                "default_payment_method",
            )
        return pm

    @staticmethod
    def _trial_end(p: Obj, now: int) -> int | None:
        raw = p.get("trial_end")
        if raw is not None:
            if raw == "now":
                return None
            if not isinstance(raw, str) or not raw.isdigit():
                raise invalid(
                    "Invalid timestamp: must be an integer Unix timestamp in the future, or `now`.",
                    "trial_end",
                )
            end = int(raw)
            if end <= now:
                raise invalid(
                    "Invalid timestamp: must be an integer Unix timestamp in the future.",
                    "trial_end",
                )
            return end
        days = p.get("trial_period_days")
        return None if not days else now + days * DAY

    # -- endpoints -------------------------------------------------------------------------
    @endpoint("POST", "/v1/subscriptions", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, p["customer"], "customer", "customer", "customer", 400)
        ctx = on_clock(ctx, acct, cus)
        now = ctx.now()
        raw_items = p.get("items") or []
        if not raw_items:
            raise missing("items")
        prices = [
            self._price(acct, it.get("price"), f"items[{i}][price]")
            for i, it in enumerate(raw_items)
        ]
        self._same_cycle(prices)
        pm = self._payment_method(acct, cus, p.get("default_payment_method"))
        trial_end = self._trial_end(p, now)
        behavior = p.get("payment_behavior") or "allow_incomplete"
        collection = p.get("collection_method") or "charge_automatically"
        if collection == "send_invoice" and p.get("days_until_due") is None:
            raise missing("days_until_due")
        charged = trial_end is None and collection == "charge_automatically"
        amount = sum(
            (pr.get("unit_amount") or 0) * (it.get("quantity") or 1)
            for pr, it in zip(prices, raw_items, strict=True)
        )
        if charged and amount > 0 and behavior != "default_incomplete":
            if pm is None:
                raise invalid(NO_PAYMENT_METHOD)
            if behavior == "error_if_incomplete":
                self._would_fail(acct, pm)
        sub_id = objects.new_id("sub")
        cur = prices[0]["currency"]
        anchor = trial_end or now
        items = [
            new_item(sub_id, pr, it.get("quantity") or 1, it.get("metadata"), now)
            for pr, it in zip(prices, raw_items, strict=True)
        ]
        ival, count = (
            prices[0]["recurring"]["interval"],
            prices[0]["recurring"].get("interval_count", 1),
        )
        end = trial_end or boundary(anchor, ival, count, 1)
        for item in items:
            item["current_period_start"], item["current_period_end"] = now, end
        sub = self._new(sub_id, cus, p, items, cur, anchor, now, trial_end, collection, pm)
        acct.put(sub)
        self.emit(ctx, "customer.subscription.created", sub)
        lines = [
            (
                item["price"],
                item["quantity"],
                (now, end),
                (
                    f"Trial period for {describe(acct, item['price'], 1).split(' (at ')[0][4:]}"
                    if trial_end
                    else describe(acct, item["price"], item["quantity"])
                ),
                item["id"],
            )
            for item in items
        ]
        inv = self.invoices.draft(
            ctx,
            acct,
            cus,
            cur,
            subscription=sub,
            reason="subscription_create",
            collection=collection,
            period=(now, now),
            lines=lines,
            pending_items=True,
        )
        if trial_end:
            for line in inv["lines"]["data"]:
                line["amount"] = line["subtotal"] = 0
            inv["subtotal"] = inv["total"] = inv["amount_due"] = inv["amount_remaining"] = 0
            inv["subtotal_excluding_tax"] = inv["total_excluding_tax"] = 0
        sub["latest_invoice"] = inv["id"]
        if collection == "send_invoice":
            inv["due_date"] = now + p["days_until_due"] * DAY
        self.invoices.finalize(ctx, acct, inv)
        if inv["status"] == "paid" or collection == "send_invoice":
            return sub
        pi = self.invoices.intent_of(acct, inv)
        if behavior == "default_incomplete":
            if pi is not None and pm is not None:
                pi["payment_method"] = pm["id"]
                pi["status"] = "requires_confirmation"
            return sub
        self.invoices.collect(ctx, acct, inv, pm, retry=False)
        return sub

    def _would_fail(self, acct: Account, pm: Obj) -> None:
        """``error_if_incomplete``: a card that would not pay at once is a 402, nothing made."""
        spec = acct.specs[pm["id"]]
        if spec.outcome == "three_ds" and not (
            pm["id"] in acct.set_up and spec.number == "4000002500003155"
        ):
            raise card_error(AUTH_REQUIRED, payment_method=clone(pm))
        if spec.decline is not None and spec.outcome in ("decline", "charge_decline", "three_ds"):
            raise card_error(spec.decline, payment_method=clone(pm))

    def _new(
        self,
        sub_id: str,
        cus: Obj,
        p: Obj,
        items: list[Obj],
        cur: str,
        anchor: int,
        now: int,
        trial_end: int | None,
        collection: str,
        pm: Obj | None,
    ) -> Obj:
        end_behavior = ((p.get("trial_settings") or {}).get("end_behavior") or {}).get(
            "missing_payment_method"
        ) or "create_invoice"
        cancel_at_end = bool(p.get("cancel_at_period_end"))
        status = "trialing" if trial_end else "incomplete"
        if collection == "send_invoice" and not trial_end:
            status = "active"
        return {
            "id": sub_id,
            "object": KIND,
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": anchor,
            "billing_cycle_anchor_config": None,
            "billing_mode": {"flexible": None, "type": "classic"},
            "billing_schedules": [],
            "billing_thresholds": None,
            "cancel_at": items[0]["current_period_end"] if cancel_at_end else None,
            "cancel_at_period_end": cancel_at_end,
            "canceled_at": now if cancel_at_end else None,
            "cancellation_details": {
                "comment": None,
                "feedback": None,
                "feedback_option": None,
                "reason": None,
            },
            "collection_method": collection,
            "created": now,
            "currency": cur,
            "customer": cus["id"],
            "customer_account": None,
            "days_until_due": p.get("days_until_due"),
            "default_payment_method": None
            if pm is None or not p.get("default_payment_method")
            else pm["id"],
            "default_source": None,
            "default_tax_rates": [],
            "description": p.get("description"),
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": {"type": "self"},
            },
            "items": {
                "object": "list",
                "data": items,
                "has_more": False,
                "total_count": len(items),
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "managed_payments": None,
            "metadata": p.get("metadata") or {},
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": now,
            "status": status,
            "test_clock": cus.get("test_clock"),
            "transfer_data": None,
            "trial_end": trial_end,
            "trial_settings": {
                "end_behavior": {
                    "billing_cycle_anchor": None,
                    "missing_payment_method": end_behavior,
                }
            },
            "trial_start": now if trial_end else None,
        }

    @endpoint("GET", "/v1/subscriptions/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, sub_id: str) -> Obj:
        return get(self.accounts.open(ctx.account), sub_id, KIND, NOUN)

    @endpoint("POST", "/v1/subscriptions/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, sub_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        sub = get(acct, sub_id, KIND, NOUN)
        ctx = on_clock(ctx, acct, sub)
        ended = sub["status"] in ("canceled", "incomplete_expired")
        if ended and set(p) - {"metadata", "cancellation_details", "expand"}:
            raise invalid(
                "A canceled subscription can only update its cancellation_details and "
                f"metadata; {sub_id} is {sub['status']}."
            )
        cus = get(acct, sub["customer"], "customer", "customer")
        previous: Obj = {}
        new_items = None
        if p.get("items") is not None:
            if p.get("proration_behavior") != "none":
                raise invalid(NO_PRORATIONS, "proration_behavior")
            new_items = self._changed_items(acct, sub, p["items"], ctx.now())
        pm = None
        if "default_payment_method" in p and p["default_payment_method"] is not None:
            pm = self._payment_method(acct, cus, p["default_payment_method"])
        trial_now = p.get("trial_end") == "now"
        if p.get("trial_end") is not None and not trial_now:
            raise invalid(
                "fakeservices models changing trial_end only to `now` (end the trial at once).",
                "trial_end",
            )
        if new_items is not None:
            previous["items"] = clone(sub["items"])
            sub["items"]["data"] = new_items
            sub["items"]["total_count"] = len(new_items)
        if pm is not None or (
            "default_payment_method" in p and p["default_payment_method"] is None
        ):
            previous["default_payment_method"] = sub["default_payment_method"]
            sub["default_payment_method"] = None if pm is None else pm["id"]
        if "cancel_at_period_end" in p:
            previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
            previous["cancel_at"] = sub["cancel_at"]
            previous["canceled_at"] = sub["canceled_at"]
            on = bool(p["cancel_at_period_end"])
            sub["cancel_at_period_end"] = on
            sub["cancel_at"] = period_end(sub) if on else None
            sub["canceled_at"] = ctx.now() if on else None
        for key in ("description", "collection_method", "days_until_due"):
            if key in p:
                previous[key] = sub[key]
                sub[key] = p[key]
        if "metadata" in p:
            previous["metadata"] = dict(sub["metadata"])
            merge_metadata(sub, p["metadata"])
        if p.get("cancellation_details") is not None:
            previous["cancellation_details"] = dict(sub["cancellation_details"])
            sub["cancellation_details"].update(p["cancellation_details"])
        self.emit(ctx, "customer.subscription.updated", sub, previous)
        if trial_now and sub["status"] == "trialing":
            self._renew(ctx, acct, sub)
        return sub

    def _changed_items(self, acct: Account, sub: Obj, changes: list[Obj], now: int) -> list[Obj]:
        items = {it["id"]: clone(it) for it in items_of(sub)}
        start, end = items_of(sub)[0]["current_period_start"], period_end(sub)
        order = list(items)
        for i, ch in enumerate(changes):
            if ch.get("id") is not None:
                if ch["id"] not in items:
                    raise invalid(f"No such subscription item: '{ch['id']}'", f"items[{i}][id]")
                item = items[ch["id"]]
                if ch.get("deleted"):
                    del items[ch["id"]]
                    order.remove(ch["id"])
                    continue
                if ch.get("price") is not None:
                    price = self._price(acct, ch["price"], f"items[{i}][price]")
                    item["price"], item["plan"] = clone(price), plan_of(price)
                if ch.get("quantity") is not None:
                    item["quantity"] = ch["quantity"]
                if "metadata" in ch:
                    merge_metadata(item, ch["metadata"])
            else:
                price = self._price(acct, ch.get("price"), f"items[{i}][price]")
                item = new_item(sub["id"], price, ch.get("quantity") or 1, ch.get("metadata"), now)
                item["current_period_start"], item["current_period_end"] = start, end
                items[item["id"]] = item
                order.append(item["id"])
        result = [items[k] for k in order]
        if not result:
            raise invalid("A subscription must have at least one active plan.", "items")
        self._same_cycle([it["price"] for it in result])
        return result

    @endpoint("DELETE", "/v1/subscriptions/{id}", CANCEL)
    def cancel(self, ctx: Ctx, p: Obj, sub_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        sub = get(acct, sub_id, KIND, NOUN)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise invalid(
                f"A canceled subscription can't be canceled again: {sub_id} is {sub['status']}."
            )
        reason = "cancellation_requested"
        details = p.get("cancellation_details")
        self._end(on_clock(ctx, acct, sub), acct, sub, reason, details)
        return sub

    def _end(
        self, ctx: Ctx, acct: Account, sub: Obj, reason: str, details: Obj | None = None
    ) -> None:
        """Cancel now: an incomplete subscription's open first invoice is voided."""
        now = ctx.now()
        was = sub["status"]
        sub["status"] = "canceled"
        sub["ended_at"] = now
        sub["canceled_at"] = sub["canceled_at"] or now
        sub["cancel_at"] = sub["cancel_at"] if sub["cancel_at_period_end"] else None
        sub["cancellation_details"] = {
            "comment": (details or {}).get("comment"),
            "feedback": (details or {}).get("feedback"),
            "feedback_option": None,
            "reason": reason,
        }
        inv = acct.objects.get(sub["latest_invoice"] or "")
        if was == "incomplete" and inv is not None and inv["status"] == "open":
            self.invoices.void_open(ctx, acct, inv)
        self.emit(ctx, "customer.subscription.deleted", sub)

    # -- what invoices tell us -------------------------------------------------------------
    def _invoice_paid(self, ctx: Ctx, acct: Account, inv: Obj) -> None:
        sub = acct.objects.get(subscription_of(inv) or "")
        if sub is None or sub["latest_invoice"] != inv["id"]:
            return
        if sub["status"] in ("incomplete", "past_due", "unpaid"):
            previous = {"status": sub["status"]}
            sub["status"] = "active"
            self.emit(ctx, "customer.subscription.updated", sub, previous)

    # -- the billing moments a test clock crosses (Billing) ----------------------------------
    def _due(self, acct: Account, sub: Obj) -> int | None:
        status = sub["status"]
        if status in ("canceled", "incomplete_expired", "paused"):
            return None
        if status == "incomplete":
            return int(sub["created"]) + INCOMPLETE_WINDOW
        if status == "trialing":
            end = int(sub["trial_end"])
            warn = end - TRIAL_WARNING
            sent = "trial_will_end" in acct.notes.get(sub["id"], ())
            return warn if not sent and warn > sub["trial_start"] else end
        moments = [period_end(sub)]
        inv = acct.objects.get(sub["latest_invoice"] or "")
        if inv is not None and inv["status"] == "open" and inv["next_payment_attempt"]:
            moments.append(inv["next_payment_attempt"])
        return min(moments)

    def _on_clock(self, acct: Account, clock_id: str) -> list[Obj]:
        return [s for s in acct.by_kind.get(KIND, {}).values() if s["test_clock"] == clock_id]

    def next_due(self, acct: Account, clock_id: str) -> int | None:
        times = [t for s in self._on_clock(acct, clock_id) if (t := self._due(acct, s)) is not None]
        return min(times, default=None)

    def run_due(self, ctx: Ctx, acct: Account, clock_id: str) -> None:
        now = ctx.now()
        for sub in self._on_clock(acct, clock_id):
            due = self._due(acct, sub)
            if due is not None and due <= now:
                self._step(ctx, acct, sub)

    def forget_clock(self, ctx: Ctx, acct: Account, clock_id: str) -> None:
        doomed = [
            o["id"]
            for kind in ("subscription", "invoice", "invoiceitem", "customer")
            for o in acct.by_kind.get(kind, {}).values()
            if o.get("test_clock") == clock_id
        ]
        for obj_id in doomed:
            kind = acct.objects[obj_id]["object"]
            acct.remove(obj_id)
            acct.mark_deleted(obj_id, kind)

    def _step(self, ctx: Ctx, acct: Account, sub: Obj) -> None:
        """The one thing due for ``sub`` now."""
        now = ctx.now()
        status = sub["status"]
        if status == "incomplete":
            previous = {"status": "incomplete"}
            sub["status"] = "incomplete_expired"
            sub["ended_at"] = now
            inv = acct.objects.get(sub["latest_invoice"] or "")
            if inv is not None and inv["status"] == "open":
                self.invoices.void_open(ctx, acct, inv)
            self.emit(ctx, "customer.subscription.updated", sub, previous)
            return
        if status == "trialing" and now < sub["trial_end"]:
            acct.notes.setdefault(sub["id"], set()).add("trial_will_end")
            self.emit(ctx, "customer.subscription.trial_will_end", sub)
            return
        inv = acct.objects.get(sub["latest_invoice"] or "")
        retry = inv is not None and inv["status"] == "open" and inv["next_payment_attempt"]
        if retry and inv is not None and inv["next_payment_attempt"] <= now < period_end(sub):
            self._retry(ctx, acct, sub, inv)
            return
        if sub["cancel_at_period_end"] or (sub["cancel_at"] and sub["cancel_at"] <= now):
            self._end(ctx, acct, sub, "cancellation_requested")
            return
        self._renew(ctx, acct, sub)

    def _renew(self, ctx: Ctx, acct: Account, sub: Obj) -> None:
        """A period boundary (or the trial's end): the next period, invoiced and collected."""
        now = ctx.now()
        cus = acct.objects.get(sub["customer"])
        if cus is None:
            self._end(ctx, acct, sub, "cancellation_requested")
            return
        previous: Obj = {}
        trial_over = sub["status"] == "trialing"
        pm = self._collecting_pm(acct, sub, cus)
        if trial_over and pm is None and sub["collection_method"] == "charge_automatically":
            behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
            if behavior == "cancel":
                self._end(ctx, acct, sub, "cancellation_requested")
                return
            if behavior == "pause":
                previous["status"] = "trialing"
                sub["status"] = "paused"
                self.emit(ctx, "customer.subscription.updated", sub, previous)
                self.emit(ctx, "customer.subscription.paused", sub)
                return
        ival, count = interval(sub)
        anchor = sub["billing_cycle_anchor"]
        if trial_over:
            anchor = sub["billing_cycle_anchor"] = now
            n = 0
        else:
            n = period_index(anchor, ival, count, now)
        start, end = boundary(anchor, ival, count, n), boundary(anchor, ival, count, n + 1)
        prev_start = items_of(sub)[0]["current_period_start"]
        previous["items"] = clone(sub["items"])
        for item in items_of(sub):
            item["current_period_start"], item["current_period_end"] = start, end
        lines = [
            (
                item["price"],
                item["quantity"],
                (start, end),
                describe(acct, item["price"], item["quantity"]),
                item["id"],
            )
            for item in items_of(sub)
        ]
        inv = self.invoices.draft(
            ctx,
            acct,
            cus,
            sub["currency"],
            subscription=sub,
            reason="subscription_cycle",
            collection=sub["collection_method"],
            period=(prev_start, now),
            lines=lines,
            pending_items=True,
        )
        previous["latest_invoice"] = sub["latest_invoice"]
        sub["latest_invoice"] = inv["id"]
        if trial_over:
            previous["status"] = "trialing"
            sub["status"] = "active"
        self.emit(ctx, "customer.subscription.updated", sub, previous)
        if sub["status"] == "unpaid":
            inv["auto_advance"] = False  # left a draft, as Stripe does for unpaid ones
            return
        if sub["collection_method"] == "send_invoice":
            inv["due_date"] = now + (sub["days_until_due"] or 0) * DAY
        self.invoices.finalize(ctx, acct, inv)
        if inv["status"] == "paid" or sub["collection_method"] == "send_invoice":
            return
        outcome = self.invoices.collect(ctx, acct, inv, pm, retry=True)
        if outcome != "paid" and sub["status"] == "active":
            sub["status"] = "past_due"
            self.emit(ctx, "customer.subscription.updated", sub, {"status": "active"})

    def _retry(self, ctx: Ctx, acct: Account, sub: Obj, inv: Obj) -> None:
        cus = acct.objects.get(sub["customer"]) or {"invoice_settings": {}}
        pm = self._collecting_pm(acct, sub, cus)
        outcome = self.invoices.collect(ctx, acct, inv, pm, retry=True)
        if outcome == "paid" or inv["next_payment_attempt"] is not None:
            return
        after = acct.settings.get("billing.after_retries", "cancel")
        if after == "cancel":
            self._end(ctx, acct, sub, "payment_failed")
        elif after == "unpaid" and sub["status"] != "unpaid":
            previous = {"status": sub["status"]}
            sub["status"] = "unpaid"
            self.emit(ctx, "customer.subscription.updated", sub, previous)

    @staticmethod
    def _collecting_pm(acct: Account, sub: Obj, cus: Obj) -> Obj | None:
        for pm_id in (
            sub.get("default_payment_method"),
            cus["invoice_settings"].get("default_payment_method"),
        ):
            pm = acct.objects.get(pm_id or "")
            if pm is not None and pm["object"] == "payment_method":
                return pm
        return None

    @endpoint("GET", "/v1/subscriptions", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        created = created_filter(p)
        status = p.get("status")
        price = p.get("price")

        def wanted(sub: Obj) -> bool:
            s = sub["status"]
            if status is None:
                ok = s not in ("canceled", "incomplete_expired")
            elif status == "ended":
                ok = s in ("canceled", "incomplete_expired")
            else:
                ok = status == "all" or s == status
            return (
                ok
                and created(sub)
                and all(
                    p.get(k) is None or sub[k] == p[k]
                    for k in ("customer", "collection_method", "test_clock")
                )
                and (price is None or any(it["price"]["id"] == price for it in items_of(sub)))
            )

        return paginate([s for s in acct.of_kind(KIND) if wanted(s)], p, NOUN)


def set_after_retries(acct: Account, value: object) -> None:
    """Set the account's ``billing.after_retries``; ValueError unless one of
    :data:`AFTER_RETRIES`."""
    if value not in AFTER_RETRIES:
        raise ValueError(f"expected one of {', '.join(AFTER_RETRIES)}, got {value!r}")
    acct.settings["billing.after_retries"] = str(value)
