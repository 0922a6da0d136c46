"""pytest plugin: the ``fakeservices`` (session) and ``fake`` (per test) fixtures.

``fakeservices`` uses the server at ``FAKESERVICES_URL`` when set (a CI sidecar; the SMTP address
comes from ``FAKESERVICES_SMTP=host:port`` or the server's health), else starts an embedded one
on free ports for the session (one per pytest-xdist worker).

``fake`` hands each test fresh credentials, so tests and workers sharing one sidecar never see
each other's objects. Before each test it resets everything on its own embedded server, and
only the test's own accounts on a shared sidecar; fault rules added through it are removed after
the test. Its read-back is scoped to the test (docs/isolation.md): the test's own accounts and,
of shared accounts, what arrived after set-up. When the test fails, its report gets a
"fakeservices" section listing what arrived in that scope (:mod:`fakeservices.failure_report`).
"""

from __future__ import annotations

import os
import secrets
import smtplib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from fakeservices.client import URL_VARIABLE, FakeServices, FaultHandle, Faults
from fakeservices.core.accounts import (
    EMAIL_API_KEY_MARKER,
    SMTP_USER_MARKER,
    STRIPE_KEY_MARKER,
    TWILIO_SID_MARKER,
)
from fakeservices.schemas import FaultRule

if TYPE_CHECKING:
    from fakeservices.server import EmbeddedServer

SMTP_VARIABLE = "FAKESERVICES_SMTP"


@dataclass
class FakeServicesServer:
    """The server a test session uses: an embedded one or a sidecar."""

    url: str
    smtp_host: str
    smtp_port: int
    embedded: EmbeddedServer | None = None

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    def client(self) -> FakeServices:
        return FakeServices(self.url)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


def connect(url: str | None = None, smtp: str | None = None) -> FakeServicesServer:
    """The sidecar at ``url`` (default ``$FAKESERVICES_URL``) or a new embedded server."""
    url = url or os.environ.get(URL_VARIABLE)
    if not url:
        from fakeservices.server import start_server

        embedded = start_server()
        return FakeServicesServer(embedded.url, embedded.smtp_host, embedded.smtp_port, embedded)
    url = url.rstrip("/")
    smtp = smtp or os.environ.get(SMTP_VARIABLE)
    if smtp:
        host, _, port = smtp.rpartition(":")
        return FakeServicesServer(url, host or "127.0.0.1", int(port))
    with FakeServices(url) as client:
        health = client.health()
    host = urlsplit(url).hostname or "127.0.0.1"
    if health.smtp_port is None:
        raise RuntimeError(f"{url} reports no SMTP port; set {SMTP_VARIABLE}=host:port")
    return FakeServicesServer(url, host, health.smtp_port)


def _hex(n: int) -> str:
    return secrets.token_hex(n // 2)


class TrackedFaults:
    """``fake.faults``: the client's fault calls, remembering the rules it added so the test's
    teardown removes them (and a failure report can say which fired)."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self.added: list[FaultHandle] = []

    def add(self, *args: Any, **kwargs: Any) -> FaultHandle:
        """Install a rule (same arguments as :meth:`fakeservices.client.Faults.add`)."""
        handle = self._faults.add(*args, **kwargs)
        self.added.append(handle)
        return handle

    def list(self, account: str | None = None) -> list[FaultRule]:
        return self._faults.list(account)

    def get(self, rule_id: str) -> FaultRule:
        return self._faults.get(rule_id)

    def remove(self, rule_id: str) -> None:
        self._faults.remove(rule_id)

    def clear(self, account: str | None = None) -> int:
        return self._faults.clear(account)

    def remove_added(self) -> None:
        for handle in self.added:
            handle.remove()
        self.added.clear()


class Fake:
    """One test's view of the server: fresh credentials, read-back, faults, SDK helpers.

    Read-back (``fake.emails``, ``fake.sms``, ``fake.requests``, ``fake.webhook_deliveries``,
    ``fake.stripe_events``) is scoped to the test: its own accounts and, of shared accounts
    (``default``: SMTP without AUTH, or credentials not from ``fake``), only what arrived after
    set-up (``fake.cursor``). ``fake.unscoped`` is the same API seeing everything; an explicit
    ``account=`` on a call also replaces the scope.
    """

    def __init__(self, server: FakeServicesServer, client: FakeServices) -> None:
        self.server = server
        self.client = client
        self.unscoped = client
        self.url = server.url
        self.smtp_host = server.smtp_host
        self.smtp_port = server.smtp_port
        token = _hex(16)
        self.stripe_key = f"{STRIPE_KEY_MARKER}{token}"
        self.twilio_sid = TWILIO_SID_MARKER + _hex(34 - len(TWILIO_SID_MARKER))
        self.twilio_token = _hex(32)
        self.email_api_key = f"{EMAIL_API_KEY_MARKER}{token}"
        self.smtp_user = f"{SMTP_USER_MARKER}{token}"
        self.smtp_password = _hex(16)
        #: The server's newest seq when the test was set up (see :meth:`prepare`).
        self.cursor = 0
        self._scope(client)
        self.faults = TrackedFaults(client.faults)
        self.health = client.health
        self.reset = client.reset
        self.authenticate_payment = client.authenticate_payment
        self.complete_checkout = client.complete_checkout
        self.expire_checkout = client.expire_checkout
        self.settle_checkout = client.settle_checkout

    def _scope(self, client: FakeServices) -> None:
        self.scoped = client.scoped(self.accounts, self.cursor)
        self.emails = self.scoped.emails
        self.sms = self.scoped.sms
        self.requests = self.scoped.requests
        self.webhook_deliveries = self.scoped.webhook_deliveries
        self.stripe_events = self.scoped.stripe_events

    @property
    def accounts(self) -> tuple[str, ...]:
        """Every account this test's credentials name."""
        return (self.stripe_key, self.twilio_sid, self.email_api_key, self.smtp_user)

    @property
    def stripe_api_base(self) -> str:
        """For `stripe.api_base`, together with `stripe.api_key = fake.stripe_key`."""
        return self.url

    def stripe_client(self, **kwargs: Any) -> Any:
        """A ``stripe.StripeClient`` with this test's key, pointed at the fake."""
        import stripe

        return stripe.StripeClient(self.stripe_key, base_addresses={"api": self.url}, **kwargs)

    def twilio_client(self, **kwargs: Any) -> Any:
        """A ``twilio.rest.Client`` with this test's Account SID, pointed at the fake."""
        from twilio.rest import Client

        client = Client(self.twilio_sid, self.twilio_token, **kwargs)
        client.api.base_url = self.url
        # TWILIO_REGION/TWILIO_EDGE would rewrite the host after the base URL is applied.
        client.region = None
        client.edge = None
        return client

    def sendgrid_client(self) -> Any:
        """A ``sendgrid.SendGridAPIClient`` with this test's API key, pointed at the fake."""
        from sendgrid import SendGridAPIClient

        return SendGridAPIClient(self.email_api_key, host=self.url)

    def smtp(self, login: bool = True, timeout: float = 10) -> smtplib.SMTP:
        """An ``smtplib.SMTP`` connection, logged in as this test's SMTP user by default."""
        client = smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=timeout)
        if login:
            client.login(self.smtp_user, self.smtp_password)
        return client

    def prepare(self) -> None:
        """Reset what this test may see (everything if the server is ours, else our accounts),
        then take the cursor: shared-account items older than it are not the test's."""
        if self.server.is_embedded:
            self.client.reset()
        else:
            for account in self.accounts:
                self.client.reset(account=account)
        self.cursor = self.client.health().seq
        self._scope(self.client)


@pytest.fixture(scope="session")
def fakeservices() -> Iterator[FakeServicesServer]:
    """The session's server: ``$FAKESERVICES_URL`` if set, else an embedded one."""
    server = connect()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(fakeservices: FakeServicesServer) -> Iterator[Fake]:
    """Fresh credentials and a view of the server scoped to one test."""
    with fakeservices.client() as client:
        handle = Fake(fakeservices, client)
        handle.prepare()
        try:
            yield handle
        finally:
            handle.faults.remove_added()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failed test that used ``fake`` gets a "fakeservices" report section: what arrived."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed or call.when == "teardown":
        return
    handle = getattr(item, "funcargs", {}).get("fake")
    if isinstance(handle, Fake):
        from fakeservices.failure_report import describe

        report.sections.append(("fakeservices", describe(handle)))
