"""How resources announce what happened: ``emit(ctx, "customer.created", obj, previous)``."""

from __future__ import annotations

from collections.abc import Callable

from fakeservices.stripe.model.accounts import Ctx, Obj
from fakeservices.stripe.objects import clone

#: Where emissions go (the event log): ``(ctx, type, object snapshot, previous_attributes)``.
EventSink = Callable[[Ctx, str, Obj, "Obj | None"], None]


class Emitter:
    """Hands a snapshot of the object to the sink, so later changes do not alter the event."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def __call__(self, ctx: Ctx, kind: str, obj: Obj, previous: Obj | None = None) -> None:
        self._sink(ctx, kind, clone(obj), previous)
