"""Server configuration: one pydantic model built from defaults, a config file, env and CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LoopName = Literal["auto", "asyncio", "uvloop"]
HttpName = Literal["auto", "h11", "httptools"]


class Config(BaseModel):
    """Everything `fakeservices serve` can be told; field names match the CLI options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", min_length=1)
    http_port: int = Field(4010, ge=0, le=65535)
    smtp_port: int = Field(2525, ge=0, le=65535)
    max_messages: int = Field(10_000, ge=1, le=10_000_000)
    max_message_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    journal_size: int = Field(10_000, ge=1, le=10_000_000)
    hold_seconds: float = Field(60.0, gt=0, le=3600)
    # Accounts (credentials) whose objects a fake keeps; the least recently used is forgotten.
    max_accounts: int = Field(1000, ge=1, le=1_000_000)
    # Stripe objects kept per account; the oldest go first (one key cannot grow memory forever).
    max_stripe_objects: int = Field(10_000, ge=1, le=10_000_000)
    fault_seed: int | None = None
    log_level: LogLevel = "info"
    # "auto" uses uvloop / httptools when installed (pip install 'fakeservices[fast]').
    loop: LoopName = "auto"
    http: HttpName = "auto"
    # Bodies recorded in the request journal are cut to this many bytes.
    journal_body_bytes: int = Field(8192, ge=0)
    # Seconds between the steps of an SMS's status lifecycle (queued -> sent -> delivered).
    sms_step_seconds: float = Field(0.05, ge=0, le=60)
    # Outbound webhooks/callbacks: attempts per delivery and the first retry's delay (doubling).
    delivery_attempts: int = Field(4, ge=1, le=20)
    delivery_backoff_seconds: float = Field(0.2, ge=0, le=600)
    # /__admin/events: seconds between heartbeat comments, and the changes a client may fall
    # behind by before it is dropped.
    events_heartbeat_seconds: float = Field(15.0, gt=0, le=3600)
    events_buffer: int = Field(1000, ge=1, le=1_000_000)


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
