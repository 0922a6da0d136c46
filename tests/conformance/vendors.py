"""Which spec judges which response: Stripe ``/v1``, Twilio Messages, SendGrid mail send."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.allowlist import SENDGRID_TYPE_OVERRIDES, TWILIO_EXTRA_KEYS
from tests.conformance.openapi import OpenApi
from tests.conformance.stripe_schema import stripe_schema
from tests.conformance.violations import Violation

SPECS = Path(__file__).parent.parent / "data" / "specs"

#: Twilio's error envelope (its spec has no error schema): reference/sms-and-email.md §A3.
TWILIO_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
    "required": ["code", "message", "more_info", "status"],
}
#: Twilio 401s may add ``detail`` (a captured real 401, §A3).
TWILIO_ERROR_OPTIONAL = {"detail": {"type": "string"}}

_TWILIO_PATHS = [
    (
        re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$"),
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    ),
    (
        re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+\.json$"),
        "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
    ),
]


@cache
def twilio_spec() -> OpenApi:
    doc = json.loads((SPECS / "twilio_api_v2010.messages.json").read_text())
    return OpenApi(doc, all_required=True, extra_keys=TWILIO_EXTRA_KEYS)


@cache
def twilio_errors() -> OpenApi:
    doc = {"paths": {}}
    return OpenApi(doc, all_required=False, extra_keys={})


@cache
def sendgrid_spec() -> OpenApi:
    doc = json.loads((SPECS / "sendgrid_mail_v3.send.json").read_text())
    return OpenApi(doc, all_required=False, extra_keys={}, overrides=SENDGRID_TYPE_OVERRIDES)


def validate_response(
    vendor: str, method: str, path: str, status: int, body: Any
) -> list[Violation] | None:
    """The violations of one response, or None when no spec covers it."""
    if vendor == "stripe":
        if body is None:
            return None
        return stripe_schema().validate_response(body)
    if vendor == "sms":
        return _twilio(method, path, status, body)
    return _sendgrid(status, body)


def _twilio(method: str, path: str, status: int, body: Any) -> list[Violation] | None:
    if status >= 400:
        if body is None:
            return None
        schema = dict(TWILIO_ERROR)
        schema["properties"] = {**TWILIO_ERROR["properties"], **TWILIO_ERROR_OPTIONAL}
        return twilio_errors().check(body, schema, "$", "TwilioError")
    spec = twilio_spec()
    for pattern, template in _TWILIO_PATHS:
        if pattern.match(path):
            found = spec.response_schema(template, method, status)
            if found is None:
                return None
            schema, name = found
            return spec.check(body, schema, "$", name)
    return None


def _sendgrid(status: int, body: Any) -> list[Violation] | None:
    if 200 <= status < 300:
        if body is not None:
            return [Violation("$", "", f"an empty body with {status} (SendGrid sends none)")]
        return []
    spec = sendgrid_spec()
    found = spec.response_schema("/v3/mail/send", "POST", status)
    schema, name = found or (
        spec.resolve({"$ref": "#/components/schemas/ErrorResponse"})[0],
        "ErrorResponse",
    )
    return spec.check(body, schema, "$", name)
