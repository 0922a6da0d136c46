"""Currencies Stripe accepts, their minimum charge amounts and how Stripe formats amounts."""

from __future__ import annotations

#: The list Stripe prints in "Invalid currency: xyz. Stripe currently supports these currencies:".
SUPPORTED: tuple[str, ...] = tuple(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp
    byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip
    gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp
    lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab
    pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb
    tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw""".split()  # noqa: SIM905
)

#: Currencies without minor units (amount 500 jpy is ¥500).
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)

#: The technical maximum: eight digits.
MAX_AMOUNT = 99_999_999

# Minimum charge amounts in the currency's smallest unit (docs: "Minimum and maximum charge
# amounts"); currencies not listed use 50.
_MINIMUM = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "$", "aud": "$"}


def minimum(cur: str) -> int:
    return _MINIMUM.get(cur, 50)


def fmt(amount: int, cur: str) -> str:
    """``$20.00``, ``€0.50``, ``¥500``; other currencies as ``20.00 xyz``-less ``20.00``."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    symbol = _SYMBOLS.get(cur, "")
    if cur in ZERO_DECIMAL:
        return f"{sign}{symbol}{amount:,}"
    return f"{sign}{symbol}{amount // 100:,}.{amount % 100:02d}"
