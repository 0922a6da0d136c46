"""Fixtures for the SMS fake: a twilio Client per test with its own Account SID."""

from __future__ import annotations

import uuid

import pytest
from twilio.rest import Client

from fakeservices.server import EmbeddedServer

from .helpers import Twilio, new_sid, point


@pytest.fixture
def twilio(server: EmbeddedServer) -> Twilio:
    sid, token = new_sid(), "tok_" + uuid.uuid4().hex[:8]
    return Twilio(sid, token, point(Client(sid, token), server.url))
