"""Outbound HTTP deliveries (Stripe webhooks, Twilio status callbacks), written once.

A fake builds a :class:`Delivery` (URL, body, headers) and hands it to :meth:`Outbound.send`. The
delivery is stored at once in the shared ``webhook_deliveries`` store, POSTed in the background,
retried with exponential backoff on a non-2xx answer or a connection error (a bounded number of
times), and each attempt is recorded on it. Waiters see it change state through the store.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fakeservices.core.clock import rfc3339
from fakeservices.core.query import Query
from fakeservices.core.store import Store

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("fakeservices.outbound")

_ids = itertools.count(1)

DeliveryState = Literal["pending", "delivered", "failed"]


#: Characters of a receiver's answer kept on each attempt.
RESPONSE_CHARS = 2048


@dataclass(slots=True)
class Attempt:
    at: float
    status: int | None
    error: str | None
    duration_ms: float
    #: The start of the receiver's answer (None when none came).
    response: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": rfc3339(self.at),
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "response": self.response,
        }


@dataclass(slots=True, eq=False)
class Delivery:
    service: str
    account: str
    url: str
    body: bytes
    #: What is delivered: a Stripe event type, a Twilio message status...
    event: str
    #: The object it is about: an event id, a message sid...
    ref: str
    headers: dict[str, str] = field(default_factory=dict)
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: f"whd_{next(_ids)}")
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "service": self.service,
            "account": self.account,
            "url": self.url,
            "event": self.event,
            "ref": self.ref,
            "state": self.state,
            "created_at": rfc3339(self.created_at),
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "attempts": [a.to_json() for a in self.attempts],
        }

    def summary(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "service": self.service,
            "event": self.event,
            "url": self.url,
            "state": self.state,
        }


DELIVERY_STATES = ("pending", "delivered", "failed")


def delivery_filters(
    service: str | None = None,
) -> Callable[[Query], Callable[[Delivery], bool] | None]:
    """Read-back filters over deliveries (``event``, ``state``, ``ref``, ``url``; ``service``
    from the query unless fixed here, as a fake's own read-back does)."""

    def filters(q: Query) -> Callable[[Delivery], bool] | None:
        svc = service if service is not None else q.text("service")
        event, ref, url = q.text("event"), q.text("ref"), q.text("url")
        state = q.choice("state", DELIVERY_STATES)
        if not (svc or event or state or ref or url):
            return None

        def pred(d: Delivery) -> bool:
            return (
                (svc is None or d.service == svc)
                and (event is None or d.event == event)
                and (state is None or d.state == state)
                and (ref is None or d.ref == ref)
                and (url is None or d.url == url)
            )

        return pred

    return filters


class Outbound:
    """Sends deliveries in the background with bounded retries."""

    def __init__(
        self, store: Store[Delivery], attempts: int, backoff: float, timeout: float = 5.0
    ) -> None:
        self.store = store
        self.max_attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: Per URL, in the order sent, the deliveries whose first attempt has not ended. A
        #: delivery makes its first attempt after those before it to the same URL have made
        #: theirs, so a receiver gets one endpoint's events in the order they happened (two
        #: concurrent POSTs could land in either order; retries stay in the background).
        self._first_pending: dict[str, dict[asyncio.Event, str]] = {}

    def send(self, delivery: Delivery) -> Delivery:
        """Store the delivery and start sending it; returns at once."""
        self.store.add(delivery)
        first_done = asyncio.Event()
        queue = self._first_pending.setdefault(delivery.url, {})
        earlier = tuple(queue)
        queue[first_done] = delivery.account
        task = asyncio.get_running_loop().create_task(self._run(delivery, 0, first_done, earlier))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    def _settle(self, url: str, first_done: asyncio.Event) -> None:
        first_done.set()
        pending = self._first_pending.get(url)
        if pending is not None:
            pending.pop(first_done, None)
            if not pending:
                del self._first_pending[url]

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # httpx is imported on the first delivery: with its dependencies it is about a fifth
            # of the server's start-up, and most runs deliver no webhook at all.
            import httpx

            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self._client

    async def send_in_order(self, deliveries: list[Delivery], account: str | None = None) -> None:
        """Store each delivery and make its first attempt, one after the other, before
        returning (a Stripe test clock's advance answers after its webhooks). A delivery whose
        first attempt fails is retried in the background as :meth:`send` would, and so are the
        later ones to the same URL: a receiver that is down or hangs costs one attempt's
        timeout, not one per delivery.

        Deliveries already on their way to the same URLs (events of API calls made before, sent
        in the background) make their first attempt before these, as :meth:`send` orders its
        own: without that, an event of the advance could overtake an earlier one
        (``customer.subscription.deleted`` before the ``.updated`` of the cancel request) and the
        receiver would apply them out of order. With ``account``, that account's deliveries on
        their way to any URL go first too, even when ``deliveries`` is empty (an advance that
        crossed no billing moment still answers after the events of the calls before it). Each
        wait is bounded by one attempt's timeout."""
        urls = [d.url for d in deliveries]
        if account is not None:
            urls += [u for u, queue in self._first_pending.items() if account in queue.values()]
        for url in dict.fromkeys(urls):
            for first_done in tuple(self._first_pending.get(url, ())):
                await first_done.wait()
        failed: set[str] = set()
        for delivery in deliveries:
            if delivery.url in failed:
                self.send(delivery)
                continue
            self.store.add(delivery)
            if not await self._attempt(delivery):
                failed.add(delivery.url)
                task = asyncio.get_running_loop().create_task(self._run(delivery, 1))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _attempt(self, delivery: Delivery) -> bool:
        """One POST, recorded on the delivery; whether it was answered with a 2xx."""
        started = time.time()
        t0 = time.perf_counter()
        status: int | None = None
        error: str | None = None
        answer: str | None = None
        import httpx  # already loaded by client()

        try:
            response = await self.client().post(
                delivery.url, content=delivery.body, headers=delivery.headers
            )
            status = response.status_code
            answer = response.content[: RESPONSE_CHARS * 4].decode("utf-8", "replace")
            answer = answer[:RESPONSE_CHARS]
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            # Every failure is recorded as an attempt; none may kill the delivery task.
            error = f"{type(exc).__name__}: {exc}"
        delivery.attempts.append(
            Attempt(started, status, error, (time.perf_counter() - t0) * 1000, answer)
        )
        if status is not None and 200 <= status < 300:
            delivery.state = "delivered"
            self.store.touch(delivery)
            return True
        log.info("delivery %s to %s failed (%s)", delivery.id, delivery.url, error or status)
        self.store.touch(delivery)
        return False

    async def _run(
        self,
        delivery: Delivery,
        first: int = 0,
        first_done: asyncio.Event | None = None,
        earlier: tuple[asyncio.Event, ...] = (),
    ) -> None:
        try:
            for before in earlier:  # each ends within one attempt's timeout
                await before.wait()
            for attempt in range(first, self.max_attempts):
                if attempt:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                delivered = await self._attempt(delivery)
                if first_done is not None:
                    self._settle(delivery.url, first_done)
                    first_done = None
                if delivered:
                    return
            delivery.state = "failed"
            self.store.touch(delivery)
        finally:
            if first_done is not None:  # cancelled (shutdown) before its first attempt ended
                self._settle(delivery.url, first_done)

    async def stop(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
