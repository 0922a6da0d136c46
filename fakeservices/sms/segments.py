"""SMS segment counting by GSM-7 / UCS-2 rules, as Twilio documents it.

GSM-7 basic characters cost one septet, extension-table characters two (escape + char); a message
of at most 160 septets is one segment, longer ones are split into segments of at most 153 septets
(an escape pair never split). Any character outside GSM-7 switches the whole message to UCS-2:
at most 70 UTF-16 code units is one segment, else segments of at most 67 units (a surrogate pair
never split).
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _pack(costs: list[int], single: int, multi: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def count_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (an empty body counts as one)."""
    if is_gsm7(text):
        return _pack([2 if c in GSM7_EXTENSION else 1 for c in text], GSM7_SINGLE, GSM7_MULTI)
    return _pack([2 if ord(c) > 0xFFFF else 1 for c in text], UCS2_SINGLE, UCS2_MULTI)
