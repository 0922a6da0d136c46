"""The Starlette application: admin API plus every fake's routes behind the service gateway."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from fakeservices.admin.discovery import Discovery
from fakeservices.admin.routes import AdminCore
from fakeservices.core.errors import AdminError, admin_error
from fakeservices.core.gateway import ServiceGateway
from fakeservices.core.registry import Endpoint
from fakeservices.core.routing import IndexedRouter
from fakeservices.core.runtime import Runtime

log = logging.getLogger("fakeservices")


async def _admin_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Under a fake's prefix, a 404 or 405 from the router is the fake's to answer, natively.
    endpoint: Endpoint | None = request.scope.get("state", {}).get("endpoint")
    if endpoint is not None and exc.status_code in (404, 405):
        response = endpoint.not_routed(exc.status_code, request.method, request.url.path)
        response.headers.update(exc.headers or {})
        return response
    if exc.status_code == 404:
        return admin_error(404, "not_found", f"No route for {request.method} {request.url.path}")
    if exc.status_code == 405:
        return admin_error(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
        )
    return admin_error(exc.status_code, "http_error", str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return admin_error(500, "internal_error", f"{type(exc).__name__}: {exc}")


def build_app(runtime: Runtime) -> Starlette:
    admin = AdminCore(runtime)
    admin_routes: list[BaseRoute] = admin.routes()
    fake_routes: list[BaseRoute] = []
    for service in runtime.services:
        admin_routes += service.admin_routes()
        fake_routes += service.http_routes()
    routes: list[BaseRoute] = [
        Route("/", Discovery(runtime).root, methods=["GET"]),
        Mount("/__admin", app=IndexedRouter(admin_routes)),
        *fake_routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ServiceGateway, runtime=runtime)],
        exception_handlers={
            AdminError: _admin_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    # The same routes, tried only where they can match (core/routing.py): set before the first
    # request, which builds the middleware stack around app.router.
    app.router = IndexedRouter(routes)
    # Endpoints that must know the server is stopping (a long-poll cut short) read it here.
    app.state.runtime = runtime
    return app
