"""Stripe's test cards as data: numbers, magic ``pm_card_*`` / ``tok_*`` names and outcomes.

One row per behaviour. :func:`by_number`, :func:`by_pm` and :func:`by_token` resolve a card
number, magic PaymentMethod id or magic token to its row; a number not in the table gets a
successful row whose brand comes from its prefix (after a Luhn check).

Outcomes (``CardSpec.outcome``):

``success``
    charges succeed.
``decline``
    402 ``card_error`` when charged *and* when attached to a customer (the card check fails).
``charge_decline``
    attaches fine, every charge is declined (4000 0000 0000 0341, Radar blocks).
``incorrect_number``
    rejected when the token or PaymentMethod is created.
``three_ds``
    the payment needs 3D Secure: ``requires_action`` (then ``decline`` after authentication
    if ``decline`` is set on the row).
``timeout`` / ``slow``
    our own magic values: the charge hangs until the client gives up / answers after 3 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal[
    "success", "decline", "charge_decline", "incorrect_number", "three_ds", "timeout", "slow"
]


@dataclass(frozen=True, slots=True)
class Decline:
    """One way a card is refused, with every field Stripe's error and ``Charge.outcome`` carry.

    Real Stripe sends ``decline_code`` on every card error (``expired_card`` for an expired card,
    not only for ``card_declined``), ``param`` when one card field is at fault, and the
    ``advice_code`` / ``network_decline_code`` the decline implies (recorded: generic_decline
    gives ``try_again_later`` and network code ``01``). Network codes of the other rows are the
    card networks' response codes for that reason (Visa: 51 insufficient funds, 41 lost, 43
    stolen, 54 expired, N7 CVV mismatch, 61 over the amount limit, 1A authentication required).
    """

    code: str
    decline_code: str | None
    message: str
    #: Charge.outcome.type: issuer_declined, blocked.
    outcome_type: str = "issuer_declined"
    #: The card field at fault (``number``, ``exp_month``, ``cvc``), if one is.
    param: str | None = None
    #: ``try_again_later``, ``confirm_card_data`` or ``do_not_try_again``.
    advice_code: str | None = None
    network_decline_code: str | None = None
    network_advice_code: str | None = None

    def error_fields(self) -> dict[str, str]:
        """The decline's keys of a card error object (null ones left out, as Stripe does)."""
        out = {
            "advice_code": self.advice_code,
            "decline_code": self.decline_code,
            "network_advice_code": self.network_advice_code,
            "network_decline_code": self.network_decline_code,
            "param": self.param,
        }
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True, slots=True)
class CardSpec:
    number: str
    brand: str
    funding: str = "credit"
    outcome: Outcome = "success"
    decline: Decline | None = None
    pm_names: tuple[str, ...] = ()
    tok_names: tuple[str, ...] = ()
    risk_level: str = "normal"
    other_numbers: tuple[str, ...] = ()

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def display_brand(self) -> str:
        """The legacy Card object's brand spelling (``Visa``, ``MasterCard``...)."""
        return LEGACY_BRANDS.get(self.brand, "Unknown")


LEGACY_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}

# -- declines ------------------------------------------------------------------------------
TRY_LATER, CONFIRM_DATA, DO_NOT_TRY = "try_again_later", "confirm_card_data", "do_not_try_again"
GENERIC = Decline(
    "card_declined",
    "generic_decline",
    "Your card was declined.",
    advice_code=TRY_LATER,
    network_decline_code="01",
)
INSUFFICIENT = Decline(
    "card_declined",
    "insufficient_funds",
    "Your card has insufficient funds.",
    advice_code=TRY_LATER,
    network_decline_code="51",
)
LOST = Decline(
    "card_declined",
    "lost_card",
    "Your card was declined.",
    advice_code=DO_NOT_TRY,
    network_decline_code="41",
)
STOLEN = Decline(
    "card_declined",
    "stolen_card",
    "Your card was declined.",
    advice_code=DO_NOT_TRY,
    network_decline_code="43",
)
EXPIRED = Decline(
    "expired_card",
    "expired_card",
    "Your card has expired.",
    param="exp_month",
    advice_code=CONFIRM_DATA,
    network_decline_code="54",
)
INCORRECT_CVC = Decline(
    "incorrect_cvc",
    "incorrect_cvc",
    "Your card's security code is incorrect.",
    param="cvc",
    advice_code=CONFIRM_DATA,
    network_decline_code="N7",
)
PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
    advice_code=TRY_LATER,
)
VELOCITY = Decline(
    "card_declined",
    "card_velocity_exceeded",
    "Your card was declined for making repeated attempts too frequently or exceeding its "
    "amount limit.",
    advice_code=TRY_LATER,
    network_decline_code="61",
)
#: Radar blocks before the network is asked: no network codes.
FRAUDULENT = Decline(
    "card_declined", "fraudulent", "Your card was declined.", "blocked", advice_code=DO_NOT_TRY
)
#: Refused when the card is tokenized, before any network.
INCORRECT_NUMBER = Decline(
    "incorrect_number",
    "incorrect_number",
    "Your card number is incorrect.",
    param="number",
    advice_code=CONFIRM_DATA,
)
AUTH_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
    advice_code=TRY_LATER,
    network_decline_code="1A",
)
AUTH_FAILED_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
SETUP_AUTH_FAILED_MESSAGE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)


def _row(
    number: str,
    brand: str,
    *names: str,
    funding: str = "credit",
    outcome: Outcome = "success",
    decline: Decline | None = None,
    risk_level: str = "normal",
    others: tuple[str, ...] = (),
) -> CardSpec:
    """A table row; each name ``n`` gives ``pm_card_<n>`` and ``tok_<n>``."""
    return CardSpec(
        number,
        brand,
        funding,
        outcome,
        decline,
        pm_names=tuple(f"pm_card_{n}" for n in names),
        tok_names=tuple(f"tok_{n}" for n in names),
        risk_level=risk_level,
        other_numbers=others,
    )


CARDS: tuple[CardSpec, ...] = (
    # -- success, by brand ---------------------------------------------------------------
    _row("4242424242424242", "visa", "visa"),
    _row("4000056655665556", "visa", "visa_debit", funding="debit"),
    _row("5555555555554444", "mastercard", "mastercard", others=("2223003122003222",)),
    _row("5200828282828210", "mastercard", "mastercard_debit", funding="debit"),
    _row("5105105105105100", "mastercard", "mastercard_prepaid", funding="prepaid"),
    _row(
        "378282246310005",
        "amex",
        "amex",
        "amex_threeDSecureNotSupported",
        others=("371449635398431",),
    ),
    _row("6011111111111117", "discover", "discover", others=("6011000990139424",)),
    _row("6011981111111113", "discover", funding="debit"),
    _row("3056930009020004", "diners", "diners", others=("36227206271667",)),
    _row("3566002020360505", "jcb", "jcb"),
    _row("6200000000000005", "unionpay", "unionpay", others=("6205500000000000004",)),
    _row("6200000000000047", "unionpay", funding="debit"),
    _row("4000000000000077", "visa", "bypassPending"),
    _row("4000000000009235", "visa", "riskLevelElevated", risk_level="elevated"),
    _row("4000000000003055", "visa", "threeDSecureOptional"),
    _row("4000003800000446", "visa", "authenticationRequiredSetupForOffSession"),
    # -- declines (also when attached to a customer) -------------------------------------
    _row(
        "4000000000000002",
        "visa",
        "visa_chargeDeclined",
        "chargeDeclined",
        outcome="decline",
        decline=GENERIC,
    ),
    _row(
        "4000000000009995",
        "visa",
        "visa_chargeDeclinedInsufficientFunds",
        "chargeDeclinedInsufficientFunds",
        outcome="decline",
        decline=INSUFFICIENT,
    ),
    _row(
        "4000000000009987",
        "visa",
        "visa_chargeDeclinedLostCard",
        "chargeDeclinedLostCard",
        outcome="decline",
        decline=LOST,
    ),
    _row(
        "4000000000009979",
        "visa",
        "visa_chargeDeclinedStolenCard",
        "chargeDeclinedStolenCard",
        outcome="decline",
        decline=STOLEN,
    ),
    _row(
        "4000000000000069",
        "visa",
        "chargeDeclinedExpiredCard",
        outcome="decline",
        decline=EXPIRED,
    ),
    _row(
        "4000000000000127",
        "visa",
        "chargeDeclinedIncorrectCvc",
        outcome="decline",
        decline=INCORRECT_CVC,
    ),
    _row(
        "4000000000000119",
        "visa",
        "chargeDeclinedProcessingError",
        outcome="decline",
        decline=PROCESSING,
    ),
    _row(
        "4000000000006975",
        "visa",
        "visa_chargeDeclinedVelocityLimitExceeded",
        outcome="decline",
        decline=VELOCITY,
    ),
    _row("4242424242424241", "visa", outcome="incorrect_number", decline=INCORRECT_NUMBER),
    # -- attach fine, every charge declined ----------------------------------------------
    _row(
        "4000000000000341",
        "visa",
        "chargeCustomerFail",
        outcome="charge_decline",
        decline=GENERIC,
    ),
    _row(
        "4100000000000019",
        "visa",
        "radarBlock",
        "chargeDeclinedFraudulent",
        outcome="charge_decline",
        decline=FRAUDULENT,
        risk_level="highest",
    ),
    # -- 3D Secure -----------------------------------------------------------------------
    _row("4000002500003155", "visa", "authenticationRequiredOnSetup", outcome="three_ds"),
    _row("4000002760003184", "visa", "authenticationRequired", outcome="three_ds"),
    _row(
        "4000008260003178",
        "visa",
        "authenticationRequiredChargeDeclinedInsufficientFunds",
        outcome="three_ds",
        decline=INSUFFICIENT,
    ),
    _row("4000000000003220", "visa", "threeDSecure2Required", outcome="three_ds"),
    _row("4000000000003063", "visa", "threeDSecureRequired", outcome="three_ds"),
    _row(
        "4000008400001629",
        "visa",
        "threeDSecureRequiredChargeDeclined",
        outcome="three_ds",
        decline=GENERIC,
    ),
    # -- our own magic values (not Stripe's) ---------------------------------------------
    _row("4000000000000408", "visa", "timeout", outcome="timeout"),
    _row("4000000000000416", "visa", "slow", outcome="slow"),
)

#: How long ``slow`` cards take to answer, in seconds.
SLOW_SECONDS = 3.0

_BY_NUMBER: dict[str, CardSpec] = {}
_BY_PM: dict[str, CardSpec] = {}
_BY_TOKEN: dict[str, CardSpec] = {}
for _spec in CARDS:
    for _n in (_spec.number, *_spec.other_numbers):
        _BY_NUMBER.setdefault(_n, _spec)
    for _name in _spec.pm_names:
        _BY_PM[_name] = _spec
    for _name in _spec.tok_names:
        _BY_TOKEN[_name] = _spec


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("51", "52", "53", "54", "55") or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in ("34", "37"):
        return "amex"
    if number.startswith(("6011", "65", "644", "645", "646", "647", "648", "649")):
        return "discover"
    if number.startswith(("36", "300", "301", "302", "303", "304", "305", "38")):
        return "diners"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def by_number(number: str) -> CardSpec:
    """The row for a raw card number (spaces and dashes ignored)."""
    clean = number.replace(" ", "").replace("-", "")
    spec = _BY_NUMBER.get(clean)
    if spec is not None:
        if spec.number != clean:  # another number with the same behaviour
            return CardSpec(
                clean,
                spec.brand,
                spec.funding,
                spec.outcome,
                spec.decline,
                risk_level=spec.risk_level,
            )
        return spec
    if not luhn_ok(clean):
        return CardSpec(
            clean, brand_of(clean), outcome="incorrect_number", decline=INCORRECT_NUMBER
        )
    return CardSpec(clean, brand_of(clean))


def by_pm(name: str) -> CardSpec | None:
    return _BY_PM.get(name)


def by_token(name: str) -> CardSpec | None:
    return _BY_TOKEN.get(name)
