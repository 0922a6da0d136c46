"""Admin read-back routes, written once for every store: list, get, delete and wait.

Each fake describes its store's filters; this module adds the common parameters (``account``,
``after``, ``limit``; ``count`` and ``timeout`` for waits), the list envelope
``{"data", "has_more", "next_after"}``, and the long-poll that answers 200 as soon as ``count``
items match or 408 with ``matched`` and the ``recent`` near misses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.disconnect import until_disconnect
from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.core.store import Page, Record, Store

T = TypeVar("T", bound=Record)

MAX_WAIT_SECONDS = 120.0


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

    # -- parsing ---------------------------------------------------------------------------
    def predicate(self, q: Query) -> Callable[[T], bool]:
        account = q.text("account")
        own = self.filters(q)
        if account is None and own is None:
            return lambda _item: True
        if own is None:
            return lambda item: item.account == account
        if account is None:
            return own
        return lambda item: item.account == account and own(item)

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
        pred = self.predicate(q)
        after = q.integer("after", 0, 0, 2**62)
        limit = q.integer("limit", 100, 1, 1000)
        summary = self.brief is not None and q.choice("view", ("full", "summary")) == "summary"
        q.done()
        page = self.store.query(pred, after, limit)
        if not summary:
            await self._prepare(page.items)
        return JSONResponse(self.page_json(page, summary))

    async def _prepare(self, items: Sequence[T]) -> None:
        if self.prepare is not None and items:
            await self.prepare(items)

    async def get(self, request: Request) -> Response:
        item = self.lookup(request.path_params["id"])
        await self._prepare([item])
        return JSONResponse(self.to_json(item))

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
        pred = self.predicate(q)
        q.done()
        return JSONResponse({"deleted": self.store.clear(pred)})

    async def wait(self, request: Request) -> Response:
        q = Query(request.query_params)
        pred = self.predicate(q)
        after = q.integer("after", 0, 0, 2**62)
        limit = q.integer("limit", 100, 1, 1000)
        count = q.integer("count", 1, 1, 10_000)
        timeout = q.number("timeout", 10.0, 0.0, MAX_WAIT_SECONDS)
        q.done()
        result = await until_disconnect(
            request.receive, self.store.wait(pred, count, after, timeout)
        )
        if result is None:  # the client went away; nobody reads this response
            return Response(status_code=499)
        if result.satisfied:
            items = result.items[:limit]
            await self._prepare(items)
            next_after = items[-1].seq if items else after
            return JSONResponse(
                {
                    "data": [self.to_json(i) for i in items],
                    "has_more": len(result.items) > limit,
                    "next_after": next_after,
                }
            )
        # Near misses stay within the account asked about: other tenants' items are not shown.
        account = request.query_params.get("account")
        near = self.store.latest_not_matching(
            pred if account is None else (lambda i: i.account != account or pred(i))
        )
        recent = [self.summary(i) for i in near]
        shown = "; ".join(
            ", ".join(f"{k}={v}" for k, v in s.items() if k not in ("seq", "id")) for s in recent
        )
        filt = {k: v for k, v in request.query_params.items() if k not in ("timeout", "count")}
        message = (
            f"Timed out after {timeout:g}s waiting for {count} {self.name} matching {filt}: "
            f"{len(result.items)} matched."
            + (f" Most recent that did not match: {shown}" if recent else f" No other {self.name}.")
        )
        raise AdminError(408, "wait_timeout", message, matched=len(result.items), recent=recent)

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        base = f"/{self.name}"
        common = [
            Param("account", description="only this account (credential)"),
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
        doc.add("GET", full, f"List {self.name}, oldest first", params + views)
        doc.add("DELETE", full, f"Delete {self.name} (matching the filters)", params)
        doc.add(
            "GET",
            f"{full}/wait",
            f"Wait until count {self.name} match",
            wait_params,
            {200: "The matching items", 408: "Timed out: matched count and recent near misses"},
        )
        doc.add("GET", f"{full}/{{id}}", f"One {self.noun}", [path_id])
        doc.add("DELETE", f"{full}/{{id}}", f"Delete one {self.noun}", [path_id])
        return [
            Route(base, self.list_items, methods=["GET"]),
            Route(base, self.delete, methods=["DELETE"]),
            Route(f"{base}/wait", self.wait, methods=["GET"]),
            Route(f"{base}/{{id}}", self.get, methods=["GET"]),
            Route(f"{base}/{{id}}", self.delete_one, methods=["DELETE"]),
        ]
