"""``GET /__admin/stripe/objects``: the Stripe objects each account (secret key) holds.

What the web UI lists under Stripe (PaymentIntents, customers, charges, ... and any kind a later
resource adds, such as Checkout Sessions), across accounts or for some. Read only; objects are
shown as the API returns them (ids of related objects, not expanded), newest first as Stripe
lists them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import bad_param
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.stripe.model import StripeModel


class StripeObjects:
    def __init__(self, model: StripeModel) -> None:
        self.model = model

    async def list_objects(self, request: Request) -> Response:
        q = Query(request.query_params)
        accounts = q.texts("account")
        kind = q.text("object")
        limit = q.integer("limit", 100, 1, 1000)
        q.done()
        if "" in accounts:
            raise bad_param("account", "must not be empty")
        keys = accounts or list(self.model.accounts.keys())
        kinds: dict[str, int] = {}
        found: list[tuple[int, int, str, dict[str, Any]]] = []
        for key in keys:
            acct = self.model.accounts.get(key)
            if acct is None:
                continue
            for name, objs in acct.by_kind.items():
                if objs:
                    kinds[name] = kinds.get(name, 0) + len(objs)
            source = acct.of_kind(kind) if kind else list(reversed(acct.objects.values()))
            # Newest first across accounts: by created, then by position within the account.
            found += [(o.get("created", 0), -i, key, o) for i, o in enumerate(source[: limit + 1])]
        found.sort(key=lambda t: (t[0], t[1]), reverse=True)
        data = [{"account": key, "resource": obj} for _, _, key, obj in found[:limit]]
        return JSONResponse({"data": data, "has_more": len(found) > limit, "kinds": kinds})

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        doc.add(
            "GET",
            "/__admin/stripe/objects",
            "The Stripe objects held, newest first, with the count of each kind",
            [
                Param(
                    "account", description="only these secret keys (repeatable)", repeatable=True
                ),
                Param("object", description="only this kind, e.g. payment_intent or customer"),
                Param("limit", "integer", "1-1000, default 100"),
            ],
            schema={
                "type": "object",
                "required": ["data", "has_more", "kinds"],
                "properties": {
                    "data": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["account", "resource"],
                            "properties": {
                                "account": {"type": "string"},
                                "resource": {"type": "object"},
                            },
                        },
                    },
                    "has_more": {"type": "boolean"},
                    "kinds": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
        )
        return [Route("/stripe/objects", self.list_objects, methods=["GET"])]
