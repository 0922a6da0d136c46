"""Stripe's request parameters: bracket-syntax form decoding and per-endpoint schemas.

:func:`decode_form` turns ``a[b][0][c]=v&e[]=x`` into nested dicts (lists stay dicts with
numeric keys until a schema says the field is an array). Schemas (:class:`Obj`, :class:`Int`...)
then check names and types the way Stripe does: unknown names are ``parameter_unknown``, missing
required ones ``parameter_missing``, bad integers ``parameter_invalid_integer``, with ``param``
spelled in bracket syntax (``card[number]``).
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


# -- shared pieces -----------------------------------------------------------------------------
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
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
AUTOMATIC_PMS = Obj(
    {"enabled": Bool(), "allow_redirects": Enum(("always", "never"))}, required=("enabled",)
)
SETUP_FUTURE = Enum(("off_session", "on_session"))

PI_COMMON: dict[str, Field] = {
    "description": Str(),
    "metadata": Meta(),
    "receipt_email": Str(),
    "setup_future_usage": SETUP_FUTURE,
    "shipping": SHIPPING,
    "statement_descriptor": Str(22),
    "statement_descriptor_suffix": Str(22),
    "payment_method": Str(),
    "payment_method_data": PM_DATA,
    "payment_method_options": AnyValue(),
    "payment_method_types": Arr(Str()),
    "capture_method": Enum(CAPTURE_METHODS),
    "expand": EXPAND,
    "transfer_group": Str(),
    "application_fee_amount": Int(),
    "transfer_data": AnyValue(),
    "payment_method_configuration": Str(),
    "excluded_payment_method_types": Arr(Str()),
}
CONFIRM_EXTRA: dict[str, Field] = {
    "return_url": Str(),
    "off_session": AnyValue(),
    "error_on_requires_action": Bool(),
    "mandate": Str(),
    "mandate_data": AnyValue(),
    "use_stripe_sdk": Bool(),
    "confirmation_token": Str(),
    "radar_options": AnyValue(),
}

PI_CREATE = Obj(
    {
        **PI_COMMON,
        **CONFIRM_EXTRA,
        "amount": AMOUNT,
        "currency": Str(),
        "customer": Str(),
        "confirm": Bool(),
        "confirmation_method": Enum(("automatic", "manual")),
        "automatic_payment_methods": AUTOMATIC_PMS,
        "on_behalf_of": Str(),
        "amount_details": AnyValue(),
    },
    required=("amount", "currency"),
)
PI_UPDATE = Obj(
    {**PI_COMMON, "amount": AMOUNT, "currency": Str(), "customer": Str()},
)
PI_CONFIRM = Obj(
    {
        **CONFIRM_EXTRA,
        "payment_method": Str(),
        "payment_method_data": PM_DATA,
        "payment_method_options": AnyValue(),
        "payment_method_types": Arr(Str()),
        "receipt_email": Str(),
        "setup_future_usage": SETUP_FUTURE,
        "shipping": SHIPPING,
        "capture_method": Enum(CAPTURE_METHODS),
        "expand": EXPAND,
    }
)
PI_CAPTURE = Obj(
    {
        "amount_to_capture": Int(),
        "metadata": Meta(),
        "statement_descriptor": Str(22),
        "statement_descriptor_suffix": Str(22),
        "application_fee_amount": Int(),
        "final_capture": Bool(),
        "transfer_data": AnyValue(),
        "expand": EXPAND,
    }
)
PI_CANCEL = Obj(
    {
        "cancellation_reason": Enum(
            ("abandoned", "duplicate", "fraudulent", "requested_by_customer")
        ),
        "expand": EXPAND,
    }
)
PI_LIST = LIST.extend({"customer": Str()})

CUSTOMER_FIELDS: dict[str, Field] = {
    "address": ADDRESS,
    "balance": Int(),
    "description": Str(),
    "email": Str(512),
    "invoice_prefix": Str(),
    "invoice_settings": AnyValue(),
    "metadata": Meta(),
    "name": Str(256),
    "phone": Str(20),
    "preferred_locales": Arr(Str()),
    "shipping": SHIPPING,
    "source": Str(),
    "tax_exempt": Enum(("exempt", "none", "reverse")),
    "expand": EXPAND,
    "next_invoice_sequence": Int(),
}
CUSTOMER_CREATE = Obj(
    {
        **CUSTOMER_FIELDS,
        "payment_method": Str(),
        "tax_id_data": AnyValue(),
        "test_clock": Str(),
        "tax": AnyValue(),
    }
)
CUSTOMER_UPDATE = Obj({**CUSTOMER_FIELDS, "default_source": Str(), "tax": AnyValue()})
CUSTOMER_LIST = LIST.extend({"email": Str(512), "test_clock": Str()})
CUSTOMER_PMS = LIST.extend({"type": Str(), "allow_redisplay": Str()})

PM_CREATE = Obj(
    {
        "type": Enum(("card",)),
        "card": CARD_DATA,
        "billing_details": BILLING,
        "metadata": Meta(),
        "allow_redisplay": Enum(("always", "limited", "unspecified")),
        "customer": Str(),
        "payment_method": Str(),
        "expand": EXPAND,
    }
)
PM_UPDATE = Obj(
    {
        "billing_details": BILLING,
        "metadata": Meta(),
        "card": Obj({"exp_month": Int(), "exp_year": Int(), "networks": AnyValue()}),
        "allow_redisplay": Enum(("always", "limited", "unspecified")),
        "expand": EXPAND,
    }
)
PM_ATTACH = Obj({"customer": Str(), "expand": EXPAND}, required=("customer",))
PM_LIST = LIST.extend({"customer": Str(), "type": Str()})

TOKEN_CREATE = Obj({"card": CARD_DATA, "customer": Str(), "expand": EXPAND}, required=("card",))

CHARGE_CREATE = Obj(
    {
        "amount": AMOUNT,
        "currency": Str(),
        "source": Str(),
        "customer": Str(),
        "capture": Bool(),
        "description": Str(),
        "metadata": Meta(),
        "receipt_email": Str(),
        "shipping": SHIPPING,
        "statement_descriptor": Str(22),
        "statement_descriptor_suffix": Str(22),
        "transfer_group": Str(),
        "application_fee_amount": Int(),
        "on_behalf_of": Str(),
        "transfer_data": AnyValue(),
        "radar_options": AnyValue(),
        "expand": EXPAND,
    },
    required=("amount", "currency"),
)
CHARGE_UPDATE = Obj(
    {
        "description": Str(),
        "metadata": Meta(),
        "receipt_email": Str(),
        "shipping": SHIPPING,
        "fraud_details": AnyValue(),
        "transfer_group": Str(),
        "customer": Str(),
        "expand": EXPAND,
    }
)
CHARGE_CAPTURE = Obj(
    {
        "amount": Int(),
        "receipt_email": Str(),
        "statement_descriptor": Str(22),
        "statement_descriptor_suffix": Str(22),
        "application_fee_amount": Int(),
        "transfer_group": Str(),
        "transfer_data": AnyValue(),
        "expand": EXPAND,
    }
)
CHARGE_LIST = LIST.extend({"customer": Str(), "payment_intent": Str(), "transfer_group": Str()})

REFUND_FIELDS: dict[str, Field] = {
    "amount": AMOUNT,
    "metadata": Meta(),
    "reason": Enum(("duplicate", "fraudulent", "requested_by_customer")),
    "refund_application_fee": Bool(),
    "reverse_transfer": Bool(),
    "instructions_email": Str(),
    "expand": EXPAND,
}
REFUND_CREATE = Obj(
    {**REFUND_FIELDS, "charge": Str(), "payment_intent": Str(), "origin": Str(), "currency": Str()}
)
CHARGE_REFUND = Obj({**REFUND_FIELDS, "payment_intent": Str()})
REFUND_UPDATE = Obj({"metadata": Meta(), "expand": EXPAND})
REFUND_LIST = LIST.extend({"charge": Str(), "payment_intent": Str()})

SI_COMMON: dict[str, Field] = {
    "description": Str(),
    "metadata": Meta(),
    "payment_method": Str(),
    "payment_method_data": PM_DATA,
    "payment_method_options": AnyValue(),
    "payment_method_types": Arr(Str()),
    "expand": EXPAND,
    "flow_directions": Arr(Str()),
    "payment_method_configuration": Str(),
    "excluded_payment_method_types": Arr(Str()),
}
SI_CREATE = Obj(
    {
        **SI_COMMON,
        "customer": Str(),
        "confirm": Bool(),
        "usage": Enum(("off_session", "on_session")),
        "return_url": Str(),
        "automatic_payment_methods": AUTOMATIC_PMS,
        "attach_to_self": Bool(),
        "on_behalf_of": Str(),
        "mandate_data": AnyValue(),
        "single_use": AnyValue(),
        "use_stripe_sdk": Bool(),
        "confirmation_token": Str(),
    }
)
SI_UPDATE = Obj({**SI_COMMON, "customer": Str(), "attach_to_self": Bool()})
SI_CONFIRM = Obj(
    {
        "payment_method": Str(),
        "payment_method_data": PM_DATA,
        "payment_method_options": AnyValue(),
        "return_url": Str(),
        "mandate_data": AnyValue(),
        "use_stripe_sdk": Bool(),
        "confirmation_token": Str(),
        "expand": EXPAND,
    }
)
SI_CANCEL = Obj(
    {
        "cancellation_reason": Enum(("abandoned", "duplicate", "requested_by_customer")),
        "expand": EXPAND,
    }
)
SI_LIST = LIST.extend({"customer": Str(), "payment_method": Str(), "attach_to_self": Bool()})

EVENT_LIST = LIST.extend(
    {
        "type": Str(),
        "types": Arr(Str()),
        "delivery_success": Bool(),
    }
)
WE_CREATE = Obj(
    {
        "url": Str(),
        "enabled_events": Arr(Str()),
        "description": Str(),
        "metadata": Meta(),
        "api_version": Str(),
        "connect": Bool(),
        "expand": EXPAND,
    },
    required=("url", "enabled_events"),
)
WE_UPDATE = Obj(
    {
        "url": Str(),
        "enabled_events": Arr(Str()),
        "description": Str(),
        "metadata": Meta(),
        "disabled": Bool(),
        "expand": EXPAND,
    }
)
