"""Shared fixtures: one real server on ephemeral ports for the whole session.

Tests isolate themselves the way users do: each uses fresh credentials (accounts), so they can
share the server. Tests that need other settings start their own with ``start_server``.

Every server the session starts carries the conformance recorder (tests/conformance): each
Stripe, Twilio and SendGrid response and each Stripe event is validated against the vendored
specs, and a violation fails the test that received it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server
from tests.conformance.recorder import ConformancePlugin, Recorder, install

RECORDER = Recorder()


def pytest_configure(config: pytest.Config) -> None:
    install(RECORDER)
    if not config.pluginmanager.has_plugin("conformance"):
        config.pluginmanager.register(ConformancePlugin(RECORDER), "conformance")


@pytest.fixture
def conformance() -> Recorder:
    """The recorder, for tests that check the conformance machinery itself."""
    return RECORDER


@pytest.fixture(scope="session")
def server() -> Iterator[EmbeddedServer]:
    with start_server(sms_step_seconds=0.0, delivery_backoff_seconds=0.05) as s:
        yield s


@pytest.fixture
def admin(server: EmbeddedServer) -> Iterator[httpx.Client]:
    """An httpx client on the server's base URL."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def unique() -> str:
    """A short unique token for building per-test credentials and addresses."""
    return uuid.uuid4().hex[:12]
