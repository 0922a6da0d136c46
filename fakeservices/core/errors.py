"""The admin API's error envelope: ``{"error": {"code", "message", ...}}``, and its JSON bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fakeservices.core.http import BadJson, BodyTooLarge, loads, read_body

#: The largest JSON body an admin endpoint takes (a fault rule or an outcome is a few hundred
#: bytes).
ADMIN_MAX_BODY = 1024 * 1024


class AdminError(Exception):
    """Raised anywhere in an admin handler; rendered as the admin error envelope."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> JSONResponse:
        return admin_error(self.status, self.code, self.message, **self.extra)


def admin_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def bad_param(name: str, problem: str) -> AdminError:
    return AdminError(
        400, "invalid_parameter", f"Invalid value for '{name}': {problem}", param=name
    )


async def json_body(request: Request, *, empty: Any = None) -> Any:
    """The request's JSON body through the guarded decoder, or ``empty`` for a blank body.

    Bodies over :data:`ADMIN_MAX_BODY` are 413 ``body_too_large``; bytes that are not UTF-8,
    syntax errors and nesting past the decoder's depth limit are 400 ``invalid_json``: never a
    500.
    """
    try:
        raw = await read_body(request, ADMIN_MAX_BODY)
    except BodyTooLarge as exc:
        raise AdminError(413, "body_too_large", f"Body is larger than {exc.limit} bytes") from None
    if empty is not None and not raw.strip():
        return empty
    try:
        return loads(raw, max_bytes=ADMIN_MAX_BODY)
    except BadJson as exc:
        raise AdminError(400, "invalid_json", f"Body is not valid JSON: {exc.reason}") from None
