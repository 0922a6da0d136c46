"""``GET /__admin/events``: what happens in the server, as a Server-Sent Events stream.

Built on the core change feed (:mod:`fakeservices.core.changes`): one bounded subscription per
client, filtered by account on the feed and by kind here. Each change becomes one SSE message::

    id: <seq>
    event: <kind>
    data: {"seq", "kind", "store", "id", "account", "data"}

``kind`` is ``<topic>.<verb>``: the topic names the store (``email``, ``sms``, ``request``,
``stripe_event``, ``webhook_delivery``, ``fault``), the verb what happened (``stored``,
``updated``, ``deleted``, ``evicted``; for fault rules ``added``, ``fired``, ``removed``), and a
reset is the kind ``reset``. ``data`` is the item as the read-back shows it (an email's head, a
journal entry without its bodies), null for resets and evictions.

A client resumes with ``Last-Event-ID`` (or ``after``): what the stores still hold after that seq
is replayed first (as ``<topic>.stored``, in its current state), then the stream goes live with
no gap and no duplicate (the subscription is taken before the stores are read, in one step).
Heartbeat comments keep proxies from timing the stream out; a client that falls more than
``events_buffer`` changes behind is sent a ``dropped`` event and the stream ends (it can resume
from its last id); at shutdown every stream ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from fakeservices.core.changes import Change, ChangeKind, Subscription, SubscriptionDropped
from fakeservices.core.disconnect import disconnected
from fakeservices.core.errors import AdminError, bad_param
from fakeservices.core.faults import FEED_STORE as FAULTS
from fakeservices.core.journal import JournalEntry
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.outbound import Delivery
from fakeservices.core.query import Query
from fakeservices.core.readback import MAX_SEQ
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Record, Store

#: Store name -> the topic its kinds start with (a store not named here uses its own name).
TOPICS = {
    "emails": "email",
    "sms": "sms",
    "requests": "request",
    "stripe_events": "stripe_event",
    "webhook_deliveries": "webhook_delivery",
    FAULTS: "fault",
}
VERBS: dict[ChangeKind, str] = {
    "insert": "stored",
    "update": "updated",
    "delete": "deleted",
    "evict": "evicted",
}
FAULT_VERBS: dict[ChangeKind, str] = {"insert": "added", "update": "fired", "delete": "removed"}
RESET = "reset"
#: Items read from one store at a time while replaying.
REPLAY_CHUNK = 200

View = Callable[[Any], dict[str, Any]]


def topic_of(store: str) -> str:
    return TOPICS.get(store, store)


def kind_of(store: str, change: ChangeKind) -> str:
    if change == "reset":
        return RESET
    verbs = FAULT_VERBS if store == FAULTS else VERBS
    return f"{topic_of(store)}.{verbs[change]}"


def frame(seq: int, kind: str, body: dict[str, Any]) -> bytes:
    """One SSE message (JSON has no raw newline, so ``data`` is one line)."""
    data = json.dumps(body, separators=(",", ":"), default=str)
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


class EventFilter:
    """Which kinds a client asked for (``kind=`` repeatable: a full kind or a topic)."""

    def __init__(self, asked: list[str], stores: Iterable[str]) -> None:
        topics = {topic_of(s): s for s in (*stores, FAULTS)}
        known = {RESET, *topics}
        for store, topic in ((s, topic_of(s)) for s in topics.values()):
            verbs = FAULT_VERBS if store == FAULTS else VERBS
            known.update(f"{topic}.{v}" for v in verbs.values())
        for kind in asked:
            if kind not in known:
                raise bad_param("kind", f"unknown kind {kind!r}; one of {', '.join(sorted(known))}")
        self.kinds = frozenset(asked)
        self.topics = topics
        self.known = known

    @property
    def everything(self) -> bool:
        return not self.kinds

    def wants(self, kind: str) -> bool:
        return self.everything or kind in self.kinds or kind.rsplit(".", 1)[0] in self.kinds

    def wants_topic(self, topic: str) -> bool:
        return (
            self.everything
            or topic in self.kinds
            or any(k.rsplit(".", 1)[0] == topic for k in self.kinds)
        )

    def stores(self) -> set[str] | None:
        """The stores whose changes can match (None: all, e.g. for resets)."""
        if self.everything or RESET in self.kinds:
            return None
        return {store for topic, store in self.topics.items() if self.wants_topic(topic)}


class Events:
    """The route: parses the request, subscribes, and hands the stream to :class:`EventStream`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.views: dict[str, View] = {
            "requests": JournalEntry.head_json,
            "webhook_deliveries": Delivery.to_json,
            FAULTS: lambda item: item.to_json(),
        }
        for service in runtime.services:
            self.views.update(service.event_views())

    def render(self, change: Change) -> tuple[str, bytes]:
        kind = kind_of(change.store, change.kind)
        view = self.views.get(change.store)
        show = change.item is not None and view is not None and change.kind != "evict"
        body = {
            "seq": change.seq,
            "kind": kind,
            "store": change.store,
            "id": change.id,
            "account": change.account,
            "data": view(change.item) if show and view is not None else None,
        }
        return kind, frame(change.seq, kind, body)

    async def stream(self, request: Request) -> Response:
        runtime = self.runtime
        q = Query(request.query_params)
        accounts = q.texts("account")
        if "" in accounts:
            raise bad_param("account", "must not be empty")
        stores = runtime.stores()
        kinds = EventFilter(q.texts("kind"), stores)
        after = q.integer("after", -1, 0, MAX_SEQ)
        q.done()
        header = request.headers.get("last-event-id")
        if after < 0 and header is not None and header.strip():
            try:
                after = int(header)
            except ValueError:
                raise bad_param("Last-Event-ID", f"expected a seq, got {header!r}") from None
            if not 0 <= after <= MAX_SEQ:
                raise bad_param("Last-Event-ID", f"must be between 0 and {MAX_SEQ}")
        if runtime.shutting_down:
            raise AdminError(503, "shutting_down", "The server is shutting down")
        # Subscribe and read the stores in one step (no await between): no gap, no duplicate.
        sub = runtime.changes.subscribe(
            runtime.config.events_buffer, stores=kinds.stores(), accounts=accounts
        )
        horizon = runtime.clock.last
        replay: Iterator[tuple[str, Record]] = iter(())
        if after >= 0:
            wanted = [s for name, s in stores.items() if kinds.wants(kind_of(name, "insert"))]
            replay = replayed(wanted, frozenset(accounts), after, horizon)
        return EventStream(self, sub, kinds, replay, horizon)

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        doc.add(
            "GET",
            "/__admin/events",
            "Server-Sent Events: every email/SMS stored, SMS status change, Stripe event, "
            "webhook delivery, request, fault added/fired/removed and reset, live",
            [
                Param("account", description="only these accounts (repeatable)", repeatable=True),
                Param(
                    "kind",
                    description="only these kinds (repeatable): a kind such as sms.updated or "
                    "a topic such as sms; reset for resets",
                    repeatable=True,
                ),
                Param(
                    "after",
                    "integer",
                    "replay what the stores hold after this seq first (as the Last-Event-ID "
                    "header does)",
                ),
            ],
            {200: "text/event-stream", 400: "A bad filter", 503: "The server is shutting down"},
            schema={"type": "string"},
            response_type="text/event-stream",
        )
        return [Route("/events", self.stream, methods=["GET"])]


def replayed(
    stores: list[Store[Any]], accounts: frozenset[str], after: int, horizon: int
) -> Iterator[tuple[str, Record]]:
    """What ``stores`` hold with ``after < seq <= horizon`` of ``accounts``, in ``seq`` order,
    read a chunk at a time (so a long replay never copies a whole store)."""

    def pred(item: Record) -> bool:
        return not accounts or item.account in accounts

    def paged(store: Store[Any]) -> Iterator[tuple[str, Record]]:
        cursor = after
        while True:
            page = store.query(pred, cursor, REPLAY_CHUNK)
            for item in page.items:
                if item.seq > horizon:
                    return
                yield store.name, item
            if not page.has_more or not page.items:
                return
            cursor = page.items[-1].seq

    return heapq.merge(*(paged(s) for s in stores), key=lambda pair: pair[1].seq)


class EventStream(Response):
    """The streaming response of one client: replay, then live changes and heartbeats."""

    media_type = "text/event-stream"

    def __init__(
        self,
        events: Events,
        sub: Subscription,
        kinds: EventFilter,
        replay: Iterator[tuple[str, Record]],
        horizon: int,
    ) -> None:
        super().__init__(
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            media_type="text/event-stream; charset=utf-8",
        )
        # A stream has no length: chunked transfer encoding.
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.events = events
        self.sub = sub
        self.kinds = kinds
        self.replay = replay
        self.horizon = horizon

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            pump = asyncio.ensure_future(self._pump(send))
            gone = asyncio.ensure_future(disconnected(receive))
            try:
                await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, gone):
                    task.cancel()
                await asyncio.gather(pump, gone, return_exceptions=True)
            if pump.done() and not pump.cancelled() and pump.exception() is None:
                with contextlib.suppress(OSError, RuntimeError):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.sub.close()

    async def _write(self, send: Send, data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    async def _pump(self, send: Send) -> None:
        """Write until the feed closes (shutdown) or the subscription is dropped."""
        runtime = self.events.runtime
        await self._write(send, f": fakeservices events from seq {self.horizon}\n\n".encode())
        for store, item in self.replay:
            stored = Change(item.seq, store, "insert", item.id, item.account, item)
            await self._write(send, self.events.render(stored)[1])
        heartbeat = runtime.config.events_heartbeat_seconds
        sub = self.sub
        while True:
            batch = bytearray()
            dropped: SubscriptionDropped | None = None
            try:
                change = await sub.get(heartbeat)
                if change is None:
                    if sub.closed or runtime.shutting_down:
                        return
                    await self._write(send, b": heartbeat\n\n")
                    continue
                while change is not None:
                    kind, data = self.events.render(change)
                    if self.kinds.wants(kind):
                        batch += data
                    # What is already queued goes out in one write.
                    change = sub.get_nowait() if len(batch) < 65536 else None
            except SubscriptionDropped as exc:
                dropped = exc
            if batch:
                await self._write(send, bytes(batch))
            if dropped is not None:
                notice = {"code": "dropped", "message": str(dropped), "last_seq": sub.last_seq}
                await self._write(send, frame(sub.last_seq, "dropped", notice))
                return
