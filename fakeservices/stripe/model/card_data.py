"""From what a request names (card numbers, ``tok_*``, ``pm_card_*``) to a test-card row.

Plain functions of an account: Tokens, PaymentMethods, Customers, Charges and the intents all
resolve cards the same way, and raise Stripe's own card errors on the way.
"""

from __future__ import annotations

import time
from typing import Any

from fakeservices.stripe import cards, objects
from fakeservices.stripe.cards import CardSpec
from fakeservices.stripe.errors import StripeError, card_error, invalid, missing, no_such
from fakeservices.stripe.model.accounts import Account, Obj


def card_check(spec: CardSpec, **extra: Any) -> None:
    """Attaching a card runs a check: the decline rows fail it with their 402."""
    if spec.outcome == "decline" and spec.decline is not None:
        raise card_error(spec.decline, **extra)


def _expiry_error(message: str, code: str, param: str) -> StripeError:
    return StripeError(402, message, type="card_error", code=code, param=param)


def card_from_data(
    acct: Account, card: Obj, prefix: str, now: int
) -> tuple[CardSpec, int, int, bool]:
    """Resolve ``card[...]`` data to a row, expiry and whether a CVC came; raises card errors.

    ``now`` decides which expiry dates are in the past.
    """
    tok = card.get("token")
    if tok is not None:
        spec = token_spec(acct, tok, f"{prefix}[token]")
        m, y = objects.default_expiry(now)
        return spec, m, y, False
    number = card.get("number")
    if number is None:
        raise missing(f"{prefix}[number]")
    for part in ("exp_month", "exp_year"):
        if card.get(part) is None:
            raise missing(f"{prefix}[{part}]")
    spec = cards.by_number(number)
    if spec.outcome == "incorrect_number":
        raise card_error(cards.INCORRECT_NUMBER, param="number")
    month, year = int(card["exp_month"]), int(card["exp_year"])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise _expiry_error(
            "Your card's expiration month is invalid.", "invalid_expiry_month", "exp_month"
        )
    t = time.gmtime(now)
    if year < t.tm_year or (year == t.tm_year and month < t.tm_mon) or year > t.tm_year + 50:
        raise _expiry_error(
            "Your card's expiration year is invalid.", "invalid_expiry_year", "exp_year"
        )
    cvc = card.get("cvc")
    if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise _expiry_error("Your card's security code is invalid.", "invalid_cvc", "cvc")
    return spec, month, year, cvc is not None


def token_spec(acct: Account, tok: str, param: str, consume: bool = True) -> CardSpec:
    """The row behind a magic ``tok_*`` or a Token of the account (used once, like Stripe's)."""
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


def peek_spec(acct: Account, pm_value: str | None, data: Obj | None) -> CardSpec | None:
    """The card row a request would use, without creating anything (timeout cards hold first)."""
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
