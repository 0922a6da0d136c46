"""A conformance violation: where in which response, which key, what the spec expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    #: JSON path inside the response, e.g. ``$.error.payment_intent.last_payment_error``.
    path: str
    #: The offending key (or ``""`` when the value itself is wrong).
    key: str
    #: What the spec expected, in words.
    expected: str
    #: The type name in the spec (``PaymentIntent.LastPaymentError``), when there is one.
    spec_type: str = ""

    def __str__(self) -> str:
        where = f"{self.path}.{self.key}" if self.key else self.path
        of = f" ({self.spec_type})" if self.spec_type else ""
        return f"{where}{of}: {self.expected}"
