"""Stripe Events: built from what the model emits, kept in the ``stripe_events`` store.

Each event is stored (bounded by ``--max-messages``; health counts it), listed and retrieved
through ``/v1/events``, and handed to the webhook dispatcher for the account's endpoints.

An event keeps its JSON frozen (:class:`~fakeservices.core.jsonio.Frozen`: orjson bytes) from the
moment it is emitted, so its ``data.object`` is the object as it was then, whatever happens to the
object later; the JSON is parsed back only when something reads the event (the events API, the
admin read-back, a webhook delivery). Most events are never read: a create + confirm emits three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakeservices.core.jsonio import Frozen
from fakeservices.core.store import Store
from fakeservices.stripe import objects
from fakeservices.stripe.model.accounts import Ctx

#: ``api_version`` of events when the request named none (the version stripe-python 16 pins).
DEFAULT_API_VERSION = "2026-10-28.endive"

Obj = dict[str, Any]


@dataclass(slots=True, eq=False)
class StripeEvent:
    id: str
    account: str
    type: str
    created: int
    #: The whole event's JSON as it was emitted (read it through :attr:`body`).
    frozen: Frozen
    seq: int = 0
    #: Where its deliveries wait to be sent in order before the response (``Ctx.in_order``).
    in_order: list[Any] | None = None

    @property
    def body(self) -> Obj:
        """The event's JSON, a new copy on each read (callers may change it)."""
        body: Obj = self.frozen.thaw()
        return body

    def to_json(self) -> Obj:
        return self.body

    def summary(self) -> Obj:
        return {"seq": self.seq, "id": self.id, "type": self.type, "account": self.account}


class EventLog:
    """Turns model emissions into stored events and webhook deliveries."""

    def __init__(
        self,
        store: Store[StripeEvent],
        endpoints: Callable[[str, str], int],
        deliver: Callable[[StripeEvent], None],
    ) -> None:
        self.store = store
        #: How many enabled endpoints of an account want an event type (pending_webhooks).
        self.endpoints = endpoints
        self.deliver = deliver

    def emit(self, ctx: Ctx, kind: str, obj: Obj, previous: Obj | None) -> None:
        """Store (and deliver) the event of ``obj`` changing; ``obj`` and ``previous`` are
        frozen before this returns, so the caller may go on changing them."""
        data: Obj = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        body: Obj = {
            "id": objects.new_id("evt"),
            "object": "event",
            "api_version": ctx.api_version or DEFAULT_API_VERSION,
            "created": ctx.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": self.endpoints(ctx.account, kind),
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": kind,
        }
        event = StripeEvent(
            body["id"], ctx.account, kind, body["created"], Frozen(body), in_order=ctx.in_order
        )
        self.store.add(event)
        self.deliver(event)

    def body(self, account: str, event_id: str) -> Obj | None:
        """The event's JSON (a new copy) if it exists and belongs to ``account``."""
        event = self.store.get(event_id)
        return event.body if event is not None and event.account == account else None

    def newest_first(self, account: str, pred: Callable[[str], bool]) -> list[Obj]:
        """``{"id", "created"}`` of ``account``'s events whose type ``pred`` accepts, newest
        first: enough to filter and page them without parsing their JSON (:meth:`body` does)."""
        return [
            {"id": e.id, "created": e.created}
            for e in reversed(list(self.store.values()))
            if e.account == account and pred(e.type)
        ]

    def reset(self, account: str | None) -> None:
        self.store.clear(None if account is None else (lambda e: e.account == account))
