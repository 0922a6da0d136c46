"""How resources announce what happened: ``emit(ctx, "customer.created", obj, previous)``."""

from __future__ import annotations

from collections.abc import Callable

from fakeservices.stripe.model.accounts import Ctx, Obj

#: Where emissions go (the event log): ``(ctx, type, object, previous_attributes)``. The sink
#: snapshots both before it returns (the event log freezes them as JSON bytes), so later changes
#: to the object do not alter the event.
EventSink = Callable[[Ctx, str, Obj, "Obj | None"], None]


class Emitter:
    """Hands the object, as it is now, to the sink (which snapshots it)."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def __call__(self, ctx: Ctx, kind: str, obj: Obj, previous: Obj | None = None) -> None:
        self._sink(ctx, kind, obj, previous)
