"""The one point every HTTP request to a fake passes: routing to a service, journal, log line.

A pure ASGI middleware in front of the fakes' routes (the admin API and `/` bypass it). It works out
which fake a request is for and its account *before* the fake's handler runs, so cross-cutting
rules (the journal, the fault engine) apply to every fake the same way.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeservices.core.disconnect import (
    TRANSPORT_KEY,
    disconnected,
    reset_connection,
    until_disconnect,
)
from fakeservices.core.errors import admin_error
from fakeservices.core.faults import FaultContext, FaultRule
from fakeservices.core.logs import info_line
from fakeservices.core.metrics import CounterKey, counter_key
from fakeservices.core.registry import Endpoint, default_reason
from fakeservices.core.routing import PathMemory
from fakeservices.core.runtime import Runtime

if TYPE_CHECKING:
    from fakeservices.core.faults import ErrorAction

log = logging.getLogger("fakeservices.http")

ADMIN_PREFIX = "/__admin"
#: ``GET /`` describes the server (admin/discovery.py); like the admin API it is no fake's.
#: ``POST /`` is (Amazon SES's query API), so it passes the gateway like any fake request.
DISCOVERY_PATH = "/"
#: Status recorded when the client went away before any response was sent (nginx's convention).
CLIENT_CLOSED = 499
#: Status recorded when an injected fault sent no response at all (drop, timeout).
NO_RESPONSE = 0
MALFORMED_BODY = b'{"object": "fault", "message": "this body was cut short by an injected fault'


#: Distinct (method, path) pairs whose endpoint :class:`ServiceGateway` remembers; past this the
#: memory is emptied and refilled (paths with ids in them never repeat).
ROUTE_MEMORY = 1024
#: Longer paths are routed each time instead of remembered (bounds that memory's size).
ROUTE_MEMORY_PATH_CHARS = 256


class ServiceGateway:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        # Which endpoint serves a path is fixed once the fakes are loaded, and asking each fake
        # (the email fake tries its providers' patterns in turn) cost a twentieth of a send.
        self._routes: PathMemory[tuple[str, str], tuple[str, Endpoint | None]] = PathMemory(
            ROUTE_MEMORY, ROUTE_MEMORY_PATH_CHARS
        )
        # The request counter's key per (service, status), built once (labels sorted).
        self._counter_keys: dict[tuple[str, int], CounterKey] = {}

    def _route(self, method: str, path: str) -> tuple[str, Endpoint | None]:
        """The journal's service name and the endpoint for ``method path`` (remembered)."""
        return self._routes.recall((method, path), path, self._find, method, path)

    def _find(self, method: str, path: str) -> tuple[str, Endpoint | None]:
        routed = self.runtime.route(method, path)
        return ("unmatched", None) if routed is None else (routed[1].name, routed[1])

    def _count(self, service: str, status: int) -> None:
        key = self._counter_keys.get((service, status))
        if key is None:
            key = counter_key("fakeservices_requests_total", service=service, status=str(status))
            self._counter_keys[(service, status)] = key
        self.runtime.metrics.inc_key(key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or path.startswith(ADMIN_PREFIX)
            or (path == DISCOVERY_PATH and scope["method"] != "POST")
        ):
            await self.app(scope, receive, send)
            return
        runtime = self.runtime
        started = time.time()
        t0 = time.perf_counter()
        method: str = scope["method"]
        service, endpoint = self._route(method, path)
        account = "" if endpoint is None else endpoint.account_of(Headers(scope=scope), path)
        # Handlers may refine the account (e.g. from a URL) through request.state.account.
        state: dict[str, Any] = scope.setdefault("state", {})
        state["service"] = service
        state["account"] = account
        # The app's 404/405 handler answers in this endpoint's envelope (app.py).
        state["endpoint"] = endpoint

        cap = runtime.config.journal_body_bytes
        # Copied as they pass, not kept as the objects the server and the app made: a response
        # body orjson wrote holds orjson's whole write buffer (see core/jsonio.kept). Keeping those
        # cost 80 MiB more RSS in the bench's load section (bench/NOTES.md, 2026-11-30).
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
            rule, retry_after = None, 0
            if endpoint is not None and runtime.faults.rules:
                rule, retry_after, receive = await self._pick_fault(
                    endpoint, account, scope, receive
                )
            if endpoint is None or rule is None:
                await self.app(scope, capture_receive, capture_send)
            else:
                state["fault"] = rule.brief()
                runtime.metrics.inc(
                    "fakeservices_faults_fired_total", service=service, type=rule.spec.action.type
                )
                await self._apply(rule, retry_after, endpoint, scope, capture_receive, capture_send)
        except Exception:
            # The outermost boundary: a bug anywhere below answers in the fake's own 500
            # envelope and is journaled as 500. Once a response has started nothing can be
            # said; the exception goes on to the server, and the journal keeps that status.
            if status:
                raise
            log.exception("unhandled error on %s %s", method, path)
            await server_error(endpoint, method, path)(scope, capture_receive, capture_send)
        finally:
            duration_ms = (time.perf_counter() - t0) * 1000
            fault = state.get("fault")
            final_status = status or (NO_RESPONSE if fault else CLIENT_CLOSED)
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
            self._count(service, final_status)
            if log.isEnabledFor(logging.INFO):
                shown = f" fault={fault['type']}" if fault else ""
                info_line(log, f"{method} {path} {final_status} {duration_ms:.1f}ms{shown}")

    async def _pick_fault(
        self, endpoint: Endpoint, account: str, scope: Scope, receive: Receive
    ) -> tuple[FaultRule | None, int, Receive]:
        """The rule that fires for this request, if any, and its ``Retry-After`` (rate limits);
        reads the body only if a rule needs it."""
        faults = self.runtime.faults
        ctx = FaultContext(endpoint.name, account, method=scope["method"], path=scope["path"])
        if faults.needs_addresses(endpoint.name):
            body, receive = await buffer_body(receive)
            sender, recipients = endpoint.addresses(Headers(scope=scope), body)
            ctx.sender, ctx.recipients = sender, tuple(recipients)
        return faults.pick(ctx), ctx.retry_after, receive

    async def _apply(
        self,
        rule: FaultRule,
        retry_after: int,
        endpoint: Endpoint,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        # The rule models (pydantic) are imported with the first rule, not at start-up.
        from fakeservices.core.faults import (
            DelayAction,
            DropAction,
            ErrorAction,
            MalformedAction,
            RateLimitAction,
            TimeoutAction,
        )

        action = rule.spec.action
        runtime = self.runtime
        if isinstance(action, RateLimitAction):
            response = endpoint.rate_limited(action.describe(retry_after), retry_after)
            response.headers["Retry-After"] = str(retry_after)
            await response(scope, receive, send)
        elif isinstance(action, DelayAction):
            await runtime.hold(action.seconds(rule.rng))
            await self.app(scope, receive, send)
        elif isinstance(action, ErrorAction):
            await error_response(rule, action, endpoint)(scope, receive, send)
        elif isinstance(action, MalformedAction):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(MALFORMED_BODY)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": MALFORMED_BODY})
        elif isinstance(action, TimeoutAction):
            # Held open, answering nothing, until the client gives up or --hold-seconds pass.
            await until_disconnect(receive, runtime.hold(runtime.config.hold_seconds))
            self._drop(scope)
            await disconnected(receive)
        elif isinstance(action, DropAction):
            self._drop(scope)
            await disconnected(receive)
        else:  # smtp_reply never matches an HTTP request
            await self.app(scope, receive, send)

    @staticmethod
    def _drop(scope: Scope) -> None:
        transport = scope.get(TRANSPORT_KEY)
        if transport is None:
            raise RuntimeError("drop needs the TransportTap in front of the app")
        reset_connection(transport)


def error_response(rule: FaultRule, action: ErrorAction, endpoint: Endpoint) -> Response:
    """The rule's own body, or the endpoint's native error envelope for the status."""
    response: Response
    if action.body is None:
        message = f"Injected fault {rule.id}: HTTP {action.status}"
        response = endpoint.error_response(action.status, message)
    elif isinstance(action.body, str):
        response = Response(action.body, status_code=action.status, media_type="text/plain")
    else:
        response = JSONResponse(action.body, status_code=action.status)
    response.headers.update(action.headers)
    return response


def server_error(endpoint: Endpoint | None, method: str, path: str) -> Response:
    """The answer to an unexpected exception: the endpoint's native 500, or the admin one."""
    if endpoint is not None:
        return endpoint.not_routed(500, method, path)
    return admin_error(500, "internal_error", default_reason(500, method, path))


async def buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body; return it and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
