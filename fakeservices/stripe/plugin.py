"""The Stripe fake as a :class:`FakeService`: routes, stores, reset and native errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.registry import FakeService
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Counted, Store
from fakeservices.stripe import wire
from fakeservices.stripe.admin import StripeAdmin
from fakeservices.stripe.events import EventLog, StripeEvent
from fakeservices.stripe.model import StripeModel
from fakeservices.stripe.webhooks import WebhookDispatcher

METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]


class StripeService(FakeService):
    name = "stripe"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.event_store: Store[StripeEvent] = runtime.new_store("stripe_events")
        self.model = StripeModel(
            lambda *a: self.events.emit(*a), max_accounts=runtime.config.max_accounts
        )
        self.dispatcher = WebhookDispatcher(lambda: runtime.outbound, self.model.endpoints_for)
        self.events = EventLog(self.event_store, self.dispatcher.count, self.dispatcher.deliver)
        self.wire = wire.StripeWire(runtime, self.model, self.events)
        self.admin = StripeAdmin(runtime, self.model, self.event_store)

    async def _handle(self, request: Request) -> Response:
        return await self.wire.handle(request)

    def http_routes(self) -> list[BaseRoute]:
        return [
            Route("/v1", self._handle, methods=METHODS),
            Route("/v1/{rest:path}", self._handle, methods=METHODS),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return self.admin.routes()

    def journal_service(self, method: str, path: str) -> str | None:
        return "stripe" if path == "/v1" or path.startswith("/v1/") else None

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        return wire.account_of(headers)

    def stores(self) -> dict[str, Store[Any]]:
        return {"stripe_events": self.event_store}

    def event_views(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        return {"stripe_events": StripeEvent.to_json}

    def counted(self) -> dict[str, Counted]:
        return {"stripe_accounts": self.model}

    def reset(self, account: str | None) -> None:
        self.model.reset(account)
        self.events.reset(account)

    def error_response(self, service: str, status: int, message: str) -> Response:
        return Response(
            wire.json_bytes(wire.envelope_for_status(status, message)),
            status_code=status,
            headers={"Request-Id": wire.request_id()},
            media_type="application/json",
        )


def create(runtime: Runtime) -> FakeService:
    return StripeService(runtime)
