"""The one point every HTTP request to a fake passes: routing to a service, journal, log line.

A pure ASGI middleware in front of the fakes' routes (the admin API bypasses it). It works out
which fake a request is for and its account *before* the fake's handler runs, so cross-cutting
rules (the journal, the fault engine) apply to every fake the same way.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeservices.core.runtime import Runtime

log = logging.getLogger("fakeservices.http")

ADMIN_PREFIX = "/__admin"
#: Status recorded when the client went away before any response was sent (nginx's convention).
CLIENT_CLOSED = 499


class ServiceGateway:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        runtime = self.runtime
        started = time.time()
        t0 = time.perf_counter()
        method: str = scope["method"]
        routed = runtime.route(method, path)
        if routed is None:
            service, account = "unmatched", ""
        else:
            fake, service = routed
            account = fake.account_of(service, Headers(scope=scope), path)
        # Handlers may refine the account (e.g. from a URL) through request.state.account.
        state: dict[str, Any] = scope.setdefault("state", {})
        state["service"] = service
        state["account"] = account

        cap = runtime.config.journal_body_bytes
        request_body = bytearray()
        response_body = bytearray()
        status = 0

        async def capture_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= cap:
                request_body.extend(message.get("body", b"")[: cap + 1 - len(request_body)])
            return message

        async def capture_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and len(response_body) <= cap:
                response_body.extend(message.get("body", b"")[: cap + 1 - len(response_body)])
            await send(message)

        try:
            await self.app(scope, capture_receive, capture_send)
        finally:
            duration_ms = (time.perf_counter() - t0) * 1000
            final_status = status or CLIENT_CLOSED
            fault = state.get("fault")
            runtime.journal.record(
                service=service,
                method=method,
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                account=state.get("account", account),
                status=final_status,
                started_at=started,
                duration_ms=duration_ms,
                fault=fault,
                request_body=bytes(request_body),
                response_body=bytes(response_body),
            )
            runtime.metrics.inc(
                "fakeservices_requests_total", service=service, status=str(final_status)
            )
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %s %.1fms%s",
                    method,
                    path,
                    final_status,
                    duration_ms,
                    f" fault={fault['type']}" if fault else "",
                )
