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
from urllib.parse import parse_qsl

from fakeservices.stripe.errors import invalid, invalid_integer, missing, unknown

Params = dict[str, Any]


class FormError(ValueError):
    """The body is not a decodable form."""


_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEG = re.compile(r"\[([^\[\]]*)\]")


def decode_form(raw: str) -> Params:
    """Decode ``application/x-www-form-urlencoded`` with Stripe's nested bracket keys."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError(f"could not decode the form body ({exc})") from None
    root: Params = {}
    for key, value in pairs:
        m = _KEY.match(key)
        if m is None:
            raise FormError(f"malformed parameter name {key!r}")
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
        name = encode_name(path)
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {_show(value)}", name)
        if value == "":
            return None
        if len(value) > self.max_length:
            raise invalid(
                f"Invalid string: {value[:40]}...; must be at most {self.max_length} characters",
                name,
            )
        return value


@dataclass
class Int(Field):
    min: int | None = None
    max: int | None = None

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        name = encode_name(path)
        if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,18}", value):
            raise invalid_integer(name, _show(value))
        n = int(value)
        if self.min is not None and n < self.min:
            raise invalid(f"This value must be greater than or equal to {self.min}.", name)
        if self.max is not None and n > self.max:
            raise invalid(f"This value must be less than or equal to {self.max}.", name)
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
        name = encode_name(path)
        if value == "":
            return None
        if value not in self.values:
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


@dataclass
class Arr(Field):
    item: Field = field(default_factory=Str)

    def check(self, value: Any, path: tuple[str, ...]) -> Any:
        name = encode_name(path)
        if value == "":
            return []
        if not isinstance(value, dict):
            raise invalid("Invalid array", name)
        keys = list(value)
        if not all(k.isdigit() for k in keys):
            raise invalid("Invalid array", name)
        indices = sorted(int(k) for k in keys)
        if indices != list(range(len(indices))):
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


def _show(value: Any) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(value)


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
