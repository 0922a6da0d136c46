"""The recorder: sees every response the fakes send and every Stripe event they emit.

``tests/conftest.py`` installs it on every server the test process starts (the session server, the
pytest plugin's, and those tests start themselves): an ASGI wrapper around the app captures each
response to a vendor path (``/v1/...``, ``/2010-04-01/...``, ``/v3/mail/send``) and validates it;
Stripe's event log hands each event to it as it is emitted (webhook payloads included, delivered
or not). Violations are kept until the running test collects them, so the test that received a
non-conforming object fails with the object path, key and what the spec expected. Each pytest-xdist
worker is its own process with its own servers and recorder.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conformance.vendors import validate_response

StripeEventHook = Callable[[Any], None]


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: list[str] = []
        #: How many responses/events were checked, per vendor (reported in the session summary).
        self.checked: Counter[str] = Counter()

    # -- collection --------------------------------------------------------------------------
    def report(self, vendor: str, where: str, problems: list[Any]) -> None:
        with self._lock:
            self.checked[vendor] += 1
            self._found += [f"{where}: {p}" for p in problems]

    def take(self) -> list[str]:
        """The violations seen since the last call (the running test's)."""
        with self._lock:
            found, self._found = self._found, []
        return found

    # -- installation ------------------------------------------------------------------------
    def wrap(self, app: ASGIApp, runtime: Any) -> ASGIApp:
        return _Capture(app, self, runtime)

    def watch_stripe_events(self, events: Any) -> None:
        """Validate each event a Stripe ``EventLog`` emits before it is delivered."""
        deliver = events.deliver

        def checked(event: Any) -> None:
            body = event.to_json()
            problems = validate_response("stripe", "EVENT", "/v1/events", 200, body)
            if problems is not None:
                self.report("stripe", f"event {body.get('type')} {body.get('id')}", problems)
            deliver(event)

        events.deliver = checked


_VENDOR_PATHS = re.compile(r"^/(v1(/|$)|2010-04-01/|v3/mail/send$)")


class _Capture:
    def __init__(self, app: ASGIApp, recorder: Recorder, runtime: Any) -> None:
        self.app = app
        self.recorder = recorder
        self.runtime = runtime

    def custom_fault_body(self, scope: Scope) -> bool:
        """Whether an injected fault answered with a body of the test's own making."""
        fault = scope.get("state", {}).get("fault")
        if not fault:
            return False
        rule = self.runtime.faults.rules.get(fault["id"])
        if rule is None:
            return True  # the rule is gone (a times-limited rule): do not guess
        return getattr(rule.spec.action, "body", None) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not _VENDOR_PATHS.match(path):
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        method: str = scope["method"]
        if method == "HEAD" or status == 0 or self.custom_fault_body(scope):
            return
        raw = b"".join(chunks)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return  # not JSON: an injected malformed-body fault, or HTML
        vendor = (
            "stripe"
            if path.startswith("/v1")
            else "sms"
            if path.startswith("/2010")
            else "sendgrid"
        )
        problems = validate_response(vendor, method, path, status, body)
        if problems is not None:
            self.recorder.report(vendor, f"{method} {path} -> {status}", problems)


class ConformanceError(AssertionError):
    """A response or event the test received does not match the vendor's spec."""


class ConformancePlugin:
    """pytest hooks: each test phase fails with the violations received during it."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def check(self) -> None:
        found = self.recorder.take()
        if found:
            shown = "\n  ".join(found[:20])
            more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
            raise ConformanceError(
                f"{len(found)} spec violation(s) in what the fakes sent this test "
                f"(tests/conformance; allow-list: tests/conformance/allowlist.py):\n  {shown}{more}"
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        result = yield
        self.check()
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        result = yield
        self.check()
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        result = yield
        self.check()
        return result

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.recorder.checked:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(self.recorder.checked.items()))
            terminalreporter.write_line(f"conformance: checked {counts} responses/events")


def _recorded(build_app: Callable[[Any], Any], recorder: Recorder) -> Callable[[Any], Any]:
    """``build_app`` with every app it builds recorded by ``recorder``."""

    def recorded(runtime: Any) -> Any:
        for service in runtime.services:
            if service.name == "stripe":
                recorder.watch_stripe_events(service.events)
        return recorder.wrap(build_app(runtime), runtime)

    recorded.conformance_recorder = recorder  # type: ignore[attr-defined]
    recorded.unrecorded = build_app  # type: ignore[attr-defined]
    return recorded


def install(recorder: Recorder) -> None:
    """Record on every server this process starts from now on (the test session's)."""
    import fakeservices.server as server_module

    build_app = server_module.build_app
    if getattr(build_app, "conformance_recorder", None) is recorder:
        return
    server_module.build_app = _recorded(build_app, recorder)


@contextmanager
def recording_only(recorder: Recorder) -> Iterator[None]:
    """Servers started inside the block record to ``recorder`` instead of the session's recorder:
    a test that hands a server to another process (the Node suites) counts and collects exactly
    what that server sent. A server builds its app while ``start_server`` runs, so the block need
    only cover the start."""
    import fakeservices.server as server_module

    current = server_module.build_app
    server_module.build_app = _recorded(getattr(current, "unrecorded", current), recorder)
    try:
        yield
    finally:
        server_module.build_app = current
