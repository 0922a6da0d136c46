"""Admin read-back routes, written once for every store: list, get, delete and wait.

Each fake describes its store's filters; this module adds the common parameters (``account``,
repeatable, and ``shared_after``: the scope; ``after``, ``limit``; ``count`` and ``timeout`` for
waits), the list envelope ``{"data", "has_more", "next_after"}``, and the long-poll that answers
200 as soon as ``count`` items match, 408 with ``matched`` and the ``recent`` near misses (from
the same scope), or 503 ``shutting_down`` when the server stops under it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.accounts import is_shared
from fakeservices.core.disconnect import until_disconnect
from fakeservices.core.errors import AdminError, bad_param
from fakeservices.core.http import json_response
from fakeservices.core.openapi import ApiDoc, ModelRef, Param
from fakeservices.core.query import Query
from fakeservices.core.store import Page, Record, Store

T = TypeVar("T", bound=Record)

#: The item model of each read-back collection (by its path under ``/__admin``), named in
#: :mod:`fakeservices.schemas`; any other collection's items are described as ``Item``.
READBACK_MODELS: dict[str, str] = {
    "emails": "Email",
    "sms": "Sms",
    "requests": "Request",
    "webhook-deliveries": "WebhookDelivery",
    "stripe/webhook-deliveries": "WebhookDelivery",
    "stripe/events": "StripeEvent",
}

MAX_WAIT_SECONDS = 120.0
MAX_SEQ = 2**62


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose items a request sees: ``(account in accounts) OR (shared AND seq > shared_after)``.

    No ``account`` and no ``shared_after`` means every account (the plain client, curl).
    """

    accounts: frozenset[str] = frozenset()
    shared_after: int | None = None

    @classmethod
    def of(cls, q: Query) -> Scope:
        accounts = q.texts("account")
        if "" in accounts:
            raise bad_param("account", "must not be empty")
        shared_after = q.integer("shared_after", -1, 0, MAX_SEQ)
        return cls(frozenset(accounts), None if shared_after < 0 else shared_after)

    @property
    def everything(self) -> bool:
        return not self.accounts and self.shared_after is None

    def __call__(self, item: Record) -> bool:
        if self.everything or item.account in self.accounts:
            return True
        return (
            self.shared_after is not None
            and item.seq > self.shared_after
            and is_shared(item.account)
        )


@dataclass
class Readback(Generic[T]):
    """Read-back routes for one store, mounted at ``/__admin/<name>``."""

    name: str
    store: Store[T]
    #: Reads the fake's own filters from the query and returns a predicate (None: no filter).
    filters: Callable[[Query], Callable[[T], bool] | None]
    to_json: Callable[[T], dict[str, Any]]
    summary: Callable[[T], dict[str, Any]]
    filter_params: list[Param] = field(default_factory=list)
    noun: str = "item"
    #: A short form of an item that is cheap to build; when set, the list takes ``view=summary``.
    brief: Callable[[T], dict[str, Any]] | None = None
    #: Awaited with the items about to be rendered by ``to_json`` (e.g. to parse big ones in a
    #: worker thread first).
    prepare: Callable[[Sequence[T]], Awaitable[None]] | None = None
    #: For a filter that reads costly fields: given the query, a coroutine function awaited with
    #: the items (in scope, ``seq > after``) the filter is about to test, which computes those
    #: fields off the event loop first; None when the query's filter is cheap.
    filter_prepare: Callable[[Query], Callable[[Sequence[T]], Awaitable[None]] | None] | None = None
    #: The pydantic model of one item in the OpenAPI document, or the name of one in
    #: :mod:`fakeservices.schemas` (default: by ``name``).
    model: ModelRef | None = None
    #: About how many bytes an item's ``to_json`` renders to (its big strings); items weighing
    #: more than :data:`~fakeservices.core.jsonio.RENDER_OFFLOAD_BYTES` together are rendered
    #: off the loop (:func:`~fakeservices.core.http.json_response`). None: items are small.
    weight: Callable[[T], int] | None = None

    # -- parsing ---------------------------------------------------------------------------
    def predicate(self, q: Query) -> Callable[[T], bool]:
        return self.scoped_predicate(q)[0]

    def scoped_predicate(self, q: Query) -> tuple[Callable[[T], bool], Scope]:
        """The request's filter (scope AND the fake's own filters) and its scope alone."""
        scope = Scope.of(q)
        own = self.filters(q)
        if scope.everything:
            return (own if own is not None else (lambda _item: True)), scope
        if own is None:
            return scope, scope
        return (lambda item: scope(item) and own(item)), scope

    async def _ready(self, q: Query, scope: Scope, after: int) -> None:
        """Have the filter's costly fields computed (off the loop) for the items it will test."""
        prepare = self.filter_prepare(q) if self.filter_prepare is not None else None
        if prepare is not None:
            items = [i for i in self.store.since(after) if scope(i)]
            if items:
                await prepare(items)

    def page_json(self, page: Page[T], summary: bool = False) -> dict[str, Any]:
        render = self.brief if summary and self.brief is not None else self.to_json
        return {
            "data": [render(i) for i in page.items],
            "has_more": page.has_more,
            "next_after": page.next_after,
        }

    # -- endpoints -------------------------------------------------------------------------
    async def list_items(self, request: Request) -> Response:
        q = Query(request.query_params)
        pred, scope = self.scoped_predicate(q)
        after = q.integer("after", 0, 0, MAX_SEQ)
        limit = q.integer("limit", 100, 1, 1000)
        summary = self.brief is not None and q.choice("view", ("full", "summary")) == "summary"
        q.done()
        await self._ready(q, scope, after)
        page = self.store.query(pred, after, limit)
        if summary:
            return JSONResponse(self.page_json(page, summary))
        await self._prepare(page.items)
        return await self._respond(self.page_json(page), page.items)

    async def _prepare(self, items: Sequence[T]) -> None:
        if self.prepare is not None and items:
            await self.prepare(items)

    async def _respond(self, content: dict[str, Any], items: Sequence[T]) -> Response:
        """``JSONResponse(content)``, byte for byte; rendered off the loop when items are big."""
        weight = self.weight
        if weight is None:
            return JSONResponse(content)
        return await json_response(content, sum(weight(i) for i in items))

    async def get(self, request: Request) -> Response:
        item = self.lookup(request.path_params["id"])
        await self._prepare([item])
        return await self._respond(self.to_json(item), [item])

    def lookup(self, item_id: str) -> T:
        item = self.store.get(item_id)
        if item is None:
            raise AdminError(404, "not_found", f"No {self.noun} with id {item_id!r}")
        return item

    async def delete_one(self, request: Request) -> Response:
        item_id = request.path_params["id"]
        if not self.store.delete(item_id):
            raise AdminError(404, "not_found", f"No {self.noun} with id {item_id!r}")
        return JSONResponse({"deleted": 1})

    async def delete(self, request: Request) -> Response:
        q = Query(request.query_params)
        pred, scope = self.scoped_predicate(q)
        q.done()
        await self._ready(q, scope, 0)
        return JSONResponse({"deleted": self.store.clear(pred)})

    async def wait(self, request: Request) -> Response:
        q = Query(request.query_params)
        pred, scope = self.scoped_predicate(q)
        after = q.integer("after", 0, 0, MAX_SEQ)
        limit = q.integer("limit", 100, 1, 1000)
        count = q.integer("count", 1, 1, 10_000)
        timeout = q.number("timeout", 10.0, 0.0, MAX_WAIT_SECONDS)
        q.done()
        await self._ready(q, scope, after)
        result = await until_disconnect(
            request.receive, self.store.wait(pred, count, after, timeout)
        )
        if result is None:  # the client went away; nobody reads this response
            return Response(status_code=499)
        if result.satisfied:
            items = result.items[:limit]
            await self._prepare(items)
            next_after = items[-1].seq if items else after
            return await self._respond(
                {
                    "data": [self.to_json(i) for i in items],
                    "has_more": len(result.items) > limit,
                    "next_after": next_after,
                },
                items,
            )
        if _shutting_down(request):
            raise AdminError(
                503,
                "shutting_down",
                f"The server is shutting down: this wait for {count} {self.name} ended early "
                f"with {len(result.items)} matched.",
                matched=len(result.items),
            )
        # Near misses stay within the scope asked about: other tenants' items are not shown.
        near = self.store.latest_not_matching(lambda i: not scope(i) or pred(i))
        recent = [self.summary(i) for i in near]
        shown = "; ".join(
            ", ".join(f"{k}={v}" for k, v in s.items() if k not in ("seq", "id")) for s in recent
        )
        filt = (
            ", ".join(
                f"{k}={v}"
                for k, v in request.query_params.multi_items()
                if k not in ("timeout", "count")
            )
            or "anything"
        )
        message = (
            f"Timed out after {timeout:g}s waiting for {count} {self.name} matching {filt}: "
            f"{len(result.items)} matched."
            + (f" Most recent that did not match: {shown}" if recent else f" No other {self.name}.")
        )
        raise AdminError(408, "wait_timeout", message, matched=len(result.items), recent=recent)

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        base = f"/{self.name}"
        common = [
            Param(
                "account",
                description="only these accounts (credentials); repeatable: account=a&account=b",
                repeatable=True,
            ),
            Param(
                "shared_after",
                "integer",
                "also items of shared accounts (default, or any credential not issued per test) "
                "with seq greater than this",
            ),
            Param("after", "integer", "only items with seq greater than this"),
            Param("limit", "integer", "1-1000, default 100"),
        ]
        params = common + self.filter_params
        wait_params = [
            *params,
            Param("count", "integer", "how many matches to wait for (default 1)"),
            Param("timeout", "number", "seconds, default 10, max 120"),
        ]
        path_id = Param("id", location="path")
        full = f"/__admin{base}"
        views = [Param("view", description="full (default) or summary")] if self.brief else []
        model = self.model or READBACK_MODELS.get(self.name, "Item")
        page, one, deleted = doc.page(model), doc.model(model), doc.model("Deleted")
        doc.add("GET", full, f"List {self.name}, oldest first", params + views, schema=page)
        doc.add(
            "DELETE", full, f"Delete {self.name} (matching the filters)", params, schema=deleted
        )
        doc.add(
            "GET",
            f"{full}/wait",
            f"Wait until count {self.name} match",
            wait_params,
            {
                200: "The matching items",
                408: "Timed out: matched count and recent near misses",
                503: "The server is shutting down",
            },
            schema=page,
        )
        doc.add("GET", f"{full}/{{id}}", f"One {self.noun}", [path_id], schema=one)
        doc.add("DELETE", f"{full}/{{id}}", f"Delete one {self.noun}", [path_id], schema=deleted)
        return [
            Route(base, self.list_items, methods=["GET"]),
            Route(base, self.delete, methods=["DELETE"]),
            Route(f"{base}/wait", self.wait, methods=["GET"]),
            Route(f"{base}/{{id}}", self.get, methods=["GET"]),
            Route(f"{base}/{{id}}", self.delete_one, methods=["DELETE"]),
        ]


def _shutting_down(request: Request) -> bool:
    """True once the server that runs this app has begun to stop (a wait cut short by it)."""
    runtime = getattr(request.app.state, "runtime", None)
    return bool(getattr(runtime, "shutting_down", False))
