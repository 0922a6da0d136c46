"""The providers' own Node SDKs, unchanged, run with node:test (tests/node): Resend and Amazon SES
v2 (`resend`, `@aws-sdk/client-sesv2`) against this session's server, and stripe-node, twilio-node,
@sendgrid/mail and nodemailer (sdk_wire.test.js) against a server of their own whose every Stripe,
Twilio and SendGrid response is validated by the conformance checker (tests/conformance), as the
Python suite's are.

Skipped only when Node 18.18+ and npm are absent, and never in CI (the harness of
tests/test_node.py decides).
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeservices.server import EmbeddedServer, start_server
from tests.conformance.recorder import Recorder, recording_only
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


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[EmbeddedServer, Recorder]]:
    """A server of the Node suite's own, recorded by a recorder of its own."""
    recorder = Recorder()
    with recording_only(recorder):
        server = start_server(sms_step_seconds=0.0, delivery_backoff_seconds=0.05)
    with server:
        yield server, recorder


def test_stripe_twilio_sendgrid_nodemailer_node_sdks_on_the_wire(
    installed: None, recorded: tuple[EmbeddedServer, Recorder]
) -> None:
    server, recorder = recorded
    env = node_env(
        FAKESERVICES_URL=server.url,
        FAKESERVICES_SMTP=f"{server.smtp_host}:{server.smtp_port}",
        RUN_ID=uuid.uuid4().hex[:10].upper(),
    )
    out = run(["node", "--test", "sdk_wire.test.js"], NODE_TESTS, env)
    assert passed(out) == 15
    violations = recorder.take()
    assert violations == [], "\n".join(violations)
    # Every vendor's JSON went through the checker: declines, search pages, events, errors...
    assert recorder.checked["stripe"] >= 60, recorder.checked
    assert recorder.checked["sms"] >= 8, recorder.checked
    assert recorder.checked["sendgrid"] >= 3, recorder.checked
