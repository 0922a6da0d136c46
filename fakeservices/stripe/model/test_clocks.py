"""Test clocks: a frozen time that customers (and their subscriptions) follow, advanced on demand.

Unlike Stripe's, :meth:`TestClocks.advance` is synchronous: it walks every billing moment between
the clock's frozen time and the target in time order (trials ending, renewals, payment retries,
cancellations), each step on the clock's time, and answers ``status: ready``; the events it
emits are delivered to the webhook endpoints, in order, before the response (``Ctx.in_order``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fakeservices.core.clock import Clock
from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import StripeError, invalid
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import get, paginate, retrieve
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint

KIND = "test_helpers.test_clock"
NOUN = "test_clock"
#: A clock is deleted 30 days after it was created (``deletes_after``), as Stripe's are.
LIFETIME = 30 * 86400
#: Steps one advance may take (billing moments crossed): bounds a runaway advance.
MAX_STEPS = 10_000

CREATE = P.Obj({"frozen_time": P.Int(), "name": P.Str(300), "expand": P.EXPAND}, ("frozen_time",))
ADVANCE = P.Obj({"frozen_time": P.Int(), "expand": P.EXPAND}, ("frozen_time",))
LIST = P.LIST


class ClockTime:
    """The time of one test clock, as a :class:`Clock`: its ``frozen_time``."""

    def __init__(self, clock: Obj) -> None:
        self.clock = clock

    def now(self) -> float:
        return float(self.clock["frozen_time"])

    def monotonic(self) -> float:
        """A test clock only moves forward (``advance`` refuses going back)."""
        return self.now()


def clock_of(acct: Account, obj: Obj) -> Clock | None:
    """The time ``obj`` (a customer, subscription or invoice) follows: its test clock's, if any."""
    clock_id = obj.get("test_clock")
    if not clock_id:
        return None
    clock = acct.objects.get(clock_id)
    return None if clock is None else ClockTime(clock)


def on_clock(ctx: Ctx, acct: Account, obj: Obj) -> Ctx:
    """``ctx`` on the clock ``obj`` follows (unchanged when it has none)."""
    clock = clock_of(acct, obj)
    return ctx if clock is None else ctx.at(clock)


class Billing(Protocol):
    """What advancing a clock drives: the billing moments of the objects on it."""

    def next_due(self, acct: Account, clock_id: str) -> int | None:
        """The earliest moment something on the clock is due, or None."""

    def run_due(self, ctx: Ctx, acct: Account, clock_id: str) -> None:
        """Do everything on the clock due at ``ctx.now()``."""

    def forget_clock(self, ctx: Ctx, acct: Account, clock_id: str) -> None:
        """Delete the objects attached to a deleted clock."""


@dataclass(eq=False)
class TestClocks(Resource):
    accounts: Accounts
    emit: Emitter
    billing: Billing

    def _clock(self, acct: Account, clock_id: str) -> Obj:
        return get(acct, clock_id, KIND, NOUN)

    @endpoint("POST", "/v1/test_helpers/test_clocks", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        created = ctx.now()
        clock: Obj = {
            "id": objects.new_id("clock"),
            "object": KIND,
            "created": created,
            "deletes_after": created + LIFETIME,
            "frozen_time": p["frozen_time"],
            "livemode": False,
            "name": p.get("name"),
            "status": "ready",
            "status_details": {},
        }
        acct.put(clock)
        self.emit(ctx, "test_helpers.test_clock.created", clock)
        return clock

    @endpoint("GET", "/v1/test_helpers/test_clocks/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, clock_id: str) -> Obj:
        return retrieve(self.accounts.open(ctx.account), clock_id, KIND, NOUN)

    @endpoint("GET", "/v1/test_helpers/test_clocks", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        return paginate(acct.of_kind(KIND), p, NOUN)

    @endpoint("DELETE", "/v1/test_helpers/test_clocks/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, clock_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        clock = self._clock(acct, clock_id)
        self.billing.forget_clock(ctx.at(ClockTime(clock)), acct, clock_id)
        acct.remove(clock_id)
        acct.mark_deleted(clock_id, KIND)
        self.emit(ctx, "test_helpers.test_clock.deleted", clock)
        return objects.deleted(clock_id, KIND)

    @endpoint("POST", "/v1/test_helpers/test_clocks/{id}/advance", ADVANCE)
    def advance(self, ctx: Ctx, p: Obj, clock_id: str) -> Obj:
        """Move the clock to ``frozen_time``, running every billing moment on the way."""
        acct = self.accounts.open(ctx.account)
        clock = self._clock(acct, clock_id)
        target: int = p["frozen_time"]
        if target <= clock["frozen_time"]:
            raise invalid(
                "The frozen_time must be after the test clock's current frozen_time "
                f"({clock['frozen_time']}).",
                "frozen_time",
            )
        if ctx.in_order is None:
            ctx.in_order = []
        on_it = ctx.at(ClockTime(clock))
        clock["status"] = "advancing"
        clock["status_details"] = {"advancing": {"target_frozen_time": target}}
        self.emit(ctx, "test_helpers.test_clock.advancing", clock)
        for _ in range(MAX_STEPS):
            due = self.billing.next_due(acct, clock_id)
            if due is None or due > target:
                clock["frozen_time"] = target
                break
            clock["frozen_time"] = max(clock["frozen_time"], due)
            self.billing.run_due(on_it, acct, clock_id)
        clock["status"] = "ready"
        clock["status_details"] = {}
        self.emit(ctx, "test_helpers.test_clock.ready", clock)
        if clock["frozen_time"] != target:
            raise StripeError(
                400,
                f"Advancing to {target} crosses more than {MAX_STEPS} billing moments: the "
                f"clock stopped at {clock['frozen_time']}; advance again to go on.",
                param="frozen_time",
            )
        return clock
