"""The shapes the Stripe fake is built from: resources declaring routes, an injected clock.

These drive the model and the route table directly (no HTTP): what they prove is structural
(fixed segments beat ``{id}`` whatever the order; every timestamp comes from the context's clock).
"""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from fakeservices.core.clock import ManualClock
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import StripeError
from fakeservices.stripe.model import Accounts, Ctx, Obj, Page, Resource, StripeModel
from fakeservices.stripe.model.resource import endpoint
from fakeservices.stripe.routing import RouteTable


class Things(Resource):
    """A resource that declares ``{id}`` before the fixed ``find`` beside it."""

    @endpoint("GET", "/v1/things/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, thing_id: str) -> str:
        return f"retrieve {thing_id}"

    @endpoint("GET", "/v1/things/{id}/parts/{id}", P.ONLY_EXPAND)
    def sub(self, ctx: Ctx, p: Obj, thing_id: str, part_id: str) -> str:
        return f"{thing_id}/{part_id}"

    @endpoint("GET", "/v1/things/find", P.ONLY_EXPAND)
    @endpoint("GET", "/v1/things/find/all", P.ONLY_EXPAND)
    def find(self, ctx: Ctx, p: Obj) -> str:
        return "find"


def call(table: RouteTable, method: str, path: str) -> Any:
    found = table.match(method, path)
    if found is None:
        return None
    route, ids = found
    return route(Ctx("sk_test_x"), {}, ids)


def test_fixed_segments_win_over_ids_whatever_the_order() -> None:
    table = RouteTable([Things()])
    assert [e.path for e in Things.endpoints] == [
        "/v1/things/{id}",
        "/v1/things/{id}/parts/{id}",
        "/v1/things/find/all",
        "/v1/things/find",
    ]
    assert call(table, "GET", "/v1/things/find") == call(table, "GET", "/v1/things/find/all")
    assert call(table, "GET", "/v1/things/find") == "find"
    assert call(table, "GET", "/v1/things/th_1") == "retrieve th_1"
    assert call(table, "GET", "/v1/things/th_1/parts/pt_2") == "th_1/pt_2"
    for method, path in [
        ("POST", "/v1/things/th_1"),  # a method the path does not serve
        ("GET", "/v1/things/"),  # an empty id
        ("GET", "/v1/things/search"),  # Stripe's fixed name is never an id
        ("GET", "/v1/things/a\r\nb"),  # nor is text with control characters
        ("GET", "/v1/things/th_1/parts"),
    ]:
        assert call(table, method, path) is None, (method, path)


def test_paths_without_ids_are_looked_up_as_the_walk_finds_them() -> None:
    """Fixed paths are answered from a dict before the segment walk; for every endpoint of the
    real model the answer is the walk's own."""
    accounts = Accounts()
    model = StripeModel(accounts, lambda ctx, kind, obj, prev: None, _NoEvents())
    table = RouteTable(model.resources)
    fixed = [e for r in model.resources for e in r.endpoints if "{id}" not in e.path]
    assert len(fixed) > 20
    for e in fixed:
        walked = table._walk(table._root, e.path[1:].split("/"), 0, e.method, ())
        assert walked is not None and table.match(e.method, e.path) == walked
        assert walked[0].endpoint is e


class _NoEvents:
    def body(self, account: str, event_id: str) -> Obj | None:
        return None

    def newest_first(self, account: str, pred: Any) -> list[Obj]:
        return []


def test_two_endpoints_for_one_route_are_refused() -> None:
    with pytest.raises(ValueError, match=r"two endpoints for GET /v1/things/\{id\}"):
        RouteTable([Things(), Things()])


def test_every_timestamp_comes_from_the_context_clock() -> None:
    start = calendar.timegm((2031, 5, 17, 12, 0, 0))
    clock = ManualClock(start)
    accounts = Accounts(clock=clock)
    emitted: list[tuple[str, int]] = []

    class Log:
        def body(self, account: str, event_id: str) -> Obj | None:
            return None

        def newest_first(self, account: str, pred: Any) -> list[Obj]:
            return []

    model = StripeModel(
        accounts, lambda ctx, kind, obj, prev: emitted.append((kind, ctx.now())), Log()
    )
    ctx = accounts.context("sk_test_clock")
    pi = model.payment_intents.create(
        ctx,
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "payment_method_types": ["card"],
        },
    )
    charge = accounts.find("sk_test_clock", pi["latest_charge"])
    assert charge is not None
    txn = accounts.find("sk_test_clock", charge["balance_transaction"])
    assert txn is not None
    pm = accounts.find("sk_test_clock", pi["payment_method"])
    assert pm is not None
    assert {pi["created"], charge["created"], txn["created"], pm["created"]} == {start}
    assert txn["available_on"] == start + 2 * 86400
    assert pm["card"]["exp_year"] == 2034  # magic cards expire three years from "now"
    assert {when for _, when in emitted} == {start}

    clock.advance(3600)
    later = model.payment_intents.create(
        accounts.context("sk_test_clock"),
        {"amount": 500, "currency": "usd", "payment_method_types": ["card"]},
    )
    canceled = model.payment_intents.cancel(accounts.context("sk_test_clock"), {}, later["id"])
    assert later["created"] == canceled["canceled_at"] == start + 3600
    page = model.payment_intents.list(ctx, {"created": {"gt": str(start)}})
    assert isinstance(page, Page) and [p["id"] for p in page.items] == [later["id"]]
    # card expiry is judged against the clock too: 2031-04 has passed at 2031-05
    with pytest.raises(StripeError, match="expiration year is invalid"):
        model.payment_methods.create(
            ctx,
            {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 4, "exp_year": 2031},
            },
        )
