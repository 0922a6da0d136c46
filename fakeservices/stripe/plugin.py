"""The Stripe fake as a :class:`FakeService`: routes, stores, reset and native errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers, URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from fakeservices.core.registry import FakeService
from fakeservices.core.routing import HandlerApp
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Counted, Store
from fakeservices.stripe import checkout_page, wire
from fakeservices.stripe.admin import StripeAdmin
from fakeservices.stripe.events import EventLog, StripeEvent
from fakeservices.stripe.model import Accounts, StripeModel
from fakeservices.stripe.model.webhook_endpoints import targets
from fakeservices.stripe.webhooks import WebhookDispatcher

PREFIX = "/v1"


class PrefixRoute(BaseRoute):
    """Every request under ``/v1``, whatever its method or path characters.

    Starlette's ``{rest:path}`` does not match a path holding a newline (``/v1/charges/%0D%0AX``)
    and a route's method list answers others in the admin envelope; Stripe's wire answers both
    itself (404 "Unrecognized request URL").
    """

    def __init__(self, prefix: str, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self.prefix = prefix
        self.endpoint = endpoint
        # Not through Starlette's ``request_response``: its per-request exception wrapper
        # repeats the ExceptionMiddleware's, which handles anything raised here the same way.
        self.app = HandlerApp(endpoint)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/")):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class StripeService(FakeService):
    name = "stripe"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        config = runtime.config
        self.event_store: Store[StripeEvent] = runtime.new_store("stripe_events")
        self.accounts = Accounts(config.max_accounts, config.max_stripe_objects, runtime.time)
        accounts = self.accounts
        self.dispatcher = WebhookDispatcher(
            lambda: runtime.outbound, lambda key, kind: targets(accounts, key, kind)
        )
        self.events = EventLog(self.event_store, self.dispatcher.count, self.dispatcher.deliver)
        self.model = StripeModel(self.accounts, self.events.emit, self.events)
        self.wire = wire.StripeWire(runtime, self.model)
        self.admin = StripeAdmin(runtime, self.model, self.event_store)
        self.checkout_page = checkout_page.CheckoutPage(runtime, self.model)

    async def _handle(self, request: Request) -> Response:
        return await self.wire.handle(request)

    def http_routes(self) -> list[BaseRoute]:
        return [PrefixRoute(PREFIX, self._handle), *self.checkout_page.routes()]

    def admin_routes(self) -> list[BaseRoute]:
        return self.admin.routes()

    def journal_service(self, method: str, path: str) -> str | None:
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return "stripe"
        if path.startswith(checkout_page.PREFIX + "/"):
            return checkout_page.SERVICE
        return None

    def fault_groups(self) -> dict[str, tuple[str, ...]]:
        return {"stripe": ("stripe",), checkout_page.SERVICE: (checkout_page.SERVICE,)}

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        return wire.account_of(headers)

    def stores(self) -> dict[str, Store[Any]]:
        return {"stripe_events": self.event_store}

    def event_views(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        return {"stripe_events": StripeEvent.to_json}

    def counted(self) -> dict[str, Counted]:
        return {"stripe_accounts": self.accounts, "stripe_objects": self.accounts.objects}

    def reset(self, account: str | None) -> None:
        self.accounts.reset(account)
        self.events.reset(account)

    def error_response(self, service: str, status: int, message: str) -> Response:
        if service == checkout_page.SERVICE:
            return checkout_page.message_page("Error", message, status)
        return Response(
            wire.json_bytes(wire.envelope_for_status(status, message)),
            status_code=status,
            headers={"Request-Id": wire.request_id()},
            media_type="application/json",
        )


def create(runtime: Runtime) -> FakeService:
    return StripeService(runtime)
