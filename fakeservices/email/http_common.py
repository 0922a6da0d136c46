"""Request plumbing the three HTTP send APIs share: bounded body reads and credentials."""

from __future__ import annotations

import base64
import binascii
import re

from starlette.requests import Request

_B64 = re.compile(rb"^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$")


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None if it is longer than ``limit`` bytes.

    An oversized body is still read to its end (and dropped) so the client, which sends the
    whole body before reading the answer, gets the 413 instead of a reset connection.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif chunks:
            chunks.clear()
    if size > limit:
        return None
    return b"".join(chunks)


def bearer_token(header: str | None) -> str:
    """``Authorization: Bearer <key>`` -> key ("" when absent or another scheme)."""
    if not header:
        return ""
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic b64(user:pass)`` -> (user, pass), or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def strict_b64decode(value: str) -> bytes | None:
    """Decode standard base64 (line breaks allowed); None if it is not valid base64."""
    data = value.encode("ascii", "replace")
    if not _B64.match(data):
        return None
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
