"""Checks and helpers every Stripe resource shares, as plain functions of an account."""

from __future__ import annotations

from collections.abc import Callable

from fakeservices.stripe import currency, objects
from fakeservices.stripe.errors import StripeError, invalid, missing, no_such, state_error
from fakeservices.stripe.model.accounts import Account, Obj
from fakeservices.stripe.model.resource import Page
from fakeservices.stripe.objects import clone

RETURN_URL_REQUIRED = (
    "This {kind} is configured to accept payment methods enabled in your Dashboard. Because "
    "some of these payment methods might redirect your customer off of your page, you must "
    "provide a `return_url`. If you don't want to accept redirect-based payment methods, set "
    "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods"
    "[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
)


def get(
    acct: Account,
    obj_id: str,
    kind: str,
    noun: str,
    param: str | None = "id",
    status: int = 404,
) -> Obj:
    """The account's object ``obj_id`` of ``kind``, or Stripe's ``No such <noun>`` error."""
    obj = acct.objects.get(obj_id)
    if obj is None or obj["object"] != kind:
        raise no_such(noun, obj_id, param, status)
    return obj


def retrieve(acct: Account, obj_id: str, kind: str, noun: str, param: str = "id") -> Obj:
    """A retrieve: a deleted object answers ``{"id", "object", "deleted": true}``."""
    if acct.deleted.get(obj_id) == kind:
        return objects.deleted(obj_id, kind)
    return get(acct, obj_id, kind, noun, param)


def customer_ref(acct: Account, cus_id: str | None) -> None:
    """A ``customer`` body parameter must name an existing customer (400 otherwise)."""
    if cus_id is not None:
        get(acct, cus_id, "customer", "customer", "customer", 400)


def merge_metadata(target: Obj, new: dict[str, str] | None) -> None:
    """Stripe's metadata update: keys merge, ``""`` deletes a key, ``metadata=""`` clears all."""
    if new is None:
        target["metadata"] = {}
        return
    meta = target.setdefault("metadata", {})
    for k, v in new.items():
        if v == "":
            meta.pop(k, None)
        else:
            meta[k] = v


def page_limit(p: Obj) -> int:
    """A list's or search's ``limit``: 1 to 100, default 10, with Stripe's range messages."""
    limit: int | None = p.get("limit")
    if limit is None:
        return 10
    if not 1 <= limit <= 100:
        raise invalid(
            "This value must be greater than or equal to 1."
            if limit < 1
            else "This value must be less than or equal to 100.",
            "limit",
        )
    return limit


def paginate(items: list[Obj], p: Obj, noun: str) -> Page:
    """Newest-first ``items`` paged by ``limit``, ``starting_after`` and ``ending_before``."""
    limit = page_limit(p)
    ids = [o["id"] for o in items]
    after, before = p.get("starting_after"), p.get("ending_before")
    if after is not None:
        if after not in ids:
            raise no_such(noun, after, "starting_after", 400)
        rest = items[ids.index(after) + 1 :]
        return Page(rest[:limit], len(rest) > limit)
    if before is not None:
        if before not in ids:
            raise no_such(noun, before, "ending_before", 400)
        newer = items[: ids.index(before)]
        return Page(newer[-limit:], len(newer) > limit)
    return Page(items[:limit], len(items) > limit)


def created_filter(p: Obj) -> Callable[[Obj], bool]:
    """The ``created`` list filter: an exact timestamp or ``created[gt|gte|lt|lte]``."""
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


def list_of(acct: Account, kind: str, p: Obj, noun: str, **equal: str | None) -> Page:
    """A list endpoint over one kind, newest first, paginated: filtered by ``created`` and by
    ``field=value`` for each of ``equal`` that is not None (``customer=p.get("customer")``)."""
    created = created_filter(p)
    wanted = [(k, v) for k, v in equal.items() if v is not None]
    items = [o for o in acct.of_kind(kind) if created(o) and all(o[k] == v for k, v in wanted)]
    return paginate(items, p, noun)


def check_currency(cur: str | None) -> str:
    """The lower-cased currency, which must be one Stripe supports."""
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


def check_amount(amount: int, cur: str, param: str = "amount") -> None:
    """At least the currency's minimum charge, at most Stripe's maximum."""
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


def automatic_payment_methods(p: Obj) -> Obj | None:
    """An intent's ``automatic_payment_methods``: on (with redirects) unless types are given."""
    apm: Obj | None = p.get("automatic_payment_methods")
    if apm is None and p.get("payment_method_types") is None:
        return {"allow_redirects": "always", "enabled": True}
    if apm is not None:
        return {"allow_redirects": apm.get("allow_redirects") or "always", **apm}
    return None


def use_payment_method(intent: Obj, pm: Obj | None) -> None:
    """An intent given a PaymentMethod awaits confirmation."""
    if pm is not None:
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"


def check_return_url(intent: Obj, return_url: str | None, kind: str) -> None:
    """Confirming with redirect-capable automatic payment methods needs a ``return_url``."""
    apm = intent.get("automatic_payment_methods") or {}
    if apm.get("enabled") and apm.get("allow_redirects") != "never" and not return_url:
        raise StripeError(400, RETURN_URL_REQUIRED.format(kind=kind))


#: How the state errors name an intent kind, and an action once done.
LABELS = {"payment_intent": "PaymentIntent", "setup_intent": "SetupIntent"}
DONE = {"confirm": "confirmed", "cancel": "canceled"}


def wrong_status(intent: Obj, action: str, allowed: tuple[str, ...]) -> StripeError:
    """400 ``<kind>_unexpected_state``: "You cannot confirm this PaymentIntent because it has a
    status of succeeded. Only a PaymentIntent with one of the following statuses may be ..."."""
    kind = intent["object"]
    label = LABELS[kind]
    return state_error(
        f"You cannot {action} this {label} because it has a status of {intent['status']}. "
        f"Only a {label} with one of the following statuses may be {DONE[action]}: "
        f"{', '.join(allowed)}.",
        kind,
        clone(intent),
    )
