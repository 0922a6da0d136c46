"""Events as a resource: ``GET /v1/events`` (with ``type``/``types``/``created``) and retrieve.

The events themselves live in the event log (a core store shared with the admin read-back); this
resource only reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid, no_such
from fakeservices.stripe.model.accounts import Ctx, Obj
from fakeservices.stripe.model.checks import created_filter, paginate
from fakeservices.stripe.model.resource import Page, Resource, endpoint

LIST = P.LIST.extend({"type": P.Str(), "types": P.Arr(P.Str()), "delivery_success": P.Bool()})


class EventReader(Protocol):
    """What the resource needs of the event log: an account's events, newest first, as
    ``{"id", "created"}`` heads, and the JSON of one (a new copy on each call)."""

    def body(self, account: str, event_id: str) -> Obj | None: ...

    def newest_first(self, account: str, pred: Callable[[str], bool]) -> list[Obj]: ...


@dataclass(eq=False)
class Events(Resource):
    log: EventReader

    @endpoint("GET", "/v1/events/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, event_id: str) -> Obj:
        body = self.log.body(ctx.account, event_id)
        if body is None:
            raise no_such("event", event_id)
        return body

    @endpoint("GET", "/v1/events", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        kind: str | None = p.get("type")
        kinds: set[str] = set(p.get("types") or [])
        if kind is not None and kinds:
            raise invalid("You may only specify one of these parameters: type, types.", "type")

        def match(event_type: str) -> bool:
            if kind is not None:
                if kind.endswith(".*"):
                    return event_type.startswith(kind[:-1])
                return event_type == kind
            return not kinds or event_type in kinds

        created = created_filter(p)
        page = paginate(
            [e for e in self.log.newest_first(ctx.account, match) if created(e)], p, "event"
        )
        bodies = [self.log.body(ctx.account, head["id"]) for head in page.items]
        return Page([b for b in bodies if b is not None], page.has_more)
