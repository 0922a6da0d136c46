"""The Resend and Amazon SES v2 Node SDKs (`resend`, `@aws-sdk/client-sesv2`), unchanged, run with
node:test (tests/node) against this session's server.

Skipped only when Node 18.18+ and npm are absent, and never in CI (the harness of
tests/test_node.py decides).
"""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path

import pytest

from fakeservices.server import EmbeddedServer
from tests.test_node import _require_node, node_env, passed, run

NODE_TESTS = Path(__file__).resolve().parent / "node"


@pytest.fixture(scope="module")
def installed() -> None:
    """`npm ci` once per test run, even with xdist workers (a lock and a stamp naming the run)."""
    _require_node()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid-{os.getpid()}")
    stamp = NODE_TESTS / ".install.stamp"
    with open(NODE_TESTS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not stamp.exists() or stamp.read_text() != run_id:
                stamp.unlink(missing_ok=True)
                run(["npm", "ci", "--no-audit", "--no-fund"], NODE_TESTS)
                stamp.write_text(run_id)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_resend_and_sesv2_node_sdks(installed: None, server: EmbeddedServer) -> None:
    env = node_env(FAKESERVICES_URL=server.url, RUN_ID=uuid.uuid4().hex[:10].upper())
    out = run(["node", "--test", "providers.test.js"], NODE_TESTS, env)
    assert passed(out) == 7
