"""HTTP request plumbing every fake's wire adapter shares: credentials, bounded bodies, safe JSON.

Nothing here knows a service's envelope: the helpers return plain values or raise one of the typed
errors below, and each wire adapter renders those in its own service's error format at its edge.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from starlette.requests import Request

#: Nesting deeper than this is refused by :func:`loads` (no request any fake takes comes close;
#: Python's own decoder gives up near 1000 with a RecursionError).
MAX_JSON_DEPTH = 64
#: The default size cap of :func:`loads`, for callers that did not bound the text already.
MAX_JSON_BYTES = 64 * 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class BodyTooLarge(Exception):
    """The request body is longer than the limit it was read with."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class BadJson(ValueError):
    """A body that is not acceptable JSON: syntax, encoding, size or nesting (``reason`` says)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- credentials -------------------------------------------------------------------------------
def bearer_token(header: str | None) -> str:
    """``Authorization: Bearer <key>`` -> key ("" when absent or another scheme)."""
    if not header:
        return ""
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic b64(user:pass)`` -> (user, pass), or None (absent or malformed).

    Either part may be empty (``api:`` or ``:token``); callers that need both check that.
    """
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


# -- bodies ------------------------------------------------------------------------------------
async def read_body(request: Request, limit: int) -> bytes:
    """The request body; raises :class:`BodyTooLarge` if it is longer than ``limit`` bytes.

    Memory stays bounded by ``limit``: an oversized body is still read to its end (and dropped)
    so the client, which sends the whole body before reading the answer, gets the error response
    instead of a reset connection.
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
        raise BodyTooLarge(limit)
    return b"".join(chunks)


# -- JSON --------------------------------------------------------------------------------------
def loads(
    data: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Decode JSON that came from a client; every failure is one :class:`BadJson`.

    Bytes are decoded as the JSON RFC allows (UTF-8, with UTF-16/32 detected); text that is not
    valid in that encoding, nesting deeper than ``max_depth``, a document over ``max_bytes`` and
    Python's own RecursionError all become :class:`BadJson` instead of escaping as a 500.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise BadJson(f"JSON document larger than {max_bytes} bytes")
    if raw.count(b"[") + raw.count(b"{") > max_depth and _depth(raw) > max_depth:
        raise BadJson(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise BadJson(f"JSON text is not valid UTF-8: {exc.reason}") from None
    except RecursionError:
        raise BadJson("JSON nested too deeply") from None
    except ValueError as exc:
        raise BadJson(f"invalid JSON: {exc}") from None


def _depth(raw: bytes) -> int:
    """The deepest bracket nesting of ``raw`` outside string literals (a cheap upper bound)."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub(b"", raw)):
        if m.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
