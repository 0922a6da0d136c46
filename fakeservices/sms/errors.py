"""Twilio's REST errors: the codes we answer with, their HTTP status and message text.

Message texts are the ones real Twilio returns (captured from test-credential runs); ``{to}``,
``{from_}``, ``{path}`` are filled in per request. No HTTP imports: the wire renders these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: int
    status: int
    template: str
    #: Twilio's optional ``detail`` (its 401s carry one).
    detail: str | None = None


#: 20003 when the request carries no usable Basic credentials, and when they name another
#: account: real Twilio's texts (captured responses, reference/sms-and-email.md §A3).
NO_CREDENTIALS = 20003
INVALID_USERNAME = -20003


#: Every error the SMS fake can answer with, by code.
CATALOG: dict[int, ErrorSpec] = {
    spec.code: spec
    for spec in (
        ErrorSpec(NO_CREDENTIALS, 401, "Authentication Error - No credentials provided"),
        ErrorSpec(
            INVALID_USERNAME,
            401,
            "Authentication Error - invalid username",
            "Your AccountSid or AuthToken was incorrect.",
        ),
        ErrorSpec(20004, 405, "Method not allowed"),
        ErrorSpec(20009, 400, "Cannot delete this resource before it is complete"),
        ErrorSpec(20404, 404, "The requested resource {path} was not found"),
        ErrorSpec(20429, 429, "Too Many Requests"),
        ErrorSpec(20500, 500, "Internal Server Error"),
        ErrorSpec(20503, 503, "Service Unavailable"),
        ErrorSpec(21211, 400, "The 'To' number {to} is not a valid phone number."),
        ErrorSpec(
            21212,
            400,
            "The 'From' number {from_} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        ),
        ErrorSpec(
            21408,
            400,
            "Permission to send an SMS has not been enabled for the region indicated by "
            "the 'To' number: {to}.",
        ),
        ErrorSpec(21602, 400, "Message body is required."),
        ErrorSpec(21603, 400, "A 'From' phone number is required."),
        ErrorSpec(21604, 400, "A 'To' phone number is required."),
        ErrorSpec(
            21606,
            400,
            "The From phone number {from_} is not a valid, SMS-capable inbound phone number "
            "or short code for your account.",
        ),
        ErrorSpec(21609, 400, "The StatusCallback URL {url} is not a valid URL."),
        ErrorSpec(21610, 400, "The message From/To pair violates a blacklist rule."),
        ErrorSpec(21611, 400, "SMS queue is full."),
        ErrorSpec(
            21612,
            400,
            "The 'To' phone number: {to}, is not currently reachable using the 'From' phone "
            "number: {from_} via SMS.",
        ),
        ErrorSpec(21614, 400, "To number: {to}, is not a mobile number"),
        ErrorSpec(21617, 400, "The concatenated message body exceeds the 1600 character limit."),
        ErrorSpec(30400, 400, "Parameters are not valid"),
        ErrorSpec(30409, 400, "This message cannot be canceled"),
        # Message scheduling (titles of Twilio's error pages).
        ErrorSpec(35111, 400, "SendAt timestamp is missing"),
        ErrorSpec(
            35114,
            400,
            "Scheduling does not support this timestamp: SendAt must be between 300 seconds and "
            "35 days (3024000 seconds) in the future, in YYYY-MM-DDTHH:MM:SSZ format (got "
            "{send_at})",
        ),
        ErrorSpec(35118, 400, "MessagingServiceSid is required to schedule a message"),
    )
}

#: The Twilio code used for an HTTP status when nothing more specific is known (fault injection).
CODE_FOR_STATUS: dict[int, int] = {
    401: 20003,
    404: 20404,
    405: 20004,
    429: 20429,
    500: 20500,
    503: 20503,
}


class TwilioError(Exception):
    """A Twilio REST error: rendered as ``{"code","message","more_info","status"}``."""

    def __init__(self, code: int, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail

    @classmethod
    def of(cls, code: int, **fields: str) -> TwilioError:
        spec = CATALOG[code]
        return cls(abs(code), spec.status, spec.template.format(**fields), spec.detail)

    def to_json(self) -> dict[str, Any]:
        body = envelope(self.code, self.status, self.message)
        if self.detail is not None:
            body["detail"] = self.detail
        return dict(sorted(body.items()))


def envelope(code: int, status: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": MORE_INFO.format(code=code),
        "status": status,
    }


def for_status(status: int, message: str) -> dict[str, Any]:
    """Twilio's envelope for an arbitrary status (used by the fault engine)."""
    return envelope(CODE_FOR_STATUS.get(status, status), status, message)
