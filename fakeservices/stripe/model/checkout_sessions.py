"""Checkout Sessions: Stripe's hosted payment page, in ``payment`` and ``setup`` mode.

A session is ``open`` until it is paid (``complete``) or expires (``expired``: by
``POST /v1/checkout/sessions/{id}/expire`` or once ``expires_at`` has passed on the account's
clock, noticed the next time the session is read). ``payment_status`` goes ``unpaid`` -> ``paid``
in payment mode (``unpaid`` stays when the PaymentIntent only authorized, ``capture_method=
manual``) and is ``no_payment_required`` in setup mode.

Paying (:meth:`CheckoutSessions.pay`, used by the hosted page and the admin shortcut) does what
Stripe does: in payment mode a PaymentIntent for the total is created on the first attempt and
confirmed with the card (a decline leaves the session open with that intent in
``requires_payment_method``; a 3DS card leaves it in ``requires_action`` until authenticated);
in setup mode the SetupIntent made with the session is confirmed. A Customer is created when the
session asks for one (``customer_creation=always``, or ``payment_intent_data
[setup_future_usage]`` without a ``customer``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fakeservices.core.ids import alnum
from fakeservices.stripe import currency, objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import HoldRequest, StripeError, invalid, missing
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.card_data import card_check, peek_spec
from fakeservices.stripe.model.catalog import (
    PRODUCT_DATA_FIELDS,
    RECURRING,
    TAX_BEHAVIOR,
    new_product,
    price_object,
    unit_total,
)
from fakeservices.stripe.model.checks import (
    check_currency,
    created_filter,
    customer_ref,
    get,
    merge_metadata,
    paginate,
)
from fakeservices.stripe.model.customers import Customers
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_intents import PaymentIntents
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.model.setup_intents import SetupIntents
from fakeservices.stripe.model.subscriptions import Subscriptions
from fakeservices.stripe.objects import clone

WHERE = "Checkout Sessions"
#: ``expires_at`` must fall this far after creation (Stripe: 30 minutes to 24 hours).
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
MAX_LINE_ITEMS = 100
URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
#: Intent statuses that complete a session: paid, authorized for a manual capture, or a delayed
#: payment under way (its outcome comes later: ``checkout.session.async_payment_*``).
SETTLED = ("succeeded", "requires_capture", "processing")

PRICE_DATA = P.Obj(
    {
        "currency": P.Str(),
        "product": P.Str(),
        "product_data": P.Obj(
            {
                **PRODUCT_DATA_FIELDS,
                "description": P.Str(40000),
                "images": P.Arr(P.Str(2048)),
            },
            required=("name",),
        ),
        "recurring": RECURRING,
        "tax_behavior": TAX_BEHAVIOR,
        "unit_amount": P.Int(min=0),
        "unit_amount_decimal": P.Str(),
    },
    required=("currency",),
)
LINE_ITEM = P.Obj(
    {
        "price": P.Str(),
        "price_data": PRICE_DATA,
        "quantity": P.Int(),
        "metadata": P.Meta(),
        **P.unmodelled(WHERE, "adjustable_quantity dynamic_tax_rates tax_rates"),
    }
)
PAYMENT_INTENT_DATA = P.Obj(
    {
        "capture_method": P.Enum(("automatic", "automatic_async", "manual")),
        "description": P.Str(1000),
        "metadata": P.Meta(),
        "receipt_email": P.Str(),
        "setup_future_usage": P.SETUP_FUTURE,
        "shipping": P.SHIPPING,
        "statement_descriptor": P.Str(22),
        "statement_descriptor_suffix": P.Str(22),
        "transfer_group": P.Str(),
        **P.unmodelled(WHERE, "application_fee_amount on_behalf_of transfer_data"),
    }
)
SETUP_INTENT_DATA = P.Obj(
    {"description": P.Str(1000), "metadata": P.Meta(), **P.unmodelled(WHERE, "on_behalf_of")}
)
UNMODELLED = (
    "adaptive_pricing after_expiration automatic_tax branding_settings consent_collection "
    "custom_fields custom_text customer_account customer_update discounts "
    "excluded_payment_method_types integration_identifier invoice_creation managed_payments "
    "name_collection optional_items origin_context payment_method_collection "
    "payment_method_configuration payment_method_data payment_method_options permissions "
    "redirect_on_completion return_url saved_payment_method_options shipping_address_collection "
    "shipping_options tax_id_collection wallet_options"
)
SUBSCRIPTION_DATA = P.Obj(
    {
        "description": P.Str(500),
        "metadata": P.Meta(),
        "trial_period_days": P.Int(1, 730),
        "trial_end": P.Int(),
        **P.unmodelled(
            WHERE,
            "application_fee_percent billing_cycle_anchor billing_mode default_tax_rates "
            "invoice_settings on_behalf_of pending_invoice_item_interval proration_behavior "
            "transfer_data trial_settings",
        ),
    }
)
CREATE = P.Obj(
    {
        "mode": P.Enum(("payment", "setup", "subscription")),
        "line_items": P.Arr(LINE_ITEM),
        "success_url": P.Str(),
        "cancel_url": P.Str(),
        "customer": P.Str(),
        "customer_email": P.Str(),
        "customer_creation": P.Enum(("always", "if_required")),
        "client_reference_id": P.Str(200),
        "metadata": P.Meta(),
        "payment_intent_data": PAYMENT_INTENT_DATA,
        "setup_intent_data": SETUP_INTENT_DATA,
        "subscription_data": SUBSCRIPTION_DATA,
        "expires_at": P.Int(),
        "allow_promotion_codes": P.Bool(),
        "currency": P.Str(),
        "payment_method_types": P.Arr(P.Str()),
        "locale": P.Str(),
        "submit_type": P.Enum(("auto", "book", "donate", "pay", "subscribe")),
        "billing_address_collection": P.Enum(("auto", "required")),
        "phone_number_collection": P.Obj({"enabled": P.Bool()}, required=("enabled",)),
        "ui_mode": P.Str(),
        "expand": P.EXPAND,
        **P.unmodelled(WHERE, UNMODELLED),
    },
    required=("mode",),
)
UPDATE = P.Obj(
    {
        "metadata": P.Meta(),
        "expand": P.EXPAND,
        **P.unmodelled(WHERE, "collected_information shipping_options line_items"),
    }
)
LIST = P.LIST.extend(
    {
        "customer": P.Str(),
        "customer_details": P.Obj({"email": P.Str()}, required=("email",)),
        "payment_intent": P.Str(),
        "payment_link": P.Str(),
        "status": P.Enum(("complete", "expired", "open")),
        "subscription": P.Str(),
        **P.unmodelled(WHERE, "customer_account"),
    }
)
LINE_ITEMS = P.Obj(
    {"limit": P.Int(), "starting_after": P.Str(), "ending_before": P.Str(), "expand": P.EXPAND}
)


def session_id() -> str:
    """``cs_test_a1`` + 56 alphanumerics, as real test-mode session ids look."""
    return f"cs_test_a1{alnum(56)}"


def not_a_url(param: str) -> StripeError:
    return invalid("Not a valid URL", param, "url_invalid")


def session_object(p: Obj, sid: str, base_url: str, created: int) -> Obj:
    payment = p["mode"] == "payment"
    pays = p["mode"] != "setup"  # payment and subscription modes collect money
    return {
        "id": sid,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False} if payment else None,
        "after_expiration": None,
        "allow_promotion_codes": p.get("allow_promotion_codes"),
        "allowed_payment_method_types": None,
        "amount_subtotal": None,
        "amount_total": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": p.get("billing_address_collection"),
        "cancel_url": p.get("cancel_url"),
        "client_reference_id": p.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": p.get("currency"),
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": p.get("customer"),
        "customer_account": None,
        "customer_creation": None
        if p.get("customer")
        else (p.get("customer_creation") or "if_required"),
        "customer_details": None,
        "customer_email": p.get("customer_email"),
        "discounts": [] if pays else None,
        "expires_at": p.get("expires_at") or created + MAX_EXPIRY,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        }
        if payment
        else None,
        "livemode": False,
        "locale": p.get("locale"),
        "managed_payments": None,
        "metadata": p.get("metadata") or {},
        "mode": p["mode"],
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required" if payment else "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}}
        if payment
        else {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid" if pays else "no_payment_required",
        "permissions": None,
        "phone_number_collection": {
            "enabled": bool((p.get("phone_number_collection") or {}).get("enabled"))
        },
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": p.get("submit_type") or ("auto" if payment else None),
        "subscription": None,
        "success_url": p.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
        if pays
        else None,
        "ui_mode": "hosted_page",
        "url": f"{base_url}/checkout/{sid}",
        "wallet_options": None,
    }


def line_item(price: Obj, quantity: int, description: str | None, metadata: Obj | None) -> Obj:
    amount = unit_total(price, quantity)
    return {
        "id": objects.new_id("li"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price["currency"],
        "description": description,
        "metadata": metadata or {},
        "price": clone(price),
        "quantity": quantity,
    }


@dataclass(eq=False)
class CheckoutSessions(Resource):
    expandable = {
        "checkout.session": fields(
            "customer payment_intent setup_intent invoice payment_link subscription"
        ),
        "item": fields("price"),
    }

    accounts: Accounts
    emit: Emitter
    customers: Customers
    payment_intents: PaymentIntents
    setup_intents: SetupIntents
    subscriptions: Subscriptions

    # -- reading ---------------------------------------------------------------------------
    def session(self, ctx: Ctx, acct: Account, sid: str, param: str = "session") -> Obj:
        """The session, expired first if its ``expires_at`` has passed (Stripe's own sweep)."""
        cs = get(acct, sid, "checkout.session", "checkout.session", param)
        if cs["status"] == "open" and ctx.now() >= cs["expires_at"]:
            self._expire(ctx, acct, cs)
        return cs

    # -- create ----------------------------------------------------------------------------
    @endpoint("POST", "/v1/checkout/sessions", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        mode = p["mode"]
        self._check_common(ctx, acct, p)
        items: list[tuple[Obj, int, str | None, Obj | None]] = []
        if mode != "subscription" and p.get("subscription_data") is not None:
            raise invalid(
                f"You can not pass `subscription_data` in `{mode}` mode.", "subscription_data"
            )
        if mode != "setup":
            for name in ("setup_intent_data",) + (
                ("payment_intent_data",) if mode == "subscription" else ()
            ):
                if p.get(name) is not None:
                    raise invalid(f"You can not pass `{name}` in `{mode}` mode.", name)
            items = self._line_items(ctx, acct, p)
        else:
            for name in ("line_items", "payment_intent_data"):
                if p.get(name):
                    raise invalid(f"You can not pass `{name}` in `setup` mode.", name)
            if p.get("currency") is None and p.get("payment_method_types") is None:
                raise missing("currency")
            if p.get("currency") is not None:
                p["currency"] = check_currency(p["currency"])
        sid = session_id()
        cs = session_object(p, sid, ctx.base_url, ctx.now())
        made = [line_item(*item) for item in items]
        if made:
            cs["currency"] = made[0]["currency"]
            cs["amount_subtotal"] = cs["amount_total"] = sum(li["amount_total"] for li in made)
        acct.put(cs)
        acct.checkout[sid] = {
            "line_items": made,
            "intent_data": p.get("payment_intent_data") or {},
            "subscription_data": p.get("subscription_data") or {},
            "prices": [(price["id"], qty) for price, qty, _, _ in items],
            "email": None,
        }
        if mode == "setup":
            sid_data = p.get("setup_intent_data") or {}
            si = self.setup_intents.create(
                ctx,
                {
                    "payment_method_types": ["card"],
                    "customer": p.get("customer"),
                    "description": sid_data.get("description"),
                    "metadata": sid_data.get("metadata"),
                    "usage": "off_session",
                },
            )
            cs["setup_intent"] = si["id"]
            acct.checkout_of[si["id"]] = sid
        return cs

    def _check_common(self, ctx: Ctx, acct: Account, p: Obj) -> None:
        ui_mode = p.get("ui_mode")
        if ui_mode not in (None, "hosted", "hosted_page"):
            raise invalid(
                f"`ui_mode={ui_mode}` is a Stripe feature that fakeservices does not model; only "
                "the hosted page is served (docs/stripe.md lists what is modelled).",
                "ui_mode",
            )
        types = p.get("payment_method_types")
        if types is not None and any(t != "card" for t in types):
            raise invalid(
                "fakeservices models card payments only: `payment_method_types` may hold only "
                "`card`.",
                "payment_method_types",
            )
        for a, b in (("customer", "customer_email"), ("customer", "customer_creation")):
            if p.get(a) is not None and p.get(b) is not None:
                raise invalid(f"You may only specify one of these parameters: {a}, {b}.", a)
        customer_ref(acct, p.get("customer"))
        for name in ("success_url", "cancel_url"):
            if p.get(name) is not None and not URL_RE.match(p[name]):
                raise not_a_url(name)
        expires_at = p.get("expires_at")
        if expires_at is not None:
            now = ctx.now()
            if expires_at > now + MAX_EXPIRY:
                raise invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session "
                    "creation.",
                    "expires_at",
                )
            if expires_at < now + MIN_EXPIRY:
                raise invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout "
                    "Session creation.",
                    "expires_at",
                )

    def _line_items(
        self, ctx: Ctx, acct: Account, p: Obj
    ) -> list[tuple[Obj, int, str | None, Obj | None]]:
        """Each line item's price, quantity, description and metadata, checked as Stripe does."""
        given: list[Obj] = p.get("line_items") or []
        if not given:
            raise missing("line_items")
        if len(given) > MAX_LINE_ITEMS:
            raise invalid(f"You may only specify up to {MAX_LINE_ITEMS} line items.", "line_items")
        out: list[tuple[Obj, int, str | None, Obj | None]] = []
        for i, item in enumerate(given):
            at = f"line_items[{i}]"
            price = self._price_of(ctx, acct, item, at)
            if item.get("quantity") is None:
                raise invalid(f"Quantity is required. Add `quantity` to `{at}`", at)
            if item["quantity"] < 1:
                raise invalid("This value must be greater than or equal to 1.", f"{at}[quantity]")
            recurring = price["type"] == "recurring"
            if p["mode"] == "subscription" and not recurring:
                raise invalid(
                    "fakeservices models only recurring prices in `subscription` mode (Stripe "
                    "adds one-time prices to the first invoice): use an invoice item instead.",
                    f"{at}[price]",
                )
            if p["mode"] == "payment" and recurring:
                raise invalid(
                    "You specified `payment` mode but passed a recurring price. Either switch to "
                    "`subscription` mode or use only one-time prices.",
                    "line_items",
                    "checkout_session_invalid_mode",
                )
            if out and price["currency"] != out[0][0]["currency"]:
                raise invalid(
                    "All line items must use the same currency; "
                    f"`{at}` is in {price['currency']}, not {out[0][0]['currency']}.",
                    at,
                )
            product = acct.objects.get(price["product"]) or {}
            out.append((price, item["quantity"], product.get("name"), item.get("metadata")))
        cur = out[0][0]["currency"]
        total = sum(unit_total(price, qty) for price, qty, _, _ in out)
        minimum = currency.minimum(cur)
        if total < minimum:
            raise invalid(
                "The Checkout Session's total amount due must add up to at least "
                f"{currency.fmt(minimum, cur)} {cur}",
                "line_items",
            )
        return out

    def _price_of(self, ctx: Ctx, acct: Account, item: Obj, at: str) -> Obj:
        price_id, data = item.get("price"), item.get("price_data")
        if price_id is not None and data is not None:
            raise invalid(
                "You may only specify one of these parameters: price, price_data.", f"{at}[price]"
            )
        if data is not None:
            prefix = f"{at}[price_data]["
            prod_id, prod_data = data.get("product"), data.get("product_data")
            if prod_id is None and prod_data is None:
                raise invalid(
                    "You must specify either `product` or `product_data` when creating a price.",
                    f"{prefix}product]",
                )
            if prod_id is not None:
                get(acct, prod_id, "product", "product", f"{prefix}product]", 400)
            # Stripe keeps such inline prices as archived (inactive) Prices.
            price = price_object({**data, "active": False}, prod_id or "", prefix, ctx.now())
            if prod_data is not None:
                name_param = f"{prefix}product_data][name]"
                made = new_product(ctx, acct, self.emit, prod_data, name_param)
                price["product"] = made["id"]
            return price
        if price_id is None:
            raise invalid(f"You must specify either `price` or `price_data` in `{at}`.", at)
        price = get(acct, price_id, "price", "price", f"{at}[price]", 400)
        if not price["active"]:
            raise invalid(
                "The price specified is inactive. This field only accepts active prices.",
                f"{at}[price]",
            )
        if price["custom_unit_amount"] is not None:
            raise invalid(
                "Prices with `custom_unit_amount` (the customer names the amount) are not "
                "modelled by fakeservices yet.",
                f"{at}[price]",
            )
        return price

    # -- the other endpoints ---------------------------------------------------------------
    @endpoint("GET", "/v1/checkout/sessions/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, sid: str) -> Obj:
        return self.session(ctx, self.accounts.open(ctx.account), sid, "session")

    @endpoint("POST", "/v1/checkout/sessions/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, sid: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cs = self.session(ctx, acct, sid, "session")
        if "metadata" in p:
            merge_metadata(cs, p["metadata"])
        return cs

    @endpoint("GET", "/v1/checkout/sessions", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        for cs in acct.of_kind("checkout.session"):
            if cs["status"] == "open" and ctx.now() >= cs["expires_at"]:
                self._expire(ctx, acct, cs)
        created = created_filter(p)
        wanted = [
            (k, p[k])
            for k in ("customer", "payment_intent", "payment_link", "status", "subscription")
            if p.get(k) is not None
        ]
        email = (p.get("customer_details") or {}).get("email")
        items = [
            o
            for o in acct.of_kind("checkout.session")
            if created(o)
            and all(o[k] == v for k, v in wanted)
            and (email is None or (o["customer_details"] or {}).get("email") == email)
        ]
        return paginate(items, p, "checkout.session")

    @endpoint(
        "GET",
        "/v1/checkout/sessions/{id}/line_items",
        LINE_ITEMS,
        sublist=("checkout.session", "line_items"),
    )
    def line_items(self, ctx: Ctx, p: Obj, sid: str) -> Page:
        acct = self.accounts.open(ctx.account)
        get(acct, sid, "checkout.session", "checkout.session", "session")
        # Stored in the order given; lists answer in that order too.
        items = list(acct.checkout.get(sid, {}).get("line_items", []))
        return paginate(items, p, "line_item")

    @endpoint("POST", "/v1/checkout/sessions/{id}/expire", P.ONLY_EXPAND)
    def expire(self, ctx: Ctx, p: Obj, sid: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cs = self.session(ctx, acct, sid, "session")
        if cs["status"] != "open":
            raise invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
                f"Session has a status of `{cs['status']}`."
            )
        self._expire(ctx, acct, cs)
        return cs

    def _expire(self, ctx: Ctx, acct: Account, cs: Obj) -> None:
        """Expire an open session: its intent is canceled, ``checkout.session.expired`` sent."""
        cs["status"] = "expired"
        cs["url"] = None
        for key, label in (("payment_intent", "payment_intent"), ("setup_intent", "setup_intent")):
            intent = acct.objects.get(cs[key] or "")
            if intent is None or intent["status"] in ("succeeded", "canceled"):
                continue
            if label == "payment_intent":
                self.payment_intents.cancel(ctx, {}, intent["id"])
            else:
                self.setup_intents.cancel(ctx, {}, intent["id"])
        self.emit(ctx, "checkout.session.expired", cs)

    # -- paying ----------------------------------------------------------------------------
    def pay(
        self,
        ctx: Ctx,
        sid: str,
        payment_method: str,
        email: str | None = None,
        delayed: bool = False,
    ) -> Obj:
        """Pay (or save the card of) an open session, as the hosted page's form does.

        Returns the session: ``complete``, or still ``open`` with its intent in
        ``requires_action`` (a 3DS card). A decline raises the card error (402) with the session
        left open; a timeout card raises :class:`HoldRequest` before anything changes.
        ``delayed`` (our extension, payment mode) pays as a delayed method would: the session
        completes ``unpaid`` with its intent ``processing`` until :meth:`settle`.
        """
        acct = self.accounts.open(ctx.account)
        cs = self.session(ctx, acct, sid)
        if cs["status"] != "open":
            raise invalid(
                f"This Checkout Session is no longer open: its status is `{cs['status']}`."
            )
        spec = peek_spec(acct, payment_method, None)
        if spec is not None and spec.outcome == "timeout":
            raise HoldRequest()
        if delayed and cs["mode"] != "payment":
            raise invalid("A delayed payment applies to a session in `payment` mode.")
        email = cs["customer_email"] or email
        if cs["mode"] == "subscription":
            acct.checkout.setdefault(sid, {})["email"] = email
            return self._subscribe(ctx, acct, cs, payment_method, email)
        if cs["mode"] == "payment":
            intent = self._payment_intent(ctx, acct, cs, email)
            if delayed:
                intent = self.payment_intents.process(ctx, acct, intent, payment_method)
            else:
                intent = self.payment_intents.confirm(
                    ctx, {"payment_method": payment_method}, intent["id"]
                )
        else:
            intent = get(acct, cs["setup_intent"], "setup_intent", "setupintent")
            customer = cs["customer"] or self._new_customer(ctx, acct, cs, email, False)
            if customer is not None and intent["customer"] is None:
                intent["customer"] = customer
            intent = self.setup_intents.confirm(
                ctx, {"payment_method": payment_method}, intent["id"]
            )
        acct.checkout.setdefault(sid, {})["email"] = email
        self.settled(ctx, acct, intent)
        return cs

    def intent_of(self, acct: Account, cs: Obj) -> str | None:
        """The intent paying (or saving the card of) the session: in subscription mode, the
        one collecting the subscription's first invoice."""
        if cs["payment_intent"] or cs["setup_intent"]:
            return str(cs["payment_intent"] or cs["setup_intent"])
        sub = acct.objects.get(acct.checkout.get(cs["id"], {}).get("subscription") or "")
        if sub is None:
            return None
        return acct.invoice_intents.get(sub["latest_invoice"] or "")

    def _subscribe(
        self, ctx: Ctx, acct: Account, cs: Obj, payment_method: str, email: str | None
    ) -> Obj:
        """Subscription mode: the customer (made if needed), the card attached to it, the
        subscription created ``default_incomplete`` and its first invoice's intent confirmed
        with the card. A decline raises the 402 and leaves the session open with the incomplete
        subscription, which the next attempt pays; a 3DS card leaves the intent
        ``requires_action`` (the session completes once authenticated); a trial completes at
        once with nothing to pay."""
        kept = acct.checkout.setdefault(cs["id"], {})
        sub = acct.objects.get(kept.get("subscription") or "")
        pm = self.customers.payment_methods.resolve(ctx, acct, payment_method, "payment_method")
        card_check(acct.specs[pm["id"]], payment_method=clone(pm))
        customer = cs["customer"] or self._new_customer(ctx, acct, cs, email, True)
        if pm["customer"] is None:
            pm["customer"] = customer
            self.emit(ctx, "payment_method.attached", pm)
        if sub is None:
            data: Obj = kept.get("subscription_data") or {}
            params: Obj = {
                "customer": customer,
                "items": [{"price": price, "quantity": qty} for price, qty in kept["prices"]],
                "default_payment_method": pm["id"],
                "payment_behavior": "default_incomplete",
                **{k: v for k, v in data.items() if v is not None},
            }
            if data.get("trial_end") is not None:
                params["trial_end"] = str(data["trial_end"])
            sub = self.subscriptions.create(ctx, params)
            kept["subscription"] = sub["id"]
        else:
            sub["default_payment_method"] = pm["id"]
        inv = get(acct, sub["latest_invoice"], "invoice", "invoice")
        pi = self.subscriptions.invoices.intent_of(acct, inv)
        if pi is None or inv["status"] == "paid":
            self._complete(ctx, acct, cs)
            return cs
        acct.checkout_of[pi["id"]] = cs["id"]
        pi = self.payment_intents.confirm(ctx, {"payment_method": pm["id"]}, pi["id"])
        self.settled(ctx, acct, pi)
        return cs

    def _new_customer(
        self, ctx: Ctx, acct: Account, cs: Obj, email: str | None, needed: bool
    ) -> str | None:
        """The Customer Checkout creates: always when asked, else only when the payment needs
        one (``needed``: a card saved for later use)."""
        if cs["customer_creation"] != "always" and not needed:
            return None
        customer = self.customers.create(ctx, {"email": email})
        cs["customer"] = customer["id"]
        return str(customer["id"])

    def _payment_intent(self, ctx: Ctx, acct: Account, cs: Obj, email: str | None) -> Obj:
        """The session's PaymentIntent, created on the first attempt to pay."""
        if cs["payment_intent"] is not None:
            return get(acct, cs["payment_intent"], "payment_intent", "payment_intent")
        data: Obj = acct.checkout.get(cs["id"], {}).get("intent_data", {})
        needs_customer = data.get("setup_future_usage") is not None
        customer = cs["customer"] or self._new_customer(ctx, acct, cs, email, needs_customer)
        params = {
            "amount": cs["amount_total"],
            "currency": cs["currency"],
            "customer": customer,
            "payment_method_types": ["card"],
            "receipt_email": data.get("receipt_email") or email,
            **{k: clone(v) for k, v in data.items() if k != "receipt_email"},
        }
        pi = self.payment_intents.create(ctx, params)
        cs["payment_intent"] = pi["id"]
        acct.checkout_of[pi["id"]] = cs["id"]
        return pi

    def settled(self, ctx: Ctx, acct: Account, intent: Obj) -> None:
        """An intent of an open session has moved on: once it succeeded (or is authorized for
        capture), the session is complete. Called after a 3DS challenge too."""
        sid = acct.checkout_of.get(intent["id"])
        cs = acct.objects.get(sid or "")
        if cs is None or cs["status"] != "open" or intent["status"] not in SETTLED:
            return
        self._complete(ctx, acct, cs, intent)

    def _complete(self, ctx: Ctx, acct: Account, cs: Obj, intent: Obj | None = None) -> None:
        """The session is complete (``checkout.session.completed``)."""
        email = acct.checkout.get(cs["id"], {}).get("email") or cs["customer_email"]
        if cs["customer"] is not None and email is None:
            customer = acct.objects.get(cs["customer"]) or {}
            email = customer.get("email")
        cs["status"] = "complete"
        cs["url"] = None
        if cs["mode"] == "payment" and intent is not None:
            cs["payment_status"] = "paid" if intent["status"] == "succeeded" else "unpaid"
        if cs["mode"] == "subscription":
            sub = acct.objects[acct.checkout[cs["id"]]["subscription"]]
            cs["subscription"] = sub["id"]
            cs["invoice"] = sub["latest_invoice"]
            paid = acct.objects[sub["latest_invoice"]]
            cs["payment_status"] = "paid" if paid["amount_paid"] else "no_payment_required"
        cs["customer_details"] = {
            "address": None,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        cs["collected_information"] = {
            "business_name": None,
            "individual_name": None,
            "shipping_details": None,
        }
        self.emit(ctx, "checkout.session.completed", cs)

    def settle(self, ctx: Ctx, sid: str, succeed: bool) -> Obj:
        """The outcome of a delayed payment of a completed session: ``paid`` with
        ``checkout.session.async_payment_succeeded``, or ``async_payment_failed`` (still
        ``unpaid``; its PaymentIntent back to ``requires_payment_method``)."""
        acct = self.accounts.open(ctx.account)
        cs = self.session(ctx, acct, sid)
        pi = acct.objects.get(cs["payment_intent"] or "")
        if cs["status"] != "complete" or pi is None or pi["status"] != "processing":
            raise invalid(
                "This Checkout Session has no delayed payment waiting: its status is "
                f"`{cs['status']}`, its payment_status `{cs['payment_status']}`."
            )
        self.payment_intents.settle(ctx, acct, pi, succeed)
        if succeed:
            cs["payment_status"] = "paid"
            self.emit(ctx, "checkout.session.async_payment_succeeded", cs)
        else:
            self.emit(ctx, "checkout.session.async_payment_failed", cs)
        return cs
