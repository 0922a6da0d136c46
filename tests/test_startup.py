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
    # Imported by what uses them: webhook delivery, a --config file, SES's XML errors.
    assert "httpx" not in modules
    assert "tomllib" not in modules
    assert "xml.sax.saxutils" not in modules
