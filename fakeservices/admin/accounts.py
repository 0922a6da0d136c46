"""``GET /__admin/accounts``: every account (credential) the stores hold items of, with counts.

The web UI's account switcher starts from it (and learns new accounts from the events stream).
"""

from __future__ import annotations

from collections import Counter

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.openapi import ApiDoc
from fakeservices.core.query import Query
from fakeservices.core.runtime import Runtime


class Accounts:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def counts(self) -> dict[str, dict[str, int]]:
        """Account -> store -> items held (accounts in order of first appearance by store)."""
        out: dict[str, dict[str, int]] = {}
        for name, store in self.runtime.stores().items():
            for account, n in Counter(i.account for i in store.values() if i.account).items():
                out.setdefault(account, {})[name] = n
        return out

    async def list_accounts(self, request: Request) -> Response:
        Query(request.query_params).done()
        data = [
            {"account": account, "counts": counts}
            for account, counts in sorted(self.counts().items())
        ]
        return JSONResponse({"data": data})

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        item = {
            "type": "object",
            "required": ["account", "counts"],
            "properties": {
                "account": {"type": "string"},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        }
        doc.add(
            "GET",
            "/__admin/accounts",
            "Every account the stores hold items of, with the items held per store",
            schema={
                "type": "object",
                "required": ["data"],
                "properties": {"data": {"type": "array", "items": item}},
            },
        )
        return [Route("/accounts", self.list_accounts, methods=["GET"])]
