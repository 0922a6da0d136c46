"""Start-up does only what answering needs: what it defers is pinned here, without timings.

Issue 20 asks for start-up under 0.5 s (bench/startup.py, bench/run.py's ``startup`` section).
The savings are work moved to first use; these tests prove the deferred results equal the eager
ones, and that ``fakeservices serve``'s start does not load what it no longer needs.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

from fakeservices.app import build_app
from fakeservices.core.config import Config
from fakeservices.core.openapi import ApiDoc
from fakeservices.core.runtime import Runtime


class _EagerDoc(ApiDoc):
    """The document as it was built before: each model's schema generated where it is named."""

    def model(
        self, model: type[BaseModel], mode: Literal["validation", "serialization"] = "serialization"
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
