"""Shared fixtures: one real server on ephemeral ports for the whole session.

Tests isolate themselves the way users do: each uses fresh credentials (accounts), so they can
share the server. Tests that need other settings start their own with ``start_server``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server


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
