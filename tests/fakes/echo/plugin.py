"""The echo fake: stores what is POSTed to /echo/items, under the X-Echo-Account header."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.core.registry import FakeService
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Store

_ids = itertools.count(1)


@dataclass(slots=True, eq=False)
class EchoItem:
    account: str
    text: str
    id: str = field(default_factory=lambda: f"echo_{next(_ids)}")
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "account": self.account, "text": self.text}


def _filters(q: Query) -> Any:
    text = q.text("text")
    return None if text is None else (lambda it: it.text == text)


class EchoFake(FakeService):
    name = "echo"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.items: Store[EchoItem] = runtime.new_store("echo_items")
        self.readback = Readback[EchoItem](
            name="echo-items",
            store=self.items,
            filters=_filters,
            to_json=EchoItem.to_json,
            summary=EchoItem.to_json,
        )

    def journal_service(self, method: str, path: str) -> str | None:
        return "echo" if path.startswith("/echo/") else None

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        return headers.get("x-echo-account", "")

    def stores(self) -> dict[str, Store[Any]]:
        return {"echo_items": self.items}

    def reset(self, account: str | None) -> None:
        self.items.clear(None if account is None else (lambda it: it.account == account))

    async def create(self, request: Request) -> Response:
        account = request.state.account
        if not account:
            return JSONResponse({"echo_error": "no account"}, status_code=401)
        item = self.items.add(EchoItem(account, (await request.body()).decode()))
        return JSONResponse(item.to_json(), status_code=201)

    async def boom(self, request: Request) -> Response:
        """A bug in a fake: what the gateway's error boundary is tested with."""
        raise RuntimeError("the echo fake fails here on purpose")

    def http_routes(self) -> list[BaseRoute]:
        return [
            Route("/echo/items", self.create, methods=["POST"]),
            Route("/echo/boom", self.boom, methods=["GET", "POST"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return self.readback.routes(self.runtime.api_doc)


def create(runtime: Runtime) -> FakeService:
    return EchoFake(runtime)
