"""The Stripe domain model: accounts, objects and the PaymentIntent / SetupIntent state machines.

No HTTP here. Operations take a :class:`Ctx` (the account and the request it came from) and
validated parameters, mutate the account's objects, emit events through the injected
``emit`` callback and return the resulting object, or raise :class:`StripeError` (rendered by
the wire adapter) or :class:`HoldRequest` (a timeout card: nothing has changed).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakeservices.core.ids import alnum
from fakeservices.stripe import cards, currency, objects
from fakeservices.stripe.cards import (
    AUTH_FAILED_MESSAGE,
    AUTH_REQUIRED,
    SETUP_AUTH_FAILED_MESSAGE,
    SLOW_SECONDS,
    CardSpec,
    Decline,
)
from fakeservices.stripe.errors import (
    HoldRequest,
    StripeError,
    doc_url,
    invalid,
    missing,
    no_such,
    state_error,
)
from fakeservices.stripe.objects import clone

Obj = dict[str, Any]

#: Idempotency keys remembered per account (Stripe keeps them at least 24 h).
IDEMPOTENCY_KEYS_PER_ACCOUNT = 10_000

PI_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
PI_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
SI_CONFIRMABLE = PI_CONFIRMABLE
SI_CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

MISSING_PM = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
    "either update the PaymentIntent with a payment method and then confirm it again, or "
    "confirm it again directly with a payment method."
)
SI_MISSING_PM = (
    "You cannot confirm this SetupIntent because it's missing a payment method. You can either "
    "update the SetupIntent with a payment method and then confirm it again, or confirm it "
    "again directly with a payment method."
)
RETURN_URL_REQUIRED = (
    "This {kind} is configured to accept payment methods enabled in your Dashboard. Because "
    "some of these payment methods might redirect your customer off of your page, you must "
    "provide a `return_url`. If you don't want to accept redirect-based payment methods, set "
    "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods"
    "[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
)


@dataclass
class Ctx:
    """Who is asking and for which request (events record it)."""

    account: str
    request_id: str | None = None
    idempotency_key: str | None = None
    #: The Stripe-Version the request named (events carry it as api_version).
    api_version: str | None = None
    #: Set by slow cards: the wire answers only after this many seconds.
    delay: float = 0.0


@dataclass
class IdemRecord:
    fingerprint: str
    status: int
    body: bytes
    request_id: str


@dataclass
class Account:
    """Everything one secret key owns."""

    key: str
    objects: dict[str, Obj] = field(default_factory=dict)
    #: Card behaviour behind a PaymentMethod / Token / Card id.
    specs: dict[str, CardSpec] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    #: Intents whose 3DS challenge succeeded (admin authenticate).
    authenticated: set[str] = field(default_factory=set)
    #: PaymentMethods set up for off-session use by a SetupIntent.
    set_up: set[str] = field(default_factory=set)
    return_urls: dict[str, str] = field(default_factory=dict)
    idempotency: OrderedDict[str, IdemRecord] = field(default_factory=OrderedDict)
    in_flight: set[str] = field(default_factory=set)
    #: ``objects`` by kind, in the same order: listing one kind (and finding the webhook endpoints
    #: for every event) must not scan every object the account ever made.
    by_kind: dict[str, dict[str, Obj]] = field(default_factory=dict)

    def put(self, obj: Obj) -> None:
        self.objects[obj["id"]] = obj
        self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj

    def remove(self, obj_id: str) -> None:
        obj = self.objects.pop(obj_id)
        self.by_kind.get(obj["object"], {}).pop(obj_id, None)

    def of_kind(self, kind: str) -> list[Obj]:
        """Objects of one kind, newest first."""
        return list(reversed(self.by_kind.get(kind, {}).values()))


Emit = Callable[[Ctx, str, Obj, "Obj | None"], None]


def _merge_metadata(target: Obj, new: dict[str, str] | None) -> None:
    if new is None:
        target["metadata"] = {}
        return
    meta = target.setdefault("metadata", {})
    for k, v in new.items():
        if v == "":
            meta.pop(k, None)
        else:
            meta[k] = v


def paginate(items: list[Obj], p: Obj, noun: str) -> tuple[list[Obj], bool]:
    """Newest-first ``items`` paged by ``limit``, ``starting_after`` and ``ending_before``."""
    limit = p.get("limit")
    if limit is None:
        limit = 10
    if not 1 <= limit <= 100:
        raise invalid(
            "This value must be greater than or equal to 1."
            if limit < 1
            else "This value must be less than or equal to 100.",
            "limit",
        )
    ids = [o["id"] for o in items]
    after, before = p.get("starting_after"), p.get("ending_before")
    if after is not None:
        if after not in ids:
            raise no_such(noun, after, "starting_after", 400)
        rest = items[ids.index(after) + 1 :]
        return rest[:limit], len(rest) > limit
    if before is not None:
        if before not in ids:
            raise no_such(noun, before, "ending_before", 400)
        newer = items[: ids.index(before)]
        return newer[-limit:], len(newer) > limit
    return items[:limit], len(items) > limit


def created_filter(p: Obj) -> Callable[[Obj], bool]:
    spec = p.get("created")
    if spec is None:
        return lambda _o: True
    if isinstance(spec, str):
        if not spec.lstrip("-").isdigit():
            raise invalid(f"Invalid integer: {spec}", "created", "parameter_invalid_integer")
        exact = int(spec)
        return lambda o: bool(o["created"] == exact)
    bounds: dict[str, int] = {}
    if not isinstance(spec, dict):
        raise invalid("Invalid hash", "created")
    for op, raw in spec.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise invalid(f"Received unknown parameter: created[{op}]", f"created[{op}]")
        if not isinstance(raw, str) or not raw.lstrip("-").isdigit():
            raise invalid(f"Invalid integer: {raw}", f"created[{op}]", "parameter_invalid_integer")
        bounds[op] = int(raw)

    def pred(o: Obj) -> bool:
        c: int = o["created"]
        return (
            ("gt" not in bounds or c > bounds["gt"])
            and ("gte" not in bounds or c >= bounds["gte"])
            and ("lt" not in bounds or c < bounds["lt"])
            and ("lte" not in bounds or c <= bounds["lte"])
        )

    return pred


class StripeModel:
    def __init__(self, emit: Emit, max_accounts: int = 1000) -> None:
        self.emit = emit
        # Least recently used first: tests that each use a fresh key leave old accounts behind,
        # and the oldest go once there are more than ``max_accounts``.
        self.accounts: OrderedDict[str, Account] = OrderedDict()
        self.max_accounts = max_accounts
        self.added = 0
        self.evicted = 0

    # -- accounts and lookup -----------------------------------------------------------------
    def account(self, key: str) -> Account:
        acct = self.accounts.get(key)
        if acct is None:
            acct = self.accounts[key] = Account(key)
            self.added += 1
            while len(self.accounts) > self.max_accounts:
                self.accounts.popitem(last=False)
                self.evicted += 1
        else:
            self.accounts.move_to_end(key)
        return acct

    def __len__(self) -> int:
        return len(self.accounts)

    def reset(self, key: str | None) -> None:
        if key is None:
            self.accounts.clear()
        else:
            self.accounts.pop(key, None)

    def find(self, key: str, obj_id: str) -> Obj | None:
        acct = self.accounts.get(key)
        return None if acct is None else acct.objects.get(obj_id)

    def _get(
        self,
        acct: Account,
        obj_id: str,
        kind: str,
        noun: str,
        param: str | None = "id",
        status: int = 404,
    ) -> Obj:
        obj = acct.objects.get(obj_id)
        if obj is None or obj["object"] != kind:
            raise no_such(noun, obj_id, param, status)
        return obj

    def _add(self, acct: Account, obj: Obj) -> Obj:
        acct.put(obj)
        return obj

    def _emit(self, ctx: Ctx, kind: str, obj: Obj, previous: Obj | None = None) -> None:
        self.emit(ctx, kind, clone(obj), previous)

    def retrieve(self, ctx: Ctx, obj_id: str, kind: str, noun: str, param: str = "id") -> Obj:
        acct = self.account(ctx.account)
        if acct.deleted.get(obj_id) == kind:
            return objects.deleted(obj_id, kind)
        obj = self._get(acct, obj_id, kind, noun, param)
        if kind == "payment_method" and obj_id.startswith("pm_card_"):
            return obj
        return obj

    def list_of(
        self, ctx: Ctx, kind: str, p: Obj, noun: str, pred: Callable[[Obj], bool] | None = None
    ) -> tuple[list[Obj], bool]:
        acct = self.account(ctx.account)
        created = created_filter(p)
        items = [o for o in acct.of_kind(kind) if created(o) and (pred is None or pred(o))]
        return paginate(items, p, noun)

    # -- amounts -----------------------------------------------------------------------------
    @staticmethod
    def check_currency(cur: str | None) -> str:
        if cur is None:
            raise missing("currency")
        low = cur.lower()
        if low not in currency.SUPPORTED:
            raise invalid(
                f"Invalid currency: {low}. Stripe currently supports these currencies: "
                + ", ".join(currency.SUPPORTED),
                "currency",
            )
        return low

    @staticmethod
    def check_amount(amount: int, cur: str, param: str = "amount") -> None:
        if amount < 1:
            raise invalid("This value must be greater than or equal to 1.", param)
        if amount > currency.MAX_AMOUNT:
            raise invalid(
                f"Amount must be no more than {currency.fmt(currency.MAX_AMOUNT, 'usd')}",
                param,
                "amount_too_large",
            )
        minimum = currency.minimum(cur)
        if amount < minimum:
            raise invalid(
                f"Amount must be at least {currency.fmt(minimum, cur)} {cur}",
                param,
                "amount_too_small",
            )

    # -- cards, tokens, payment methods ------------------------------------------------------
    def _card_from_data(
        self, acct: Account, card: Obj, prefix: str
    ) -> tuple[CardSpec, int, int, bool]:
        """Resolve ``card[...]`` data to a row and expiry; raises Stripe's card errors."""
        tok = card.get("token")
        if tok is not None:
            spec = self._token_spec(acct, tok, f"{prefix}[token]")
            m, y = objects.default_expiry()
            return spec, m, y, False
        number = card.get("number")
        if number is None:
            raise missing(f"{prefix}[number]")
        for part in ("exp_month", "exp_year"):
            if card.get(part) is None:
                raise missing(f"{prefix}[{part}]")
        spec = cards.by_number(number)
        if spec.outcome == "incorrect_number":
            raise self._card_error(cards.INCORRECT_NUMBER, param="number")
        month, year = int(card["exp_month"]), int(card["exp_year"])
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise StripeError(
                402,
                "Your card's expiration month is invalid.",
                type="card_error",
                code="invalid_expiry_month",
                param="exp_month",
            )
        t = time.gmtime()
        if year < t.tm_year or (year == t.tm_year and month < t.tm_mon) or year > t.tm_year + 50:
            raise StripeError(
                402,
                "Your card's expiration year is invalid.",
                type="card_error",
                code="invalid_expiry_year",
                param="exp_year",
            )
        cvc = card.get("cvc")
        if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise StripeError(
                402,
                "Your card's security code is invalid.",
                type="card_error",
                code="invalid_cvc",
                param="cvc",
            )
        return spec, month, year, cvc is not None

    @staticmethod
    def _card_error(d: Decline, param: str | None = None, **extra: Any) -> StripeError:
        return StripeError(
            402,
            d.message,
            type="card_error",
            code=d.code,
            decline_code=d.decline_code,
            param=param,
            extra=extra,
        )

    def _token_spec(self, acct: Account, tok: str, param: str, consume: bool = True) -> CardSpec:
        magic = cards.by_token(tok)
        if magic is not None:
            return magic
        obj = acct.objects.get(tok)
        if obj is None or obj["object"] != "token":
            raise no_such("token", tok, param, 400)
        if obj["used"]:
            raise invalid(f"You cannot use a Stripe token more than once: {tok}.", param)
        if consume:
            obj["used"] = True
        return acct.specs[tok]

    def create_token(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        spec, m, y, _cvc = self._card_from_data(acct, p["card"], "card")
        card = objects.legacy_card(spec, m, y, None)
        if p["card"].get("cvc") is not None:
            card["cvc_check"] = "unchecked"
        tok = self._add(acct, objects.token(card))
        acct.specs[tok["id"]] = spec
        acct.specs[card["id"]] = spec
        return tok

    def retrieve_token(self, ctx: Ctx, tok_id: str) -> Obj:
        acct = self.account(ctx.account)
        spec = cards.by_token(tok_id)
        if spec is not None and tok_id not in acct.objects:
            m, y = objects.default_expiry()
            tok = objects.token(objects.legacy_card(spec, m, y, None))
            tok["id"] = tok_id
            return tok
        return self._get(acct, tok_id, "token", "token")

    def _new_pm(self, acct: Account, spec: CardSpec, m: int, y: int, cvc: bool, p: Obj) -> Obj:
        pm = objects.payment_method(
            spec,
            m,
            y,
            billing=p.get("billing_details"),
            metadata=p.get("metadata"),
            cvc_given=cvc,
            allow_redisplay=p.get("allow_redisplay"),
        )
        acct.specs[pm["id"]] = spec
        return self._add(acct, pm)

    def _pm_from_data(self, acct: Account, data: Obj, prefix: str) -> Obj:
        if data.get("type") is None:
            raise missing(f"{prefix}[type]")
        if data.get("card") is None:
            raise missing(f"{prefix}[card]")
        spec, m, y, cvc = self._card_from_data(acct, data["card"], f"{prefix}[card]")
        return self._new_pm(acct, spec, m, y, cvc, data)

    def _magic_pm(self, acct: Account, name: str) -> Obj | None:
        spec = cards.by_pm(name)
        if spec is None:
            return None
        m, y = objects.default_expiry()
        return self._new_pm(acct, spec, m, y, False, {})

    def _resolve_pm(self, acct: Account, value: str, param: str) -> Obj:
        """A ``pm_card_*`` name becomes a new PaymentMethod; an id must exist."""
        magic = self._magic_pm(acct, value)
        if magic is not None:
            return magic
        obj = acct.objects.get(value)
        if obj is None or obj["object"] != "payment_method":
            raise no_such("PaymentMethod", value, param, 400)
        return obj

    def _peek_spec(self, acct: Account, pm_value: str | None, data: Obj | None) -> CardSpec | None:
        """The card row a request would use, without creating anything."""
        if data is not None and isinstance(data.get("card"), dict):
            card = data["card"]
            if card.get("token"):
                tok = card["token"]
                return cards.by_token(tok) or acct.specs.get(tok)
            if card.get("number"):
                return cards.by_number(card["number"])
        if pm_value is not None:
            return cards.by_pm(pm_value) or cards.by_token(pm_value) or acct.specs.get(pm_value)
        return None

    def create_payment_method(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        if p.get("payment_method") is not None:  # cloning onto a connected account
            return self._resolve_pm(acct, p["payment_method"], "payment_method")
        if p.get("type") is None:
            raise missing("type")
        if p.get("card") is None:
            raise missing("card")
        spec, m, y, cvc = self._card_from_data(acct, p["card"], "card")
        return self._new_pm(acct, spec, m, y, cvc, p)

    def retrieve_payment_method(self, ctx: Ctx, pm_id: str) -> Obj:
        acct = self.account(ctx.account)
        magic = self._magic_pm(acct, pm_id)
        if magic is not None:
            return magic
        return self._get(acct, pm_id, "payment_method", "PaymentMethod")

    def update_payment_method(self, ctx: Ctx, pm_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pm = self._get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
        if "metadata" in p:
            _merge_metadata(pm, p["metadata"])
        if p.get("billing_details"):
            b = p["billing_details"]
            for k in ("email", "name", "phone"):
                if k in b:
                    pm["billing_details"][k] = b[k]
            if isinstance(b.get("address"), dict):
                pm["billing_details"]["address"].update(b["address"])
        if p.get("card"):
            for k in ("exp_month", "exp_year"):
                if p["card"].get(k) is not None:
                    pm["card"][k] = p["card"][k]
        if p.get("allow_redisplay"):
            pm["allow_redisplay"] = p["allow_redisplay"]
        self._emit(ctx, "payment_method.updated", pm)
        return pm

    def _card_check(self, spec: CardSpec, **extra: Any) -> None:
        """Attaching a card runs a check: the decline rows fail it with their 402."""
        if spec.outcome == "decline" and spec.decline is not None:
            raise self._card_error(spec.decline, **extra)

    def attach_payment_method(self, ctx: Ctx, pm_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pm = self._resolve_pm(acct, pm_id, "payment_method")
        cus = self._get(acct, p["customer"], "customer", "customer", "customer", 400)
        if pm["customer"] not in (None, cus["id"]):
            raise invalid(
                "The payment method you provided has already been attached to a customer.",
                "payment_method",
            )
        self._card_check(acct.specs[pm["id"]], payment_method=clone(pm))
        pm["customer"] = cus["id"]
        pm["card"]["checks"]["cvc_check"] = "pass"
        self._emit(ctx, "payment_method.attached", pm)
        return pm

    def detach_payment_method(self, ctx: Ctx, pm_id: str) -> Obj:
        acct = self.account(ctx.account)
        pm = self._get(acct, pm_id, "payment_method", "PaymentMethod", "payment_method")
        if pm["customer"] is None:
            raise invalid(
                f"The payment method {pm_id} is not attached to a customer so detachment is "
                "impossible.",
                "payment_method",
            )
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        self._emit(ctx, "payment_method.detached", pm, previous)
        return pm

    def list_payment_methods(
        self, ctx: Ctx, p: Obj, customer: str | None = None
    ) -> tuple[list[Obj], bool]:
        acct = self.account(ctx.account)
        cus_id = customer or p.get("customer")
        if cus_id is not None:
            self._get(acct, cus_id, "customer", "customer", "customer", 404 if customer else 400)
        kind = p.get("type")
        return self.list_of(
            ctx,
            "payment_method",
            p,
            "PaymentMethod",
            lambda o: (
                (cus_id is None or o["customer"] == cus_id) and (kind is None or o["type"] == kind)
            ),
        )

    # -- customers ---------------------------------------------------------------------------
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
                _merge_metadata(cus, value)
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

    def create_payment_intent(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        cur = self.check_currency(p.get("currency"))
        self.check_amount(p["amount"], cur)
        p["currency"] = cur
        self._customer_ref(acct, p.get("customer"))
        if p.get("confirm"):
            spec = self._peek_spec(acct, p.get("payment_method"), p.get("payment_method_data"))
            if spec is not None and spec.outcome == "timeout":
                raise HoldRequest()
        elif p.get("payment_method_data") is not None:
            raise invalid(
                "payment_method_data can only be used with confirm=true.", "payment_method_data"
            )
        apm = p.get("automatic_payment_methods")
        if apm is None and p.get("payment_method_types") is None:
            apm = {"allow_redirects": "always", "enabled": True}
        elif apm is not None:
            apm = {"allow_redirects": apm.get("allow_redirects") or "always", **apm}
        if p.get("confirm"):
            self._check_return_url(
                {"automatic_payment_methods": apm}, p.get("return_url"), "PaymentIntent"
            )
        pm: Obj | None = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        pi = self._add(acct, objects.payment_intent(p, apm))
        if pm is not None:
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        self._emit(ctx, "payment_intent.created", pi)
        if p.get("confirm"):
            confirm = {
                k: p[k]
                for k in (
                    "payment_method_data",
                    "return_url",
                    "off_session",
                    "error_on_requires_action",
                )
                if p.get(k) is not None
            }
            return self.confirm_payment_intent(ctx, pi["id"], confirm)
        return pi

    def retrieve_payment_intent(self, ctx: Ctx, pi_id: str) -> Obj:
        return self.retrieve(ctx, pi_id, "payment_intent", "payment_intent", "intent")

    def _pi(self, acct: Account, pi_id: str) -> Obj:
        return self._get(acct, pi_id, "payment_intent", "payment_intent", "intent")

    def update_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        money = {"amount", "currency", "payment_method", "capture_method", "payment_method_types"}
        if money & set(p) and pi["status"] not in PI_CONFIRMABLE:
            field_name = sorted(money & set(p))[0]
            raise state_error(
                f"This PaymentIntent's {field_name} could not be updated because it has a status "
                f"of {pi['status']}. You may only update the {field_name} of a PaymentIntent "
                "with one of the following statuses: requires_payment_method, "
                "requires_confirmation, requires_action.",
                "payment_intent",
                clone(pi),
            )
        cur = self.check_currency(p["currency"]) if "currency" in p else pi["currency"]
        if "amount" in p:
            self.check_amount(p["amount"], cur)
        self._customer_ref(acct, p.get("customer"))
        pm = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                _merge_metadata(pi, value)
            elif key == "currency":
                pi["currency"] = cur
            else:
                pi[key] = value
        if pm is not None:
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        return pi

    def _check_return_url(self, intent: Obj, return_url: str | None, kind: str) -> None:
        apm = intent.get("automatic_payment_methods") or {}
        if apm.get("enabled") and apm.get("allow_redirects") != "never" and not return_url:
            raise StripeError(400, RETURN_URL_REQUIRED.format(kind=kind))

    def confirm_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        status = pi["status"]
        if status not in PI_CONFIRMABLE:
            if status == "succeeded":
                msg = (
                    "You cannot confirm this PaymentIntent because it has already succeeded "
                    "after being previously confirmed."
                )
            else:
                msg = (
                    f"You cannot confirm this PaymentIntent because it has a status of {status}. "
                    "Only a PaymentIntent with one of the following statuses may be confirmed: "
                    "requires_payment_method, requires_confirmation, requires_action."
                )
            raise state_error(msg, "payment_intent", clone(pi))
        pm_value = p.get("payment_method")
        data = p.get("payment_method_data")
        if pm_value is None and data is None:
            pm_value = pi["payment_method"]
        spec = self._peek_spec(acct, pm_value, data)
        if spec is not None and spec.outcome == "timeout":
            raise HoldRequest()
        if pm_value is None and data is None:
            raise StripeError(
                400,
                MISSING_PM,
                code="payment_intent_unexpected_state",
                extra={"payment_intent": clone(pi)},
            )
        return_url = p.get("return_url") or acct.return_urls.get(pi_id)
        self._check_return_url(pi, return_url, "PaymentIntent")
        pm = (
            self._pm_from_data(acct, data, "payment_method_data")
            if data is not None
            else self._resolve_pm(acct, str(pm_value), "payment_method")
        )
        if return_url:
            acct.return_urls[pi_id] = return_url
        for key in ("receipt_email", "setup_future_usage", "shipping", "capture_method"):
            if p.get(key) is not None:
                pi[key] = p[key]
        pi["payment_method"] = pm["id"]
        pi["last_payment_error"] = None
        off_session = p.get("off_session") not in (None, "false", False)
        strict = bool(p.get("error_on_requires_action")) or off_session
        err = self._attempt(ctx, acct, pi, pm, acct.specs[pm["id"]], strict, return_url)
        if err is not None:
            raise err
        return pi

    def _attempt(
        self,
        ctx: Ctx,
        acct: Account,
        pi: Obj,
        pm: Obj,
        spec: CardSpec,
        strict: bool,
        return_url: str | None,
    ) -> StripeError | None:
        """Charge ``pm`` for ``pi``; a returned error is the 402 to raise (state already set)."""
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        authenticated = pi["id"] in acct.authenticated
        if spec.outcome == "three_ds" and not authenticated:
            set_up = pm["id"] in acct.set_up and spec.number == "4000002500003155"
            if strict and not set_up:
                return self._decline_pi(ctx, acct, pi, pm, spec, AUTH_REQUIRED)
            if not set_up:
                pi["status"] = "requires_action"
                pi["next_action"] = objects.next_action(pi, return_url)
                self._emit(ctx, "payment_intent.requires_action", pi)
                return None
        if spec.decline is not None and spec.outcome in ("decline", "charge_decline", "three_ds"):
            return self._decline_pi(ctx, acct, pi, pm, spec, spec.decline)
        self._succeed_pi(ctx, acct, pi, pm, spec)
        return None

    def _succeed_pi(self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec) -> None:
        manual = pi["capture_method"] == "manual"
        ch = objects.charge(
            amount=pi["amount"],
            currency=pi["currency"],
            spec=spec,
            card=pm["card"],
            pm_id=pm["id"],
            source=None,
            customer=pi["customer"],
            payment_intent=pi["id"],
            captured=not manual,
            decline=None,
            fields={
                "description": pi["description"],
                "metadata": dict(pi["metadata"]),
                "receipt_email": pi["receipt_email"],
                "shipping": pi["shipping"],
                "statement_descriptor": pi["statement_descriptor"],
                "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
            },
        )
        if pi["id"] in acct.authenticated:
            ch["payment_method_details"]["card"]["three_d_secure"] = {
                "authentication_flow": "challenge",
                "result": "authenticated",
                "version": "2.2.0",
            }
        if not manual:
            ch["balance_transaction"] = self._txn(acct, pi["amount"], pi["currency"], ch["id"])
        self._add(acct, ch)
        pi["latest_charge"] = ch["id"]
        pi["next_action"] = None
        pi["last_payment_error"] = None
        if manual:
            pi["status"] = "requires_capture"
            pi["amount_capturable"] = pi["amount"]
        else:
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]
        if pi["setup_future_usage"] and pi["customer"] and pm["customer"] is None:
            pm["customer"] = pi["customer"]
            self._emit(ctx, "payment_method.attached", pm)
        self._emit(ctx, "charge.succeeded", ch)
        if manual:
            self._emit(ctx, "payment_intent.amount_capturable_updated", pi)
        else:
            self._emit(ctx, "payment_intent.succeeded", pi)

    def _txn(self, acct: Account, amount: int, cur: str, source: str, kind: str = "charge") -> str:
        txn = self._add(acct, objects.balance_transaction(amount, cur, source, kind))
        return str(txn["id"])

    def _decline_pi(
        self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec, d: Decline
    ) -> StripeError:
        ch = objects.charge(
            amount=pi["amount"],
            currency=pi["currency"],
            spec=spec,
            card=pm["card"],
            pm_id=pm["id"],
            source=None,
            customer=pi["customer"],
            payment_intent=pi["id"],
            captured=False,
            decline=d,
            fields={"description": pi["description"], "metadata": dict(pi["metadata"])},
        )
        self._add(acct, ch)
        error = {
            "charge": ch["id"],
            "code": d.code,
            "decline_code": d.decline_code,
            "doc_url": doc_url(d.code),
            "message": d.message,
            "payment_method": clone(pm),
            "type": "card_error",
        }
        pi["last_payment_error"] = {k: v for k, v in error.items() if v is not None}
        pi["latest_charge"] = ch["id"]
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["next_action"] = None
        acct.authenticated.discard(pi["id"])
        self._emit(ctx, "charge.failed", ch)
        self._emit(ctx, "payment_intent.payment_failed", pi)
        return self._card_error(
            d,
            charge=ch["id"],
            payment_intent=clone(pi),
            payment_method=clone(pm),
        )

    def authenticate(self, ctx: Ctx, intent_id: str, succeed: bool) -> Obj:
        """Complete (or fail) a pending 3DS challenge: our admin hook, no browser needed."""
        acct = self.account(ctx.account)
        intent = acct.objects[intent_id]
        pm = acct.objects[intent["payment_method"]]
        spec = acct.specs[pm["id"]]
        if intent["object"] == "setup_intent":
            if succeed:
                acct.authenticated.add(intent_id)
                self._succeed_si(ctx, acct, intent, pm)
            else:
                self._fail_si(
                    ctx,
                    acct,
                    intent,
                    pm,
                    "setup_intent_authentication_failure",
                    SETUP_AUTH_FAILED_MESSAGE,
                )
            return intent
        if succeed:
            acct.authenticated.add(intent_id)
            self._attempt(ctx, acct, intent, pm, spec, False, None)
            return intent
        intent["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": doc_url("payment_intent_authentication_failure"),
            "message": AUTH_FAILED_MESSAGE,
            "payment_method": clone(pm),
            "type": "invalid_request_error",
        }
        intent["status"] = "requires_payment_method"
        intent["payment_method"] = None
        intent["next_action"] = None
        self._emit(ctx, "payment_intent.payment_failed", intent)
        return intent

    def capture_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] != "requires_capture":
            raise state_error(
                "This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "captured: requires_capture.",
                "payment_intent",
                clone(pi),
            )
        amount = p.get("amount_to_capture")
        if amount is None:
            amount = pi["amount_capturable"]
        if amount < 1:
            raise invalid("This value must be greater than or equal to 1.", "amount_to_capture")
        if amount > pi["amount_capturable"]:
            raise invalid(
                "The amount_to_capture must be less than or equal to the amount_capturable "
                f"({pi['amount_capturable']}) on this PaymentIntent.",
                "amount_to_capture",
                "amount_too_large",
            )
        ch = acct.objects[pi["latest_charge"]]
        previous = {"amount_captured": ch["amount_captured"], "captured": False}
        ch["captured"] = True
        ch["amount_captured"] = amount
        ch["balance_transaction"] = self._txn(acct, amount, ch["currency"], ch["id"])
        if "metadata" in p:
            _merge_metadata(pi, p["metadata"])
        pi["status"] = "succeeded"
        pi["amount_received"] = amount
        pi["amount_capturable"] = 0
        self._emit(ctx, "charge.captured", ch, previous)
        self._emit(ctx, "payment_intent.succeeded", pi)
        return pi

    def cancel_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] not in PI_CANCELABLE:
            raise state_error(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
                "payment_intent",
                clone(pi),
            )
        if pi["status"] == "requires_capture":
            ch = acct.objects[pi["latest_charge"]]
            ch["amount_refunded"] = ch["amount"]
            ch["refunded"] = True
        pi["status"] = "canceled"
        pi["canceled_at"] = objects.now()
        pi["cancellation_reason"] = p.get("cancellation_reason")
        pi["amount_capturable"] = 0
        pi["next_action"] = None
        self._emit(ctx, "payment_intent.canceled", pi)
        return pi

    def list_payment_intents(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus = p.get("customer")
        return self.list_of(
            ctx,
            "payment_intent",
            p,
            "payment_intent",
            None if cus is None else lambda o: o["customer"] == cus,
        )

    # -- charges (legacy source=tok_*) and refunds -------------------------------------------
    def create_charge(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        cur = self.check_currency(p.get("currency"))
        self.check_amount(p["amount"], cur)
        source_id, cus_id = p.get("source"), p.get("customer")
        if cus_id is not None:
            self._get(acct, cus_id, "customer", "customer", "customer", 400)
        if source_id is None and cus_id is not None:
            source_id = acct.objects[cus_id]["default_source"]
            if source_id is None:
                raise invalid("Cannot charge a customer that has no active card", "card", "missing")
        if source_id is None:
            raise invalid("Must provide source or customer.", None, "parameter_missing")
        existing = acct.objects.get(source_id)
        if existing is not None and existing["object"] == "card":
            spec = acct.specs[source_id]
            card = existing
        else:
            peek = self._peek_spec(acct, source_id, None)
            if peek is not None and peek.outcome == "timeout":
                raise HoldRequest()
            if not source_id.startswith("tok_"):
                raise no_such("source", source_id, "source", 400)
            spec = self._token_spec(acct, source_id, "source")
            m, y = objects.default_expiry()
            token_obj = acct.objects.get(source_id)
            card = (
                clone(token_obj["card"])
                if token_obj is not None
                else objects.legacy_card(spec, m, y, None)
            )
            card["cvc_check"] = card.get("cvc_check") or "pass"
            acct.specs[card["id"]] = spec
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        decline: Decline | None = None
        if spec.outcome == "three_ds":
            decline = spec.decline or AUTH_REQUIRED
        elif spec.outcome in ("decline", "charge_decline"):
            decline = spec.decline
        captured = p.get("capture") is not False
        ch = objects.charge(
            amount=p["amount"],
            currency=cur,
            spec=spec,
            card=card,
            pm_id=None,
            source=card,
            customer=cus_id,
            payment_intent=None,
            captured=captured,
            decline=decline,
            fields=p,
        )
        if decline is None and captured:
            ch["balance_transaction"] = self._txn(acct, p["amount"], cur, ch["id"])
        self._add(acct, ch)
        if decline is not None:
            self._emit(ctx, "charge.failed", ch)
            raise self._card_error(decline, charge=ch["id"])
        self._emit(ctx, "charge.succeeded", ch)
        return ch

    def _charge(self, acct: Account, ch_id: str, param: str = "id", status: int = 404) -> Obj:
        return self._get(acct, ch_id, "charge", "charge", param, status)

    def retrieve_charge(self, ctx: Ctx, ch_id: str) -> Obj:
        return self._charge(self.account(ctx.account), ch_id)

    def update_charge(self, ctx: Ctx, ch_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        ch = self._charge(acct, ch_id)
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            previous[key] = clone(ch.get(key))
            if key == "metadata":
                _merge_metadata(ch, value)
            else:
                ch[key] = value
        self._emit(ctx, "charge.updated", ch, previous)
        return ch

    def capture_charge(self, ctx: Ctx, ch_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        ch = self._charge(acct, ch_id)
        if ch["captured"] or ch["status"] != "succeeded":
            raise invalid(
                f"Charge {ch_id} has already been captured.", None, "charge_already_captured"
            )
        amount = p.get("amount")
        if ch["payment_intent"] is not None:
            self.capture_payment_intent(
                ctx, ch["payment_intent"], {} if amount is None else {"amount_to_capture": amount}
            )
            return ch
        if amount is None:
            amount = ch["amount"]
        if not 1 <= amount <= ch["amount"]:
            raise invalid(
                f"Amount must be no more than {currency.fmt(ch['amount'], ch['currency'])}",
                "amount",
                "amount_too_large",
            )
        previous = {"amount_captured": 0, "captured": False}
        ch["captured"] = True
        ch["amount_captured"] = amount
        ch["balance_transaction"] = self._txn(acct, amount, ch["currency"], ch["id"])
        self._emit(ctx, "charge.captured", ch, previous)
        return ch

    def list_charges(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus, pi = p.get("customer"), p.get("payment_intent")
        return self.list_of(
            ctx,
            "charge",
            p,
            "charge",
            lambda o: (
                (cus is None or o["customer"] == cus) and (pi is None or o["payment_intent"] == pi)
            ),
        )

    def create_refund(self, ctx: Ctx, p: Obj, charge_id: str | None = None) -> Obj:
        acct = self.account(ctx.account)
        if charge_id is not None:
            ch = self._charge(acct, charge_id)
        elif p.get("charge") is not None:
            ch = self._charge(acct, p["charge"], "charge", 400)
        elif p.get("payment_intent") is not None:
            pi = self._get(
                acct,
                p["payment_intent"],
                "payment_intent",
                "payment_intent",
                "payment_intent",
                400,
            )
            if pi["status"] != "succeeded" or pi["latest_charge"] is None:
                raise invalid(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    "payment_intent",
                )
            ch = acct.objects[pi["latest_charge"]]
        else:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
            )
        if ch["status"] != "succeeded":
            raise invalid(f"Charge {ch['id']} has failed and cannot be refunded.", "charge")
        refundable = (ch["amount_captured"] if ch["captured"] else ch["amount"]) - ch[
            "amount_refunded"
        ]
        if refundable <= 0:
            raise invalid(
                f"Charge {ch['id']} has already been refunded.", None, "charge_already_refunded"
            )
        amount = p.get("amount")
        if amount is None:
            amount = refundable
        if amount < 1:
            raise invalid("This value must be greater than or equal to 1.", "amount")
        if amount > refundable:
            cur = ch["currency"]
            raise invalid(
                f"Refund amount ({currency.fmt(amount, cur)}) is greater than unrefunded amount "
                f"on charge ({currency.fmt(refundable, cur)})",
                "amount",
            )
        txn = (
            self._txn(acct, -amount, ch["currency"], ch["id"], "refund") if ch["captured"] else None
        )
        refund = self._add(acct, objects.refund(amount, ch, p, txn))
        previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= (
            ch["amount_captured"] if ch["captured"] else ch["amount"]
        )
        self._emit(ctx, "charge.refunded", ch, previous)
        self._emit(ctx, "refund.created", refund)
        return refund

    def retrieve_refund(self, ctx: Ctx, re_id: str) -> Obj:
        return self._get(self.account(ctx.account), re_id, "refund", "refund")

    def update_refund(self, ctx: Ctx, re_id: str, p: Obj) -> Obj:
        refund = self.retrieve_refund(ctx, re_id)
        if "metadata" in p:
            _merge_metadata(refund, p["metadata"])
        self._emit(ctx, "refund.updated", refund)
        return refund

    def list_refunds(
        self, ctx: Ctx, p: Obj, charge_id: str | None = None
    ) -> tuple[list[Obj], bool]:
        ch, pi = charge_id or p.get("charge"), p.get("payment_intent")
        return self.list_of(
            ctx,
            "refund",
            p,
            "refund",
            lambda o: (
                (ch is None or o["charge"] == ch) and (pi is None or o["payment_intent"] == pi)
            ),
        )

    # -- setup intents -----------------------------------------------------------------------
    def _si(self, acct: Account, si_id: str) -> Obj:
        return self._get(acct, si_id, "setup_intent", "setupintent", "intent")

    def create_setup_intent(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        self._customer_ref(acct, p.get("customer"))
        if p.get("confirm"):
            spec = self._peek_spec(acct, p.get("payment_method"), p.get("payment_method_data"))
            if spec is not None and spec.outcome == "timeout":
                raise HoldRequest()
        apm = p.get("automatic_payment_methods")
        if apm is None and p.get("payment_method_types") is None:
            apm = {"allow_redirects": "always", "enabled": True}
        elif apm is not None:
            apm = {"allow_redirects": apm.get("allow_redirects") or "always", **apm}
        if p.get("confirm"):
            self._check_return_url(
                {"automatic_payment_methods": apm}, p.get("return_url"), "SetupIntent"
            )
        pm = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        si = self._add(acct, objects.setup_intent(p, apm))
        if pm is not None:
            si["payment_method"] = pm["id"]
            si["status"] = "requires_confirmation"
        self._emit(ctx, "setup_intent.created", si)
        if p.get("confirm"):
            confirm = {k: p[k] for k in ("payment_method_data", "return_url") if p.get(k)}
            return self.confirm_setup_intent(ctx, si["id"], confirm)
        return si

    def retrieve_setup_intent(self, ctx: Ctx, si_id: str) -> Obj:
        return self._si(self.account(ctx.account), si_id)

    def update_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] in ("succeeded", "canceled"):
            raise state_error(
                f"You cannot update this SetupIntent because it has a status of {si['status']}.",
                "setup_intent",
                clone(si),
            )
        self._customer_ref(acct, p.get("customer"))
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                _merge_metadata(si, value)
            else:
                si[key] = value
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
            si["payment_method"] = pm["id"]
            si["status"] = "requires_confirmation"
        return si

    def confirm_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in SI_CONFIRMABLE:
            raise state_error(
                f"You cannot confirm this SetupIntent because it has a status of {si['status']}. "
                "Only a SetupIntent with one of the following statuses may be confirmed: "
                "requires_payment_method, requires_confirmation, requires_action.",
                "setup_intent",
                clone(si),
            )
        pm_value = p.get("payment_method")
        data = p.get("payment_method_data")
        if pm_value is None and data is None:
            pm_value = si["payment_method"]
        spec = self._peek_spec(acct, pm_value, data)
        if spec is not None and spec.outcome == "timeout":
            raise HoldRequest()
        if pm_value is None and data is None:
            raise StripeError(
                400,
                SI_MISSING_PM,
                code="setup_intent_unexpected_state",
                extra={"setup_intent": clone(si)},
            )
        return_url = p.get("return_url")
        self._check_return_url(si, return_url, "SetupIntent")
        pm = (
            self._pm_from_data(acct, data, "payment_method_data")
            if data is not None
            else self._resolve_pm(acct, str(pm_value), "payment_method")
        )
        si["payment_method"] = pm["id"]
        si["last_setup_error"] = None
        spec = acct.specs[pm["id"]]
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        if spec.outcome == "three_ds" and si["id"] not in acct.authenticated:
            si["status"] = "requires_action"
            si["next_action"] = objects.next_action(si, return_url)
            self._emit(ctx, "setup_intent.requires_action", si)
            return si
        if spec.outcome == "decline" and spec.decline is not None:
            d = spec.decline
            self._fail_si(ctx, acct, si, pm, d.code, d.message, d.decline_code, "card_error")
            raise self._card_error(d, setup_intent=clone(si), payment_method=clone(pm))
        self._succeed_si(ctx, acct, si, pm)
        return si

    def _succeed_si(self, ctx: Ctx, acct: Account, si: Obj, pm: Obj) -> None:
        si["status"] = "succeeded"
        si["next_action"] = None
        si["last_setup_error"] = None
        si["latest_attempt"] = f"setatt_{'1'}{alnum(23)}"
        acct.set_up.add(pm["id"])
        if si["customer"] and pm["customer"] is None:
            pm["customer"] = si["customer"]
            self._emit(ctx, "payment_method.attached", pm)
        self._emit(ctx, "setup_intent.succeeded", si)

    def _fail_si(
        self,
        ctx: Ctx,
        acct: Account,
        si: Obj,
        pm: Obj,
        code: str,
        message: str,
        decline_code: str | None = None,
        type_: str = "invalid_request_error",
    ) -> None:
        error = {
            "code": code,
            "decline_code": decline_code,
            "doc_url": doc_url(code),
            "message": message,
            "payment_method": clone(pm),
            "type": type_,
        }
        si["last_setup_error"] = {k: v for k, v in error.items() if v is not None}
        si["status"] = "requires_payment_method"
        si["payment_method"] = None
        si["next_action"] = None
        self._emit(ctx, "setup_intent.setup_failed", si)

    def cancel_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in SI_CANCELABLE:
            raise state_error(
                "You cannot cancel this SetupIntent because it has a status of "
                f"{si['status']}. Only a SetupIntent with one of the following statuses may be "
                "canceled: requires_payment_method, requires_confirmation, requires_action.",
                "setup_intent",
                clone(si),
            )
        si["status"] = "canceled"
        si["cancellation_reason"] = p.get("cancellation_reason")
        si["next_action"] = None
        self._emit(ctx, "setup_intent.canceled", si)
        return si

    def list_setup_intents(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus, pm = p.get("customer"), p.get("payment_method")
        return self.list_of(
            ctx,
            "setup_intent",
            p,
            "setupintent",
            lambda o: (
                (cus is None or o["customer"] == cus) and (pm is None or o["payment_method"] == pm)
            ),
        )

    # -- webhook endpoints -------------------------------------------------------------------
    def create_webhook_endpoint(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        url = p["url"]
        if not url.startswith(("http://", "https://")):
            raise invalid(f"Invalid URL: {url}", "url", "url_invalid")
        if not p["enabled_events"]:
            raise missing("enabled_events")
        secret = f"whsec_{alnum(32)}"
        we = objects.webhook_endpoint(p, secret)
        acct.secrets[we["id"]] = secret
        stored = dict(we)
        del stored["secret"]
        self._add(acct, stored)
        return we

    def webhook_endpoint(self, ctx: Ctx, we_id: str) -> Obj:
        return self._get(self.account(ctx.account), we_id, "webhook_endpoint", "webhook_endpoint")

    def update_webhook_endpoint(self, ctx: Ctx, we_id: str, p: Obj) -> Obj:
        we = self.webhook_endpoint(ctx, we_id)
        for key, value in p.items():
            if key == "expand":
                continue
            if key == "metadata":
                _merge_metadata(we, value)
            elif key == "disabled":
                we["status"] = "disabled" if value else "enabled"
            else:
                we[key] = value
        return we

    def delete_webhook_endpoint(self, ctx: Ctx, we_id: str) -> Obj:
        acct = self.account(ctx.account)
        self.webhook_endpoint(ctx, we_id)
        acct.remove(we_id)
        acct.secrets.pop(we_id, None)
        return objects.deleted(we_id, "webhook_endpoint")

    def endpoints_for(self, key: str, event_type: str) -> Iterable[tuple[Obj, str]]:
        acct = self.accounts.get(key)
        if acct is None:
            return []
        return [
            (we, acct.secrets[we["id"]])
            for we in acct.of_kind("webhook_endpoint")
            if we["status"] == "enabled"
            and ("*" in we["enabled_events"] or event_type in we["enabled_events"])
        ]

    # -- balance -----------------------------------------------------------------------------
    def balance(self, ctx: Ctx) -> Obj:
        acct = self.account(ctx.account)
        totals: dict[str, int] = {}
        for txn in acct.of_kind("balance_transaction"):
            totals[txn["currency"]] = totals.get(txn["currency"], 0) + txn["net"]
        pending = [
            {"amount": v, "currency": k, "source_types": {"card": v}} for k, v in totals.items()
        ] or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
        return {
            "object": "balance",
            "available": [
                {"amount": 0, "currency": x["currency"], "source_types": {"card": 0}}
                for x in pending
            ],
            "livemode": False,
            "pending": pending,
        }

    def retrieve_balance_transaction(self, ctx: Ctx, txn_id: str) -> Obj:
        return self._get(
            self.account(ctx.account), txn_id, "balance_transaction", "balance transaction"
        )
