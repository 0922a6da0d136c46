"""Server configuration: one frozen object built from defaults, a config file, env and CLI.

``Config(**values)`` validates as the pydantic model it used to be, which
:mod:`fakeservices.core.config_model` still builds from the same fields: it accepts the same
values, normalises them the same way and raises the same ``pydantic.ValidationError``. Values that
are plainly valid (an int in range, a string of digits, one of the choices: what the CLI, the
environment and ``start_server`` give) are checked here, without pydantic; anything else is handed
to that model, imported then. Importing pydantic and building models took about a fifth of the
server's start-up, and a valid command line never needs it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LoopName = Literal["auto", "asyncio", "uvloop"]
HttpName = Literal["auto", "h11", "httptools"]


def _setting(default: Any, **constraints: float) -> Any:
    """A field's default and its pydantic ``Field`` constraints (``ge``, ``gt``, ``le``,
    ``min_length``)."""
    return field(default=default, metadata=constraints)


@dataclass(frozen=True, init=False)
class Config:
    """Everything `fakeservices serve` can be told; field names match the CLI options."""

    host: str = _setting("127.0.0.1", min_length=1)
    http_port: int = _setting(4010, ge=0, le=65535)
    smtp_port: int = _setting(2525, ge=0, le=65535)
    max_messages: int = _setting(10_000, ge=1, le=10_000_000)
    max_message_bytes: int = _setting(10 * 1024 * 1024, ge=1024)
    journal_size: int = _setting(10_000, ge=1, le=10_000_000)
    hold_seconds: float = _setting(60.0, gt=0, le=3600)
    # Accounts (credentials) whose objects a fake keeps; the least recently used is forgotten.
    max_accounts: int = _setting(1000, ge=1, le=1_000_000)
    # Stripe objects kept per account; the oldest go first (one key cannot grow memory forever).
    max_stripe_objects: int = _setting(10_000, ge=1, le=10_000_000)
    fault_seed: int | None = None
    log_level: LogLevel = "info"
    # "auto" uses uvloop / httptools when installed (pip install 'fakeservices[fast]').
    loop: LoopName = "auto"
    http: HttpName = "auto"
    # Bodies recorded in the request journal are cut to this many bytes.
    journal_body_bytes: int = _setting(8192, ge=0)
    # Seconds between the steps of an SMS's status lifecycle (queued -> sent -> delivered).
    sms_step_seconds: float = _setting(0.05, ge=0, le=60)
    # Outbound webhooks/callbacks: attempts per delivery and the first retry's delay (doubling).
    delivery_attempts: int = _setting(4, ge=1, le=20)
    delivery_backoff_seconds: float = _setting(0.2, ge=0, le=600)
    # /__admin/events: seconds between heartbeat comments, and the changes a client may fall
    # behind by before it is dropped.
    events_heartbeat_seconds: float = _setting(15.0, gt=0, le=3600)
    events_buffer: int = _setting(1000, ge=1, le=1_000_000)

    def __init__(self, **values: Any) -> None:
        checked = _plainly_valid(values)
        if checked is None:
            from fakeservices.core.config_model import validate

            checked = validate(values)  # raises pydantic.ValidationError, as it always did
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def model_dump(self) -> dict[str, Any]:
        """Every field and its value, in declaration order (as the pydantic model dumped it)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One Config field as validation sees it."""

    name: str
    annotation: Any
    default: Any
    constraints: dict[str, Any]


@cache
def config_fields() -> dict[str, FieldSpec]:
    """Config's fields by name, their types resolved (the CLI's ``--help`` shows them)."""
    hints = get_type_hints(Config)
    return {
        f.name: FieldSpec(f.name, hints[f.name], f.default, dict(f.metadata))
        for f in fields(Config)
    }


_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_INVALID = object()


def _plain(spec: FieldSpec, value: Any) -> Any:
    """``value`` as pydantic would make it, if it plainly is valid; else :data:`_INVALID` (and
    pydantic decides). Exact type checks: a bool is not taken for a number here."""
    kind = spec.annotation
    out: Any = _INVALID
    if kind is int or kind == int | None:
        if value is None and kind is not int:
            return None
        if type(value) is int:
            out = value
        elif type(value) is str and _DIGITS.fullmatch(value):
            out = int(value)
    elif kind is float:
        if type(value) in (int, float) or (type(value) is str and _DECIMAL.fullmatch(value)):
            out = float(value)
    elif kind is str:
        out = value if type(value) is str else _INVALID
    elif type(value) is str and value in get_args(kind):  # a Literal of strings
        out = value
    if out is _INVALID:
        return out
    c = spec.constraints
    if ("ge" in c and not out >= c["ge"]) or ("gt" in c and not out > c["gt"]):
        return _INVALID
    if ("le" in c and not out <= c["le"]) or ("min_length" in c and len(out) < c["min_length"]):
        return _INVALID
    return out


def _plainly_valid(values: dict[str, Any]) -> dict[str, Any] | None:
    """Every field's value (defaults filled in) if each given value is plainly valid, else None."""
    specs = config_fields()
    checked = {name: spec.default for name, spec in specs.items()}
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            return None
        out = _plain(spec, value)
        if out is _INVALID:
            return None
        checked[name] = out
    return checked


# (option name, FAKESERVICES_* variable) for every CLI option that maps onto a Config field.
ENV_PREFIX = "FAKESERVICES_"


def loop_factory(name: LoopName) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to run the server on: None means asyncio's default."""
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if name == "uvloop":
            raise
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def env_var(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML (``.toml``) or JSON file of settings, keys as written there (``http_port`` or
    ``http-port``; the caller maps them onto Config fields and names them as written)."""
    import tomllib  # only a --config file needs it

    text = path.read_bytes()
    data: Any = tomllib.loads(text.decode()) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a table/object of settings")
    return {str(k): v for k, v in data.items()}
