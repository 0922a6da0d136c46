"""Stripe's errors as plain exceptions: status, ``type``, ``code``, ``param`` and extra fields.

The wire adapter renders them as ``{"error": {...}}`` with null keys omitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeservices.stripe.cards import Decline

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        saved: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        #: Whether an Idempotency-Key saves this result (validation errors are not saved).
        self.saved = saved

    def error_object(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "decline_code": self.decline_code,
            "message": self.message,
            "param": self.param,
            "doc_url": doc_url(self.code) if self.code else None,
            **self.extra,
        }
        return {k: v for k, v in out.items() if v is not None}


def doc_url(code: str) -> str:
    return DOC_URL + code.replace("_", "-")


def card_error(d: Decline, param: str | None = None, **extra: Any) -> StripeError:
    """The 402 ``card_error`` of a decline, with every decline field Stripe sends.

    ``param`` overrides the decline's own (``number``, ``exp_month``, ``cvc``); ``extra`` adds
    ``charge``, ``payment_intent``, ``payment_method``, ``setup_intent``.
    """
    fields = d.error_fields()
    fields.pop("decline_code", None)
    own_param = fields.pop("param", None)
    return StripeError(
        402,
        d.message,
        type="card_error",
        code=d.code,
        decline_code=d.decline_code,
        param=param or own_param,
        extra={**fields, **extra},
    )


def decline_error_object(d: Decline, **extra: Any) -> dict[str, Any]:
    """``last_payment_error`` / ``last_setup_error`` for a decline (null keys omitted)."""
    return card_error(d, **extra).error_object()


class HoldRequest(Exception):
    """Raised before any state changes when a timeout card is charged: hold, then 504."""


# -- constructors for the common invalid_request_error cases ------------------------------
def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code, saved=False)


def missing(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", param, "parameter_missing")


def unknown(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", param, "parameter_unknown")


def invalid_integer(param: str, raw: object) -> StripeError:
    return invalid(f"Invalid integer: {raw}", param, "parameter_invalid_integer")


def no_such(kind: str, obj_id: str, param: str | None = "id", status: int = 404) -> StripeError:
    """404 (or 400 for a body param) ``resource_missing``: ``No such customer: 'cus_x'``."""
    return StripeError(status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)


def state_error(message: str, key: str, obj: dict[str, Any]) -> StripeError:
    """400 ``<kind>_unexpected_state`` with the object in the envelope (``payment_intent``...)."""
    return StripeError(
        400,
        message,
        code=f"{key}_unexpected_state",
        extra={key: obj},
    )


def idempotency_mismatch(key: str) -> StripeError:
    """400 ``idempotency_error``: a key reused with other parameters."""
    return StripeError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different "
        "request.",
        type="idempotency_error",
    )


def idempotency_in_flight(key: str) -> StripeError:
    """409 ``idempotency_key_in_use``: the first request with this key is still running."""
    return StripeError(
        409,
        "There is currently another in-progress request using this Idempotent Key (that probably "
        f"means you submitted twice, and the other request is still going through): {key}. "
        "Please try again later.",
        code="idempotency_key_in_use",
    )
