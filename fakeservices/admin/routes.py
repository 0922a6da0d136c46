"""Core admin endpoints; each fake adds its own read-back routes next to these."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices import __version__, ui
from fakeservices.admin.accounts import Accounts
from fakeservices.admin.discovery import Discovery
from fakeservices.admin.events import Events
from fakeservices.admin.faults import FaultRoutes
from fakeservices.core.errors import bad_param
from fakeservices.core.http import FastJSONResponse
from fakeservices.core.journal import JournalEntry, entry_filter, status_matcher
from fakeservices.core.openapi import Param
from fakeservices.core.outbound import Delivery, delivery_filters
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Counted

# Services that `POST /__admin/reset?service=` names beyond the fakes themselves.
CORE_RESETTABLE = ("faults", "journal")


def journal_filters(q: Query) -> Any:
    status_spec = q.text("status")
    status = None
    if status_spec:
        try:
            status = status_matcher(status_spec)
        except ValueError:
            raise bad_param(
                "status", f"expected a code like 404 or a class like 5xx, got {status_spec!r}"
            ) from None
    service, method, path = q.text("service"), q.text("method"), q.text("path")
    if not (service or method or path or status):
        return None
    return entry_filter(service=service, method=method, path=path, status=status)


def _deliveries_of(service: str, account: str | None) -> Callable[[Delivery], bool]:
    return lambda d: d.service == service and (account is None or d.account == account)


def journal_summary(e: JournalEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "service": e.service,
        "method": e.method,
        "path": e.path,
        "status": e.status,
        "account": e.account,
    }


class AdminCore:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._counted: dict[str, Counted] | None = None
        self.requests = Readback[JournalEntry](
            name="requests",
            store=runtime.journal.store,
            filters=journal_filters,
            to_json=JournalEntry.to_json,
            summary=journal_summary,
            brief=JournalEntry.head_json,
            filter_params=[
                Param("service", description="stripe, sms, smtp, sendgrid, mailgun, postmark..."),
                Param("method", description="HTTP method (or DATA for SMTP)"),
                Param("path", description="glob, e.g. /v1/payment_intents*"),
                Param("status", description="exact code (402) or class (4xx)"),
            ],
            noun="request",
        )

        self.deliveries = Readback[Delivery](
            name="webhook-deliveries",
            store=runtime.deliveries,
            filters=delivery_filters(),
            to_json=Delivery.to_json,
            summary=Delivery.summary,
            filter_params=[
                Param("service", description="the fake that sent it: stripe or sms"),
                Param("event", description="event type or status, e.g. payment_intent.succeeded"),
                Param("state", description="pending, delivered or failed"),
                Param("ref", description="the object it is about (event id, message sid)"),
                Param("url", description="the receiving URL"),
            ],
            noun="delivery",
        )

    def health_json(self) -> dict[str, Any]:
        # The fakes and their stores are fixed once the runtime is built: gathered on the first
        # health request, not on every one (health is polled hard; building the mapping was a
        # fifth of the endpoint's own time).
        stores = self._counted
        if stores is None:
            stores = self._counted = self.runtime.counted()
        return {
            "status": "ok",
            "version": __version__,
            "http_port": self.runtime.http_port,
            "smtp_port": self.runtime.smtp_port,
            # The newest seq handed out: pass it as `after=` to wait only for what comes next.
            "seq": self.runtime.clock.last,
            "counts": {name: len(s) for name, s in stores.items()},
            "evicted": {name: s.evicted for name, s in stores.items()},
            "loop_lag": self.runtime.loop_lag.snapshot(),
        }

    async def health(self, request: Request) -> Response:
        if request.scope.get("query_string"):  # none takes no parsing (health is polled hard)
            Query(request.query_params).done()
        # Its only floats are milliseconds rounded to 0.1, which orjson writes as the stdlib does.
        return FastJSONResponse(self.health_json())

    async def config(self, request: Request) -> Response:
        Query(request.query_params).done()
        return JSONResponse(self.runtime.config.model_dump())

    async def metrics(self, request: Request) -> Response:
        return PlainTextResponse(
            self.runtime.metrics.render(self.runtime.counted(), self.runtime.loop_lag),
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )

    def resettable(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.runtime.services) + CORE_RESETTABLE

    async def reset(self, request: Request) -> Response:
        q = Query(request.query_params)
        service = q.choice("service", self.resettable())
        account = q.text("account")
        q.done()
        if account == "":
            raise bad_param("account", "must not be empty")
        names = [service] if service else list(self.resettable())
        for fake in self.runtime.services:
            if fake.name in names:
                fake.reset(account)
                self.runtime.deliveries.clear(_deliveries_of(fake.name, account))
        if "faults" in names:
            self.runtime.faults.reset(account)
        if "journal" in names:
            self.runtime.journal.store.reset(account)
        return JSONResponse({"reset": names, "account": account})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(self.runtime.api_doc.render())

    async def docs(self, request: Request) -> Response:
        """The OpenAPI document rendered for a browser, from a page shipped in the package."""
        page = resources.files("fakeservices.admin").joinpath("static/docs.html").read_text()
        return HTMLResponse(page)

    def routes(self) -> list[BaseRoute]:
        doc = self.runtime.api_doc
        discovery = Discovery(self.runtime)
        text, html = {"type": "string"}, "text/html"
        doc.add(
            "GET",
            "/__admin/health",
            "Status, ports, the newest seq, store counts and evictions",
            schema=doc.model("Health"),
        )
        doc.add(
            "GET",
            "/__admin/metrics",
            "Prometheus text format metrics",
            schema=text,
            response_type="text/plain",
        )
        doc.add(
            "GET", "/__admin/config", "The effective configuration", schema=doc.model("ConfigDump")
        )
        doc.add(
            "POST",
            "/__admin/reset",
            "Forget state: everything, one service, or one account",
            [
                Param("service", description="|".join(self.resettable())),
                Param("account", description="only this account's state"),
            ],
            schema=doc.model("ResetResult"),
        )
        doc.add("GET", "/__admin/openapi.json", "This document")
        doc.add("GET", "/__admin/docs", "This document, rendered", schema=text, response_type=html)
        doc.add("GET", "/__admin/", "Every admin endpoint (HTML for a browser)")
        doc.add(
            "GET",
            "/",
            "What this server serves and how to point each SDK at it (a browser is sent to the "
            "web UI)",
        )
        return [
            Route("/", discovery.admin_index, methods=["GET"]),
            Route("/docs", self.docs, methods=["GET"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
            Route("/config", self.config, methods=["GET"]),
            Route("/reset", self.reset, methods=["POST"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            *self.requests.routes(doc),
            *self.deliveries.routes(doc),
            *FaultRoutes(self.runtime.faults).routes(doc),
            *Events(self.runtime).routes(doc),
            *Accounts(self.runtime).routes(doc),
            *ui.routes(doc),
        ]
