"""The admin API's error envelope: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


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
