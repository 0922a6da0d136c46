"""Stripe's request parameters: bracket-syntax form decoding and the schema vocabulary.

:func:`decode_form` turns ``a[b][0][c]=v&e[]=x`` into nested dicts (lists stay dicts with
numeric keys until a schema says the field is an array). Schemas (:class:`Obj`, :class:`Int`...)
then check names and types the way Stripe does: unknown names are ``parameter_unknown``, missing
required ones ``parameter_missing``, bad integers ``parameter_invalid_integer``, with ``param``
spelled in bracket syntax (``card[number]``). Each resource module declares its endpoints'
schemas from these pieces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from fakeservices.stripe.errors import invalid, invalid_integer, missing, unknown

Params = dict[str, Any]


class FormError(ValueError):
    """The body is not a decodable form (syntax, encoding, size or nesting; the text says)."""


#: Deepest bracket nesting accepted (``a[b][c]`` is 3 levels). Rack, which parses Stripe's
#: forms, refuses more than 32; the deepest parameter Stripe documents is about 6 levels.
MAX_DEPTH = 32
#: Largest form text accepted (the wire already refuses bodies over 1 MiB; this bounds a query
#: string too, whatever the caller).
MAX_FORM_BYTES = 1024 * 1024
#: How much of a value an error message shows.
_SHOW_CHARS = 200

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEG = re.compile(r"\[([^\[\]]*)\]")


def form_pairs(raw: str) -> list[tuple[str, str]]:
    """``parse_qsl(raw, keep_blank_values=True, errors="strict")``, pair for pair.

    The same splitting and unquoting without urllib's per-call argument coercion, and with
    unquoting skipped for the names and values that have nothing to unquote (most of them).
    UnicodeDecodeError for an escape that is not UTF-8, as urllib raises.
    """
    pairs: list[tuple[str, str]] = []
    for item in raw.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors="strict")
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value, errors="strict")
        pairs.append((name, value))
    return pairs


def decode_form(raw: str, *, max_bytes: int = MAX_FORM_BYTES, max_depth: int = MAX_DEPTH) -> Params:
    """Decode ``application/x-www-form-urlencoded`` with Stripe's nested bracket keys.

    Every failure is one :class:`FormError`: text that is not UTF-8 once unquoted, a malformed
    name, a value mixed with nested keys, text over ``max_bytes`` or a name nested deeper than
    ``max_depth`` (so no input reaches a RecursionError downstream).
    """
    if len(raw) > max_bytes:
        raise FormError(f"the form is larger than {max_bytes} bytes")
    try:
        pairs = form_pairs(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError(f"could not decode the form body ({exc})") from None
    root: Params = {}
    for key, value in pairs:
        if key and "[" not in key and "]" not in key:
            # A plain name (most of them): what the general path below does for it, without
            # the two regular expressions.
            if isinstance(root.get(key), dict):
                raise FormError(f"parameter {key!r} mixes a value and nested keys")
            root[key] = value
            continue
        m = _KEY.match(key)
        if m is None:
            raise FormError(f"malformed parameter name {_clip(key)!r}")
        if m.group(2).count("[") >= max_depth:
            raise FormError(
                f"parameter {_clip(m.group(1))!r} is nested more than {max_depth} levels deep"
            )
        path = [m.group(1), *_SEG.findall(m.group(2))]
        node: Any = root
        for i, seg in enumerate(path):
            last = i == len(path) - 1
            if not isinstance(node, dict):
                raise FormError(f"parameter {key!r} mixes a value and nested keys")
            if seg == "":
                seg = str(len(node))
            if last:
                if isinstance(node.get(seg), dict):
                    raise FormError(f"parameter {key!r} mixes a value and nested keys")
                node[seg] = value
            else:
                child = node.setdefault(seg, {})
                if not isinstance(child, dict):
                    raise FormError(f"parameter {key!r} mixes a value and nested keys")
                node = child
    return root


def encode_name(path: tuple[str, ...]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


# -- schemas ---------------------------------------------------------------------------------
class Field:
    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        raise NotImplementedError


@dataclass
class Str(Field):
    max_length: int = 5000

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        # The parameter's name (``encode_name``) is spelled only for an error: checks run for
        # every parameter of every request.
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {_show(value)}", encode_name(path))
        if value == "":
            return None
        if len(value) > self.max_length:
            raise invalid(
                f"Invalid string: {value[:40]}...; must be at most {self.max_length} characters",
                encode_name(path),
            )
        return value


_INTEGER = re.compile(r"-?[0-9]{1,18}")


@dataclass
class Int(Field):
    min: int | None = None
    max: int | None = None

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        # ASCII digits only: ``\d`` would take Arabic-Indic digits too, which Stripe refuses.
        if not isinstance(value, str) or not _INTEGER.fullmatch(value):
            raise invalid_integer(encode_name(path), _show(value))
        n = int(value)
        if self.min is not None and n < self.min:
            raise invalid(
                f"This value must be greater than or equal to {self.min}.", encode_name(path)
            )
        if self.max is not None and n > self.max:
            raise invalid(
                f"This value must be less than or equal to {self.max}.", encode_name(path)
            )
        return n


@dataclass
class Bool(Field):
    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        if value in ("true", "false"):
            return value == "true"
        raise invalid(f"Invalid boolean: {_show(value)}", encode_name(path))


@dataclass
class Enum(Field):
    values: tuple[str, ...] = ()

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        if value == "":
            return None
        if value not in self.values:
            name = encode_name(path)
            opts = ", ".join(self.values[:-1]) + f", or {self.values[-1]}"
            if len(self.values) == 1:
                opts = self.values[0]
            raise invalid(f"Invalid {name}: must be one of {opts}", name)
        return value


@dataclass
class Meta(Field):
    """``metadata``: a hash of strings; ``""`` clears it."""

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        name = encode_name(path)
        if value == "":
            return None  # clears every key
        if not isinstance(value, dict):
            raise invalid("Invalid hash", name)
        if len(value) > 50:
            raise invalid(
                "Invalid metadata: metadata can have up to 50 keys, but you passed in "
                f"{len(value)} keys.",
                name,
            )
        for k, v in value.items():
            if len(k) > 40:
                raise invalid(
                    "Metadata keys can have up to 40 characters, but you passed in a key with "
                    f"{len(k)} characters. Invalid key: {k}",
                    f"{name}[{k}]",
                )
            if not isinstance(v, str):
                raise invalid(f"Invalid string: {_show(v)}", f"{name}[{k}]")
            if len(v) > 500:
                raise invalid(
                    "Metadata values can have up to 500 characters, but you passed in a value "
                    f"that is {len(v)} characters. Invalid value: {v[:40]}...",
                    f"{name}[{k}]",
                )
        return dict(value)


@dataclass
class AnyValue(Field):
    """Accepted and kept as sent (structures we store but do not interpret)."""

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        return None if value == "" else value


@dataclass
class Unmodelled(Field):
    """A real Stripe parameter this fake does not model: any value is refused, naming it.

    Better than silently ignoring it (the app would test behaviour it does not get) and clearer
    than ``parameter_unknown`` (which says Stripe itself has no such parameter).
    """

    where: str = "this endpoint"

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        name = encode_name(path)
        raise invalid(
            f"`{name}` is a Stripe parameter of {self.where} that fakeservices does not model; "
            "remove it to test here (docs/stripe.md lists what is modelled).",
            name,
        )


def unmodelled(where: str, names: str) -> dict[str, Field]:
    """``{name: Unmodelled(where)}`` for each space-separated name, to spread into a schema."""
    return {name: Unmodelled(where) for name in names.split()}


#: Array keys in order, for the common case of :meth:`Arr.check`.
_INDICES = [str(i) for i in range(64)]


@dataclass
class Arr(Field):
    item: Field = field(default_factory=Str)

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        if value == "":
            return []
        if not isinstance(value, dict):
            raise invalid("Invalid array", encode_name(path))
        keys = list(value)
        if keys == _INDICES[: len(keys)]:  # "0", "1"...: as the SDKs send arrays
            return [self.item.check(value[k], (*path, k)) for k in keys]
        if not all(k.isdigit() for k in keys):
            raise invalid("Invalid array", encode_name(path))
        indices = sorted(int(k) for k in keys)
        if indices != list(range(len(indices))):
            name = encode_name(path)
            expected = next(i for i in range(len(indices) + 1) if i not in indices)
            raise invalid(
                "If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as "
                "an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential "
                f"starting from 0. You passed the keys `{', '.join(keys)}`, we expected to have "
                f"a key with the value `{expected}`.",
                name,
            )
        return [self.item.check(value[str(i)], (*path, str(i))) for i in indices]


@dataclass
class Obj(Field):
    fields: dict[str, Field] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        if value == "" and path:
            return None
        if not isinstance(value, dict):
            raise invalid("Invalid hash", encode_name(path))
        out: Params = {}
        for key, raw in value.items():
            spec = self.fields.get(key)
            if spec is None:
                raise unknown(encode_name((*path, key)))
            out[key] = spec.check(raw, (*path, key))
        for key in self.required:
            if out.get(key) is None:
                raise missing(encode_name((*path, key)))
        return out

    def validate(self, params: Params) -> Params:
        out: Params = self.check(params, ())
        return out

    def extend(self, fields: dict[str, Field], required: tuple[str, ...] = ()) -> Obj:
        return Obj({**self.fields, **fields}, self.required + required)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "..."


def _show(value: Any) -> str:
    """A value as Stripe's messages print it (``{a: 1}``), cut at :data:`_SHOW_CHARS`."""
    return _clip(_render(value, MAX_DEPTH))


def _render(value: Any, depth: int) -> str:
    if not isinstance(value, dict):
        return str(value)
    if depth <= 0:
        return "{...}"
    parts: list[str] = []
    size = 0
    for k, v in value.items():
        part = f"{k}: {_render(v, depth - 1)}"
        parts.append(part)
        size += len(part) + 2
        if size > _SHOW_CHARS:
            break
    return "{" + ", ".join(parts) + "}"


# -- pieces the resources' schemas share (each resource module holds its own) ----------
EXPAND = Arr(Str())
ADDRESS = Obj({k: Str() for k in ("city", "country", "line1", "line2", "postal_code", "state")})
BILLING = Obj({"address": ADDRESS, "email": Str(), "name": Str(), "phone": Str()})
SHIPPING = Obj(
    {
        "address": ADDRESS,
        "name": Str(),
        "phone": Str(),
        "carrier": Str(),
        "tracking_number": Str(),
    }
)
CARD_DATA = Obj(
    {
        "number": Str(),
        "exp_month": Int(),
        "exp_year": Int(),
        "cvc": Str(),
        "token": Str(),
        "name": Str(),
        "address_line1": Str(),
        "address_line2": Str(),
        "address_city": Str(),
        "address_state": Str(),
        "address_zip": Str(),
        "address_country": Str(),
        "currency": Str(),
        "networks": AnyValue(),
    }
)
PM_DATA = Obj(
    {
        "type": Enum(("card",)),
        "card": CARD_DATA,
        "billing_details": BILLING,
        "metadata": Meta(),
        "allow_redisplay": Enum(("always", "limited", "unspecified")),
    }
)
AMOUNT = Int()
LIST = Obj(
    {
        "limit": Int(),
        "starting_after": Str(),
        "ending_before": Str(),
        "expand": EXPAND,
        "created": AnyValue(),
    }
)
ONLY_EXPAND = Obj({"expand": EXPAND})
AUTOMATIC_PMS = Obj(
    {"enabled": Bool(), "allow_redirects": Enum(("always", "never"))}, required=("enabled",)
)
SETUP_FUTURE = Enum(("off_session", "on_session"))
