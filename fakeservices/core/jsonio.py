"""JSON on the hot paths: rendering and copying JSON-shaped values with orjson.

A Stripe PaymentIntent with its Charge expanded (3.7 KB) takes 384 us to render as two-space
indented JSON with the stdlib and 12 us with orjson, and 84 us to deep-copy with a recursive
clone against 34 us as an orjson round trip (measured for issue 20). Both fall back to the stdlib
for what orjson refuses (integers beyond 64 bits, non-string keys), so no input reaches a 500.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def pretty(value: Any) -> bytes:
    """Two-space indented UTF-8 JSON, as Stripe writes its responses and webhook payloads."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, indent=2).encode("utf-8")


def _clone(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _clone(v) for k, v in value.items()}
    if kind is list:
        return [_clone(v) for v in value]
    return value


def clone(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars)."""
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return _clone(value)


def kept(data: bytes) -> bytes:
    """``data`` as bytes to keep: an exact-size copy of what orjson wrote.

    orjson returns its whole write buffer as the bytes object: a 1.4 KB document held 32 KB and
    a 7-byte one 4 KB (tracemalloc). Kept per Stripe event, that was 73 MiB more RSS after 9,300
    PaymentIntents confirmed in one call (181 MiB against 108 MiB; bench/NOTES.md). The copy takes
    about 0.3 us for such a document. Bytes used once (a response body) need none.
    """
    return memoryview(data).tobytes()


class Frozen:
    """A JSON-shaped value as it was when frozen; :meth:`thaw` gives a new deep copy each time.

    ``Frozen(v).thaw()`` equals ``clone(v)`` taken at the same moment, but the freezing is only
    the first half of the orjson round trip (about a third of its cost) and the parse is paid
    only by whoever reads the value: most Stripe events are stored and never read. The bytes are
    also one untracked object instead of a tree of dicts the garbage collector walks. What orjson
    refuses is kept as a recursive deep copy instead.
    """

    __slots__ = ("_copy", "_raw")

    def __init__(self, value: Any) -> None:
        self._raw: bytes | None
        self._copy: Any
        try:
            self._raw, self._copy = kept(orjson.dumps(value)), None
        except TypeError:
            self._raw, self._copy = None, _clone(value)

    def thaw(self) -> Any:
        """A new deep copy of the value as it was frozen."""
        if self._raw is not None:
            return orjson.loads(self._raw)
        return _clone(self._copy)


#: A response whose items weigh more than this (bytes, by the store's estimate) is rendered in a
#: worker thread, in pieces: the C encoder holds the GIL for a whole call, about 5 ms a MB.
RENDER_OFFLOAD_BYTES = 256 * 1024
#: Characters of one long string encoded per call when rendering in pieces (about 0.3 ms).
PIECE_CHARS = 64 * 1024

_compact = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
).encode


def compact(value: Any) -> bytes:
    """Compact JSON as Starlette's ``JSONResponse`` renders it (the stdlib, non-ASCII kept)."""
    return _compact(value).encode("utf-8")


#: orjson refuses what it would render differently from the stdlib (a ``str``/``int``/``dict``
#: subclass, a dataclass, a datetime), and :func:`fast_compact` then falls back to the stdlib.
_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def fast_compact(content: Any) -> bytes:
    """Starlette's ``JSONResponse`` body for ``content``, byte for byte, with orjson.

    The stdlib encoder cost a tenth of a Twilio create and a fifth of a health request; orjson
    takes about 1 us. Its compact output is the stdlib's (``ensure_ascii=False``, ``,`` and
    ``:``) for str, int, bool, None, dict, list and tuple, and for floats that are 0 or at least
    1e-4 in magnitude (smaller ones it writes without an exponent: ``0.00001`` for ``1e-05``; NaN
    and infinities as ``null``). So it is only for content whose floats, if any, are of that kind
    (rounded milliseconds, say); anything orjson refuses (integers past 64 bits, non-string keys,
    subclasses, lone surrogates) goes to the stdlib, which renders it or raises as before.
    """
    try:
        return orjson.dumps(content, option=_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return compact(content)


def _pieces(value: Any, out: list[str]) -> None:
    kind = type(value)
    if isinstance(value, str) and len(value) > PIECE_CHARS:
        # Escaping is per character, so a string encodes as its slices' encodings joined.
        out.append('"')
        for i in range(0, len(value), PIECE_CHARS):
            out.append(_compact(value[i : i + PIECE_CHARS])[1:-1])
        out.append('"')
    elif kind is dict and all(type(k) is str for k in value):
        out.append("{")
        for n, (k, v) in enumerate(value.items()):
            out.append(("," if n else "") + _compact(k) + ":")
            _pieces(v, out)
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[")
        for n, v in enumerate(value):
            if n:
                out.append(",")
            _pieces(v, out)
        out.append("]")
    else:
        out.append(_compact(value))


def compact_in_pieces(value: Any) -> bytes:
    """:func:`compact`, byte for byte, by many short encoder calls instead of one.

    Run in a worker thread, it hands the GIL back to the event loop between calls (the loop
    gets it within the 5 ms switch interval), where one call on a 10 MB string holds it 50 ms.
    """
    out: list[str] = []
    _pieces(value, out)
    return b"".join([piece.encode("utf-8") for piece in out])
