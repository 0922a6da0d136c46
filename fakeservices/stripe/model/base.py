"""The base of the Stripe model: accounts, their objects, shared checks and helpers.

No HTTP here. Operations take a :class:`Ctx` (the account and the request it came from) and
validated parameters, mutate the account's objects, emit events through the injected
``emit`` callback and return the resulting object, or raise :class:`StripeError` (rendered by
the wire adapter) or :class:`HoldRequest` (a timeout card: nothing has changed).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakeservices.stripe import currency, objects
from fakeservices.stripe.cards import (
    CardSpec,
)
from fakeservices.stripe.errors import (
    invalid,
    missing,
    no_such,
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


def merge_metadata(target: Obj, new: dict[str, str] | None) -> None:
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


class ModelBase:
    """Accounts and the helpers every resource uses."""

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
