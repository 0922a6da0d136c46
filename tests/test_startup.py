"""Start-up does only what answering needs: what it defers is pinned here, without timings.

Issue 20 asks for start-up under 0.5 s (bench/startup.py, bench/run.py's ``startup`` section).
The savings are work moved to first use; these tests prove the deferred results equal the eager
ones, and that ``fakeservices serve``'s start does not load what it no longer needs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fakeservices.app import build_app
from fakeservices.core.config import Config
from fakeservices.core.openapi import ApiDoc, ModelRef
from fakeservices.core.runtime import Runtime


class _EagerDoc(ApiDoc):
    """The document as it was built before: each model's schema generated where it is named."""

    def model(
        self, model: ModelRef, mode: Literal["validation", "serialization"] = "serialization"
    ) -> dict[str, Any]:
        ref = super().model(model, mode)
        self.resolve()
        return ref


def _document(doc: ApiDoc) -> dict[str, Any]:
    runtime = Runtime(Config())
    runtime.api_doc = doc
    build_app(runtime)
    return doc.render()


def test_building_the_app_generates_no_json_schema() -> None:
    runtime = Runtime(Config())
    build_app(runtime)
    assert runtime.api_doc.schemas == {}
    assert len(runtime.api_doc.pending) > 10


def test_the_lazily_built_openapi_document_equals_the_eager_one() -> None:
    lazy, eager = _document(ApiDoc()), _document(_EagerDoc())
    assert json.dumps(lazy) == json.dumps(eager)  # same content and the same key order
    assert "FaultRule" in lazy["components"]["schemas"]
    assert "Health" in lazy["components"]["schemas"]


def test_rendering_twice_gives_the_same_document() -> None:
    doc = ApiDoc()
    runtime = Runtime(Config())
    runtime.api_doc = doc
    build_app(runtime)
    first = json.dumps(doc.render())
    assert doc.pending == []
    assert json.dumps(doc.render()) == first


def test_a_fault_rule_s_default_match_is_an_all_default_match() -> None:
    from fakeservices.core.faults import FaultSpec, Match

    spec = FaultSpec.model_validate({"service": "sms", "action": {"type": "error", "status": 500}})
    assert spec.match == Match()
    assert spec.match.model_fields_set == set()
    assert spec.model_dump(by_alias=True)["match"] == Match().model_dump(by_alias=True)


# What `fakeservices serve` does up to answering, in a fresh interpreter: then what it loaded.
_STARTED = """
import asyncio, json, sys

from fakeservices.cli import build_config
from fakeservices.server import Server


async def main():
    server = Server(build_config({"http_port": "0", "smtp_port": "0"}, None))
    await server.start()
    try:
        print(json.dumps({
            "modules": sorted(sys.modules),
            "schemas_pending": len(server.runtime.api_doc.pending),
        }))
    finally:
        await server.stop()


asyncio.run(main())
"""


def test_starting_the_server_leaves_for_later_what_only_later_needs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _STARTED], capture_output=True, text=True, timeout=120, check=True
    )
    started = json.loads(out.stdout)
    modules = set(started["modules"])
    assert "fakeservices.server" in modules  # the probe did start a server
    # The admin API's response models: the OpenAPI document names them; rendered on request.
    assert "fakeservices.schemas" not in modules
    assert started["schemas_pending"] > 10
    # The fault rule's models: imported with the first rule posted.
    assert "fakeservices.core.fault_specs" not in modules
    # pydantic itself: the configuration was plainly valid, and nothing else needs it yet.
    assert "pydantic" not in modules
    assert "fakeservices.core.config_model" not in modules
    # Imported by what uses them: webhook delivery, a --config file, SES's XML errors.
    assert "httpx" not in modules
    assert "tomllib" not in modules
    assert "xml.sax.saxutils" not in modules


# -- Config: validated without pydantic when plainly valid, by the same rules ------------------


class _ConfigBefore(BaseModel):
    """Config as it was, a pydantic model (copied from fakeservices/core/config.py before the
    change): the reference the new Config must agree with."""

    # The title: its errors say "for Config", as they did.
    model_config = ConfigDict(extra="forbid", frozen=True, title="Config")

    host: str = Field("127.0.0.1", min_length=1)
    http_port: int = Field(4010, ge=0, le=65535)
    smtp_port: int = Field(2525, ge=0, le=65535)
    max_messages: int = Field(10_000, ge=1, le=10_000_000)
    max_message_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    journal_size: int = Field(10_000, ge=1, le=10_000_000)
    hold_seconds: float = Field(60.0, gt=0, le=3600)
    max_accounts: int = Field(1000, ge=1, le=1_000_000)
    max_stripe_objects: int = Field(10_000, ge=1, le=10_000_000)
    fault_seed: int | None = None
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    http: Literal["auto", "h11", "httptools"] = "auto"
    journal_body_bytes: int = Field(8192, ge=0)
    sms_step_seconds: float = Field(0.05, ge=0, le=60)
    delivery_attempts: int = Field(4, ge=1, le=20)
    delivery_backoff_seconds: float = Field(0.2, ge=0, le=600)
    events_heartbeat_seconds: float = Field(15.0, gt=0, le=3600)
    events_buffer: int = Field(1000, ge=1, le=1_000_000)


_CANDIDATES: list[Any] = [
    0, 1, 7, 1024, 65535, 65536, -1, 10_000_000, 10_000_001, 3600, 3601,
    0.0, 0.05, 1.5, 60.0, 3600.5, -0.5, float("nan"), float("inf"),
    True, False, None, "", " ", "0", "1", "007", "-1", "+5", " 7 ", "1_000", "65536", "1.5",
    "05.5", "1e3", "0.0", "nan", "eighty", "12345678901234567890",
    "info", "INFO", "debug", "auto", "asyncio", "uvloop", "h11", "httptools", "127.0.0.1", "::1",
    b"1", [1], {"a": 1},
]  # fmt: skip


def _outcome(make: Any, values: dict[str, Any]) -> Any:
    try:
        dumped = make(**values).model_dump()
    except ValidationError as exc:
        return ("error", str(exc), exc.errors(include_url=False))
    # Types too: 5 and 5.0 are equal but are not the same value.
    return ("ok", repr(dumped), [(k, type(v)) for k, v in dumped.items()])


def test_config_accepts_rejects_and_normalises_as_the_pydantic_model_did() -> None:
    compared = 0
    for name in _ConfigBefore.model_fields:
        for value in _CANDIDATES:
            values = {name: value}
            assert _outcome(Config, values) == _outcome(_ConfigBefore, values), values
            compared += 1
    assert compared > 900
    # Several values at once, an unknown key, and the defaults.
    for values in (
        {"http_port": "0", "smtp_port": "0", "log_level": "debug", "hold_seconds": "0.5"},
        {"http_port": "0", "max_messages": "0"},
        {"http_port": 0, "no_such_option": 1},
        {},
    ):
        assert _outcome(Config, values) == _outcome(_ConfigBefore, values), values


def test_a_plainly_valid_config_does_not_import_pydantic() -> None:
    probe = (
        "import sys\n"
        "from fakeservices.core.config import Config\n"
        "c = Config(http_port='0', smtp_port='0', log_level='debug', hold_seconds='1.5')\n"
        "assert (c.http_port, c.hold_seconds, c.log_level) == (0, 1.5, 'debug')\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"
