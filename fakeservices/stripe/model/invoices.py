"""Invoices: draft -> open -> paid | uncollectible | void, collected by a PaymentIntent.

Subscriptions create their invoices through :meth:`Invoices.draft`, :meth:`Invoices.finalize`
and :meth:`Invoices.collect`; the API creates one-off invoices (``POST /v1/invoices``) that move
only when told (finalize, pay, void, mark_uncollectible). An invoice collected automatically
owns a PaymentIntent (``Account.invoice_intents``), shown as ``payments`` (expandable) and by
``confirmation_secret`` (expandable) as API 2026-10-28.endive has it: the invoice carries no
``payment_intent`` field any more. When that intent succeeds, however it gets there (the
automatic attempt, a client confirming it, a 3DS authentication), the invoice is paid and the
hooks in :attr:`Invoices.on_paid` run (the subscription becomes active).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fakeservices.stripe import currency, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import (
    check_currency,
    created_filter,
    get,
    merge_metadata,
    paginate,
    retrieve,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_intents import PaymentIntents
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.test_clocks import on_clock
from fakeservices.stripe.objects import clone

NOUN = "invoice"
#: Days after a failed automatic attempt when the next one is made (our documented fixed
#: schedule, standing in for Smart Retries): attempts on days 0, 3, 8 and 15.
RETRY_DAYS = (3, 5, 7)
DAY = 86400
#: How long a draft created by a subscription waits before Stripe finalizes it. We finalize at
#: once (the renewal is invoiced when the clock reaches it); a one-off draft shows the hour.
DRAFT_HOUR = 3600

COLLECTION = P.Enum(("charge_automatically", "send_invoice"))
CREATE = P.Obj(
    {
        "customer": P.Str(),
        "auto_advance": P.Bool(),
        "collection_method": COLLECTION,
        "days_until_due": P.Int(0, 730),
        "due_date": P.Int(),
        "description": P.Str(),
        "footer": P.Str(),
        "metadata": P.Meta(),
        "currency": P.Str(),
        "default_payment_method": P.Str(),
        "pending_invoice_items_behavior": P.Enum(("exclude", "include")),
        "subscription": P.Str(),
        "expand": P.EXPAND,
    },
    required=("customer",),
)
UPDATE = P.Obj(
    {
        "auto_advance": P.Bool(),
        "description": P.Str(),
        "footer": P.Str(),
        "metadata": P.Meta(),
        "default_payment_method": P.Str(),
        "days_until_due": P.Int(0, 730),
        "due_date": P.Int(),
        "collection_method": COLLECTION,
        "expand": P.EXPAND,
    }
)
FINALIZE = P.Obj({"auto_advance": P.Bool(), "expand": P.EXPAND})
PAY = P.Obj(
    {
        "forgive": P.Bool(),
        "off_session": P.Bool(),
        "paid_out_of_band": P.Bool(),
        "payment_method": P.Str(),
        "source": P.Str(),
        "mandate": P.Str(),
        "expand": P.EXPAND,
    }
)
ONLY_EXPAND = P.ONLY_EXPAND
LIST = P.LIST.extend(
    {
        "customer": P.Str(),
        "subscription": P.Str(),
        "status": P.Enum(("draft", "open", "paid", "uncollectible", "void")),
        "collection_method": COLLECTION,
        "due_date": P.AnyValue(),
    }
)
LINES = P.LIST


def line_for_price(
    inv: Obj, price: Obj, quantity: int, period: tuple[int, int], description: str, **parent: str
) -> Obj:
    """One line of an invoice: a subscription item's period, or an invoice item."""
    amount = (price.get("unit_amount") or 0) * quantity
    return {
        "id": objects.new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": inv["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": inv["id"],
        "livemode": False,
        "metadata": {},
        "parent": line_parent(**parent),
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price.get("product")},
            "type": "price_details",
            "unit_amount_decimal": str(price.get("unit_amount") or 0),
        },
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": parent.get("subscription"),
        "subtotal": amount,
        "taxes": [],
    }


def line_parent(
    subscription: str | None = None,
    subscription_item: str | None = None,
    invoice_item: str | None = None,
) -> Obj:
    if subscription_item is not None:
        return {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription,
                "subscription_item": subscription_item,
            },
            "type": "subscription_item_details",
        }
    return {
        "invoice_item_details": {
            "invoice_item": invoice_item,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": subscription,
        },
        "subscription_item_details": None,
        "type": "invoice_item_details",
    }


def new_invoice(
    cus: Obj,
    cur: str,
    *,
    subscription: Obj | None,
    reason: str,
    collection: str,
    period: tuple[int, int],
    created: int,
    auto_advance: bool,
) -> Obj:
    inv_id = objects.new_id("in")
    return {
        "id": inv_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": None,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": collection,
        "created": created,
        "currency": cur,
        "custom_fields": None,
        "customer": cus["id"],
        "customer_account": None,
        "customer_address": cus.get("address"),
        "customer_email": cus.get("email"),
        "customer_name": cus.get("name"),
        "customer_phone": cus.get("phone"),
        "customer_shipping": cus.get("shipping"),
        "customer_tax_exempt": cus.get("tax_exempt") or "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoices/{inv_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None
        if subscription is None
        else {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period[1],
        "period_start": period[0],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": cus.get("test_clock"),
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def add_line(inv: Obj, line: Obj) -> None:
    """Append a line and recompute the totals."""
    lines = inv["lines"]
    lines["data"].append(line)
    lines["total_count"] = len(lines["data"])
    total = sum(li["amount"] for li in lines["data"])
    inv["subtotal"] = inv["subtotal_excluding_tax"] = total
    inv["total"] = inv["total_excluding_tax"] = total
    inv["amount_due"] = inv["amount_remaining"] = max(0, total - inv["amount_paid"])


@dataclass(eq=False)
class Invoices(Resource):
    expandable = {
        "invoice": fields("customer subscription default_payment_method test_clock"),
        "line_item": fields("subscription"),
    }
    includable = {
        ("invoice", "confirmation_secret"): "confirmation_secret",
        ("invoice", "payments"): "payments",
    }

    accounts: Accounts
    emit: Emitter
    payment_intents: PaymentIntents
    payment_methods: PaymentMethods
    #: Called with each invoice once it is paid (a subscription's becomes active).
    on_paid: list[Callable[[Ctx, Account, Obj], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.payment_intents.on_succeeded.append(self._intent_succeeded)

    def _inv(self, acct: Account, inv_id: str) -> Obj:
        return get(acct, inv_id, "invoice", NOUN)

    # -- what subscriptions use ------------------------------------------------------------
    def draft(
        self,
        ctx: Ctx,
        acct: Account,
        cus: Obj,
        cur: str,
        *,
        subscription: Obj | None,
        reason: str,
        collection: str,
        period: tuple[int, int],
        lines: list[tuple[Obj, int, tuple[int, int], str, str | None]],
        pending_items: bool,
    ) -> Obj:
        """A draft invoice with one line per ``(price, quantity, period, description,
        subscription item)`` and, when ``pending_items``, the customer's pending invoice items;
        ``invoice.created`` is emitted."""
        inv = new_invoice(
            cus,
            cur,
            subscription=subscription,
            reason=reason,
            collection=collection,
            period=period,
            created=ctx.now(),
            auto_advance=True,
        )
        sub_id = None if subscription is None else subscription["id"]
        for price, qty, line_period, description, item_id in lines:
            if item_id is None:
                add_line(inv, line_for_price(inv, price, qty, line_period, description))
            else:
                line = line_for_price(
                    inv,
                    price,
                    qty,
                    line_period,
                    description,
                    subscription=str(sub_id),
                    subscription_item=item_id,
                )
                add_line(inv, line)
        if pending_items:
            self._take_pending(acct, inv, cus["id"], sub_id)
        acct.put(inv)
        self.emit(ctx, "invoice.created", inv)
        return inv

    def _take_pending(self, acct: Account, inv: Obj, cus_id: str, sub_id: str | None) -> None:
        """Move the customer's pending invoice items (of this subscription or none) onto
        ``inv``, oldest first."""
        for ii in reversed(acct.of_kind("invoiceitem")):
            if ii["customer"] != cus_id or ii["invoice"] is not None:
                continue
            ii_sub = (ii.get("parent") or {}).get("subscription_details") or {}
            if ii_sub.get("subscription") not in (None, sub_id):
                continue
            if ii["currency"] != inv["currency"]:
                continue
            ii["invoice"] = inv["id"]
            add_line(inv, invoice_item_line(inv, ii))

    def finalize(self, ctx: Ctx, acct: Account, inv: Obj) -> None:
        """draft -> open (numbered, hosted page, due date); a zero invoice is paid at once."""
        now = ctx.now()
        cus = acct.objects.get(inv["customer"])
        if cus is not None:
            seq = cus.get("next_invoice_sequence") or 1
            inv["number"] = f"{cus['invoice_prefix']}-{seq:04d}"
            cus["next_invoice_sequence"] = seq + 1
        inv["status"] = "open"
        inv["status_transitions"]["finalized_at"] = now
        inv["effective_at"] = now
        inv["ending_balance"] = 0
        inv["automatically_finalizes_at"] = None
        inv["hosted_invoice_url"] = f"{ctx.base_url}/__admin/stripe/invoices/{inv['id']}/hosted"
        inv["invoice_pdf"] = inv["hosted_invoice_url"] + "?format=pdf"
        if inv["collection_method"] == "send_invoice" and inv["due_date"] is None:
            inv["due_date"] = now + 30 * DAY
        if inv["amount_due"] > 0 and inv["collection_method"] == "charge_automatically":
            description = {
                "subscription_create": "Subscription creation",
                "subscription_cycle": "Subscription update",
                "subscription_update": "Subscription update",
            }.get(str(inv["billing_reason"]), f"Invoice {inv['number']}")
            pi = self.payment_intents.for_invoice(
                ctx, acct, inv["amount_due"], inv["currency"], inv["customer"], description
            )
            acct.invoice_intents[inv["id"]] = pi["id"]
            acct.intent_invoices[pi["id"]] = inv["id"]
        self.emit(ctx, "invoice.finalized", inv)
        if inv["amount_due"] == 0:
            self._paid(ctx, acct, inv)

    def collect(self, ctx: Ctx, acct: Account, inv: Obj, pm: Obj | None, retry: bool) -> str:
        """One automatic attempt to charge ``pm`` for an open invoice: ``paid``, ``action``
        (3DS pending: the intent is ``requires_action``) or ``failed`` (declined, or no payment
        method); when ``retry``, ``next_payment_attempt`` follows :data:`RETRY_DAYS` (a first
        invoice is not retried: its subscription expires instead)."""
        if inv["status"] == "paid":
            return "paid"
        inv["attempted"] = True
        inv["attempt_count"] += 1
        pi = self.intent_of(acct, inv)
        if pm is None or pi is None:
            self._failed(ctx, acct, inv, retry)
            return "failed"
        err = self.payment_intents.charge(ctx, acct, pi, pm)
        if inv["status"] == "paid":
            return "paid"
        if err is None:  # requires_action
            inv["next_payment_attempt"] = None
            self.emit(ctx, "invoice.payment_action_required", inv)
            return "action"
        self._failed(ctx, acct, inv, retry)
        return "failed"

    def _failed(self, ctx: Ctx, acct: Account, inv: Obj, retry: bool) -> None:
        retries = inv["attempt_count"] - 1
        inv["next_payment_attempt"] = (
            ctx.now() + RETRY_DAYS[retries] * DAY
            if retry and inv["auto_advance"] and retries < len(RETRY_DAYS)
            else None
        )
        self.emit(ctx, "invoice.payment_failed", inv)

    def intent_of(self, acct: Account, inv: Obj) -> Obj | None:
        pi_id = acct.invoice_intents.get(inv["id"])
        return None if pi_id is None else acct.objects.get(pi_id)

    def _intent_succeeded(self, ctx: Ctx, acct: Account, pi: Obj) -> None:
        inv_id = acct.intent_invoices.get(pi["id"])
        inv = None if inv_id is None else acct.objects.get(inv_id)
        if inv is not None and inv["status"] in ("open", "uncollectible"):
            self._paid(on_clock(ctx, acct, inv), acct, inv)

    def _paid(self, ctx: Ctx, acct: Account, inv: Obj) -> None:
        inv["status"] = "paid"
        inv["amount_paid"] = inv["amount_due"]
        inv["amount_remaining"] = 0
        inv["next_payment_attempt"] = None
        inv["status_transitions"]["paid_at"] = ctx.now()
        self.emit(ctx, "invoice.paid", inv)
        self.emit(ctx, "invoice.payment_succeeded", inv)
        for hook in self.on_paid:
            hook(ctx, acct, inv)

    def void_open(self, ctx: Ctx, acct: Account, inv: Obj) -> None:
        """Void an open invoice (its intent canceled)."""
        pi = self.intent_of(acct, inv)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            pi["status"] = "canceled"
            pi["canceled_at"] = ctx.now()
            pi["next_action"] = None
            self.emit(ctx, "payment_intent.canceled", pi)
        previous = {"status": inv["status"]}
        inv["status"] = "void"
        inv["next_payment_attempt"] = None
        inv["status_transitions"]["voided_at"] = ctx.now()
        self.emit(ctx, "invoice.voided", inv)
        self.emit(ctx, "invoice.updated", inv, previous)

    # -- endpoints -------------------------------------------------------------------------
    @endpoint("POST", "/v1/invoices", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, p["customer"], "customer", "customer", "customer", 400)
        ctx = on_clock(ctx, acct, cus)
        collection = p.get("collection_method") or "charge_automatically"
        if (
            collection == "send_invoice"
            and p.get("days_until_due") is None
            and not p.get("due_date")
        ):
            raise invalid(
                "Missing required param: days_until_due or due_date when collection_method is "
                "send_invoice.",
                "days_until_due",
            )
        if collection == "charge_automatically" and p.get("days_until_due") is not None:
            raise invalid(
                "Invoices with `collection_method=charge_automatically` cannot have "
                "`days_until_due`.",
                "days_until_due",
            )
        pm = None
        if p.get("default_payment_method") is not None:
            pm = get(
                acct,
                p["default_payment_method"],
                "payment_method",
                "PaymentMethod",
                "default_payment_method",
                400,
            )
        cur = check_currency(p.get("currency") or "usd")
        now = ctx.now()
        inv = new_invoice(
            cus,
            cur,
            subscription=None,
            reason="manual",
            collection=collection,
            period=(now, now),
            created=now,
            auto_advance=bool(p.get("auto_advance", False)),
        )
        inv["automatically_finalizes_at"] = now + DRAFT_HOUR if inv["auto_advance"] else None
        for key in ("description", "footer"):
            inv[key] = p.get(key)
        if p.get("metadata"):
            inv["metadata"] = dict(p["metadata"])
        if pm is not None:
            inv["default_payment_method"] = pm["id"]
        if p.get("due_date") is not None:
            inv["due_date"] = p["due_date"]
        elif p.get("days_until_due") is not None:
            inv["due_date"] = now + p["days_until_due"] * DAY
        if p.get("pending_invoice_items_behavior") == "include":
            self._take_pending(acct, inv, cus["id"], None)
        acct.put(inv)
        self.emit(ctx, "invoice.created", inv)
        return inv

    @endpoint("GET", "/v1/invoices/{id}", ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        return retrieve(self.accounts.open(ctx.account), inv_id, "invoice", NOUN)

    @endpoint("POST", "/v1/invoices/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        ctx = on_clock(ctx, acct, inv)
        draft_only = {"collection_method", "days_until_due", "due_date"} & set(p)
        if draft_only and inv["status"] != "draft":
            raise invalid(
                f"You can only update `{sorted(draft_only)[0]}` on a draft invoice; this "
                f"invoice is {inv['status']}.",
                sorted(draft_only)[0],
            )
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            if key == "metadata":
                previous["metadata"] = dict(inv["metadata"])
                merge_metadata(inv, value)
            elif key == "days_until_due":
                previous["due_date"] = inv["due_date"]
                inv["due_date"] = ctx.now() + value * DAY
            elif key == "default_payment_method" and value is not None:
                get(acct, value, "payment_method", "PaymentMethod", key, 400)
                previous[key] = inv[key]
                inv[key] = value
            else:
                previous[key] = inv.get(key)
                inv[key] = value
        self.emit(ctx, "invoice.updated", inv, previous)
        return inv

    @endpoint("DELETE", "/v1/invoices/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        if inv["status"] != "draft":
            raise invalid(
                "You can only delete draft invoices. This invoice is "
                f"{inv['status']}: void it (POST /v1/invoices/{inv_id}/void) instead."
            )
        for ii in acct.of_kind("invoiceitem"):
            if ii["invoice"] == inv_id:
                ii["invoice"] = None
        acct.remove(inv_id)
        acct.mark_deleted(inv_id, "invoice")
        self.emit(on_clock(ctx, acct, inv), "invoice.deleted", inv)
        return objects.deleted(inv_id, "invoice")

    @endpoint("POST", "/v1/invoices/{id}/finalize", FINALIZE)
    def finalize_endpoint(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        if inv["status"] != "draft":
            raise invalid(
                "This invoice is already finalized, you can't re-finalize a non-draft invoice."
            )
        if "auto_advance" in p:
            inv["auto_advance"] = p["auto_advance"]
        self.finalize(on_clock(ctx, acct, inv), acct, inv)
        return inv

    @endpoint("POST", "/v1/invoices/{id}/pay", PAY)
    def pay(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        """Pay now: with ``payment_method``, the invoice's, the subscription's or the customer's
        default; a decline is the 402 card error (the invoice stays open)."""
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        ctx = on_clock(ctx, acct, inv)
        if inv["status"] == "paid":
            raise invalid("Invoice is already paid")
        if inv["status"] == "void":
            raise invalid("This invoice has been voided and can no longer be paid.")
        pm = None
        if p.get("payment_method") is not None:
            pm = self.payment_methods.resolve(ctx, acct, p["payment_method"], "payment_method")
        if inv["status"] == "draft":
            self.finalize(ctx, acct, inv)
            if inv["status"] == "paid":
                return inv
        if p.get("paid_out_of_band"):
            self._paid(ctx, acct, inv)
            return inv
        pm = pm or self.default_payment_method(acct, inv)
        if pm is None:
            raise invalid(
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method.",
            )
        pi = self.intent_of(acct, inv)
        if pi is None:
            pi = self.payment_intents.for_invoice(
                ctx,
                acct,
                inv["amount_due"],
                inv["currency"],
                inv["customer"],
                f"Invoice {inv['number']}",
            )
            acct.invoice_intents[inv["id"]] = pi["id"]
            acct.intent_invoices[pi["id"]] = inv["id"]
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise invalid(
                f"This invoice's payment is {pi['status']}; complete it (its PaymentIntent "
                f"{pi['id']}) instead of paying again."
            )
        inv["attempted"] = True
        inv["attempt_count"] += 1
        err = self.payment_intents.charge(ctx, acct, pi, pm)
        if err is not None:
            self.emit(ctx, "invoice.payment_failed", inv)
            raise err
        if pi["status"] == "requires_action":
            self.emit(ctx, "invoice.payment_action_required", inv)
        return inv

    def default_payment_method(self, acct: Account, inv: Obj) -> Obj | None:
        """The invoice's, then its subscription's, then its customer's default PaymentMethod."""
        candidates = [inv.get("default_payment_method")]
        parent = (inv.get("parent") or {}).get("subscription_details") or {}
        sub = acct.objects.get(parent.get("subscription") or "")
        if sub is not None:
            candidates.append(sub.get("default_payment_method"))
        cus = acct.objects.get(inv["customer"])
        if cus is not None:
            candidates.append(cus["invoice_settings"].get("default_payment_method"))
        for pm_id in candidates:
            pm = acct.objects.get(pm_id or "")
            if pm is not None and pm["object"] == "payment_method":
                return pm
        return None

    @endpoint("POST", "/v1/invoices/{id}/void", ONLY_EXPAND)
    def void(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        if inv["status"] not in ("open", "uncollectible"):
            raise invalid(
                f"You can only void an open or uncollectible invoice; this invoice is "
                f"{inv['status']}."
            )
        self.void_open(on_clock(ctx, acct, inv), acct, inv)
        return inv

    @endpoint("POST", "/v1/invoices/{id}/mark_uncollectible", ONLY_EXPAND)
    def mark_uncollectible(self, ctx: Ctx, p: Obj, inv_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        ctx = on_clock(ctx, acct, inv)
        if inv["status"] != "open":
            raise invalid(
                "You can only mark an open invoice as uncollectible; this invoice is "
                f"{inv['status']}."
            )
        previous = {"status": "open"}
        inv["status"] = "uncollectible"
        inv["next_payment_attempt"] = None
        inv["status_transitions"]["marked_uncollectible_at"] = ctx.now()
        self.emit(ctx, "invoice.marked_uncollectible", inv)
        self.emit(ctx, "invoice.updated", inv, previous)
        return inv

    @endpoint("GET", "/v1/invoices/{id}/lines", LINES)
    def lines(self, ctx: Ctx, p: Obj, inv_id: str) -> Page:
        acct = self.accounts.open(ctx.account)
        inv = self._inv(acct, inv_id)
        return paginate(inv["lines"]["data"], p, "line_item")

    @endpoint("GET", "/v1/invoices", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        sub = p.get("subscription")
        created = created_filter(p)
        items = [
            inv
            for inv in acct.of_kind("invoice")
            if created(inv)
            and (p.get("customer") is None or inv["customer"] == p["customer"])
            and (p.get("status") is None or inv["status"] == p["status"])
            and (
                p.get("collection_method") is None
                or inv["collection_method"] == p["collection_method"]
            )
            and (sub is None or subscription_of(inv) == sub)
        ]
        return paginate(items, p, NOUN)

    # -- includable fields (shown when expanded) -------------------------------------------
    def confirmation_secret(self, ctx: Ctx, inv: Obj) -> Obj | None:
        """``confirmation_secret``: the client secret of the intent collecting the invoice."""
        acct = self.accounts.open(ctx.account)
        pi = self.intent_of(acct, inv)
        if pi is None:
            return None
        return {"client_secret": pi["client_secret"], "type": "payment_intent"}

    def payments(self, ctx: Ctx, inv: Obj) -> Obj:
        """``payments``: the InvoicePayment of its intent, as a list."""
        acct = self.accounts.open(ctx.account)
        pi = self.intent_of(acct, inv)
        data: list[Obj] = []
        if pi is not None:
            paid = pi["status"] == "succeeded"
            data.append(
                {
                    "id": "inpay_" + pi["id"][3:],
                    "object": "invoice_payment",
                    "amount_paid": pi["amount_received"] if paid else None,
                    "amount_requested": pi["amount"],
                    "created": pi["created"],
                    "currency": pi["currency"],
                    "invoice": inv["id"],
                    "is_default": True,
                    "livemode": False,
                    "payment": {"payment_intent": pi["id"], "type": "payment_intent"},
                    "status": "paid" if paid else "open",
                    "status_transitions": {
                        "canceled_at": pi["canceled_at"],
                        "paid_at": inv["status_transitions"]["paid_at"] if paid else None,
                    },
                }
            )
        return {
            "object": "list",
            "data": data,
            "has_more": False,
            "total_count": len(data),
            "url": f"/v1/invoice_payments?invoice={inv['id']}",
        }


def subscription_of(inv: Obj) -> str | None:
    parent = (inv.get("parent") or {}).get("subscription_details") or {}
    sub: str | None = parent.get("subscription")
    return sub


def invoice_item_line(inv: Obj, ii: Obj) -> Obj:
    """The line an invoice item becomes on ``inv``."""
    details = ii["pricing"].get("price_details") or {}
    price = {
        "id": details.get("price"),
        "unit_amount": ii["amount"],
        "product": details.get("product"),
    }
    line = line_for_price(
        inv,
        price,
        1,
        (ii["period"]["start"], ii["period"]["end"]),
        ii["description"] or "",
        invoice_item=ii["id"],
        subscription=subscription_of(inv),  # type: ignore[arg-type]
    )
    line["amount"] = line["subtotal"] = ii["amount"]
    line["quantity"] = ii["quantity"]
    line["quantity_decimal"] = str(ii["quantity"])
    line["pricing"] = clone(ii["pricing"])
    line["metadata"] = dict(ii["metadata"] or {})
    return line


def describe(acct: Account, price: Obj, quantity: int) -> str:
    """``1 × Gold (at $20.00 / month)``, as Stripe describes a subscription line."""  # noqa: RUF002
    product = acct.objects.get(str(price.get("product")))
    name = (product or {}).get("name") or price.get("nickname") or price["id"]
    rec = price.get("recurring") or {}
    every = rec.get("interval", "month")
    if rec.get("interval_count", 1) != 1:
        every = f"every {rec['interval_count']} {every}s"
    amount = currency.fmt(price.get("unit_amount") or 0, price["currency"])
    return f"{quantity} × {name} (at {amount} / {every})"  # noqa: RUF001
