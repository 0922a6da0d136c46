"""HTTP request plumbing every fake's wire adapter shares: credentials, bounded bodies, safe JSON.

Nothing here knows a service's envelope: the helpers return plain values or raise one of the typed
errors below, and each wire adapter renders those in its own service's error format at its edge.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.jsonio import RENDER_OFFLOAD_BYTES, compact_in_pieces, fast_compact

#: Nesting deeper than this is refused by :func:`loads` (no request any fake takes comes close;
#: Python's own decoder gives up near 1000 with a RecursionError).
MAX_JSON_DEPTH = 64
#: The default size cap of :func:`loads`, for callers that did not bound the text already.
MAX_JSON_BYTES = 64 * 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
#: Every decimal digit as ``1``, any other byte as a space: a run of :data:`_LONG_RUN` in the
#: translated text is 19 digits in a row, possibly an integer beyond 64 bits, which orjson reads as
#: a float (the stdlib keeps it an int). Every integer of up to 18 digits fits; a longer run,
#: even inside a string, sends the document to the stdlib. (A ``[0-9]{19}`` regex search took
#: 4 us on a 300-byte request, longer than the decoding it guards; this takes 0.5.)
_DIGITS_AS_ONES = bytes(0x31 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"1" * 19


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
    return _basic(header)


# A client sends the same header on every request: decoding it once per distinct header saves
# the base64 and UTF-8 work (the gateway and the handler both read it on a Mailgun send).
@functools.lru_cache(maxsize=256)
def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BadSignature(ValueError):
    """An AWS ``Authorization`` header that does not parse as Signature Version 4."""


@dataclass(frozen=True, slots=True)
class SigV4:
    """The parts of an ``AWS4-HMAC-SHA256`` Authorization header (parsed, not verified)."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


_SIGV4_PART = re.compile(r"\s*(\w+)=([^,\s]*)\s*(?:,|$)")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def sigv4(header: str) -> SigV4:
    """Parse ``AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ses/aws4_request,
    SignedHeaders=host;x-amz-date, Signature=<64 hex>``; raise :class:`BadSignature` saying what
    is missing or malformed. The access key id names the account; nothing is verified."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise BadSignature(f"Unsupported AWS 'algorithm': '{algorithm}'")
    parts = {k: v for k, v in _SIGV4_PART.findall(rest)}
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise BadSignature(
            " ".join(f"Authorization header requires '{k}' parameter." for k in missing)
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise BadSignature(
            "Credential should be scoped to a valid region and service, and end in "
            f"'aws4_request', not '{parts['Credential']}'."
        )
    if not _HEX64.match(parts["Signature"]):
        raise BadSignature("Signature should be 64 lowercase hexadecimal characters.")
    return SigV4(
        access_key=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


def sigv4_access_key(header: str | None) -> str:
    """The access key id of a well-formed SigV4 header ("" when absent or malformed)."""
    if not header:
        return ""
    try:
        return sigv4(header).access_key
    except BadSignature:
        return ""


# -- bodies ------------------------------------------------------------------------------------
async def read_body(request: Request, limit: int) -> bytes:
    """The request body; raises :class:`BodyTooLarge` if it is longer than ``limit`` bytes.

    Memory stays bounded by ``limit``: an oversized body is still read to its end (and dropped)
    so the client, which sends the whole body before reading the answer, gets the error response
    instead of a reset connection.
    """
    # ``request.receive`` read directly, as ``Request.stream`` reads it, without the async
    # generator it builds for every request: most bodies come whole, in one message.
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size <= limit:
                if chunk:
                    chunks.append(chunk)
            elif chunks:
                chunks.clear()
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect()
    if size > limit:
        raise BodyTooLarge(limit)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
    if _LONG_RUN not in raw.translate(_DIGITS_AS_ONES):
        # orjson reads the usual request in a quarter of the stdlib's time. What it accepts it
        # reads as the stdlib does (tests/test_fast_paths.py compares the two); what it refuses
        # (NaN, Infinity, a BOM, UTF-16, lone surrogates, out-of-range numbers and every syntax
        # error) goes to the stdlib below, which accepts some of it and words the errors.
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return stdlib_loads(raw)


def stdlib_loads(raw: bytes) -> Any:
    """The stdlib's reading of ``raw``, every failure one :class:`BadJson` (no size or depth
    checks: :func:`loads` makes them first)."""
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


class FastJSONResponse(JSONResponse):
    """:class:`JSONResponse` rendered by :func:`fast_compact` (same bytes; see its caveat on
    floats)."""

    def render(self, content: Any) -> bytes:
        return fast_compact(content)


async def json_response(content: Any, weight: int, status_code: int = 200) -> Response:
    """``JSONResponse(content, status_code)``, byte for byte; rendered off the loop when heavy.

    ``weight`` is about how many bytes the content's strings hold (a stored mail's size): past
    :data:`~fakeservices.core.jsonio.RENDER_OFFLOAD_BYTES` the JSON is encoded in a worker
    thread, in pieces, so the event loop keeps serving meanwhile.
    """
    if weight <= RENDER_OFFLOAD_BYTES:
        return JSONResponse(content, status_code)
    body = await asyncio.to_thread(compact_in_pieces, content)
    return Response(body, status_code, media_type=JSONResponse.media_type)
