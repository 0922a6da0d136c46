"""Schemathesis against our own ``/__admin/openapi.json``: no 5xx, and every answer matches the
document (status codes, content types, response bodies).

Bounded and repeatable: a fixed number of examples per operation, derandomized, against a server
of its own (resets and fault rules it generates touch nothing else). The long-poll ``/wait``
operations are left out: a generated ``timeout`` would hold the run for its length, and their
answers are the list answers these operations already check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from fakeservices.server import EmbeddedServer, start_server

EXAMPLES = 12


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[EmbeddedServer]:
    with start_server(sms_step_seconds=0.0) as s:
        yield s


def test_admin_api_matches_its_openapi(fuzzed: EmbeddedServer) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not load under this pytest,
    so the strategies are driven with Hypothesis directly)."""
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/__admin/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/wait"):
            continue

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=fuzzed.url, checks=checks)

        run()
        tested.append(operation.label)
    assert len(tested) >= 25, tested
