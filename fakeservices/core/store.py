"""A bounded, ordered in-memory store that publishes its changes, with waiters built on them.

Every kind of recorded item (emails, SMS, journal entries, Stripe events, webhook deliveries) lives
in a :class:`Store`. All stores share one :class:`SeqClock`, so ``seq`` is monotonic across the
whole process. A store holds at most ``capacity`` items; the oldest is evicted first and counted.

Every change (insert, update, delete, evict, reset) is published on the runtime's
:class:`~fakeservices.core.changes.ChangeFeed`. Waiters are futures registered with a predicate;
while any is pending the store listens to its own changes there, and each insert (or
:meth:`Store.touch` of a changed item) evaluates the pending predicates, so a waiter wakes the
moment enough matches exist. Nothing polls.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from fakeservices.core.changes import Change, ChangeFeed, ChangeKind


class Record(Protocol):
    """What a store needs of an item."""

    seq: int
    id: str
    account: str


T = TypeVar("T", bound=Record)


class Counted(Protocol):
    """What health and metrics report of a store (or of anything else that evicts)."""

    added: int
    evicted: int

    def __len__(self) -> int: ...


Predicate = Callable[[T], bool]


def match_all(_item: object) -> bool:
    return True


class SeqClock:
    """The process-wide sequence: every stored item gets the next number."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.last = 0

    def next(self) -> int:
        self.last = next(self._counter)
        return self.last


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    next_after: int


@dataclass(slots=True)
class WaitResult(Generic[T]):
    items: list[T]
    satisfied: bool


@dataclass(eq=False, slots=True)
class _Waiter(Generic[T]):
    predicate: Callable[[T], bool]
    count: int
    after: int
    future: asyncio.Future[None]
    matched: list[T] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def offer(self, item: T) -> None:
        if self.future.done() or item.seq <= self.after or item.id in self.seen:
            return
        if self.predicate(item):
            self.seen.add(item.id)
            self.matched.append(item)
            if len(self.matched) >= self.count:
                self.future.set_result(None)


class Store(Generic[T]):
    """Items ordered by ``seq``, capped at ``capacity`` (oldest evicted first)."""

    def __init__(
        self, name: str, capacity: int, clock: SeqClock, feed: ChangeFeed | None = None
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.name = name
        self.capacity = capacity
        self.clock = clock
        #: Where this store's changes are published (the runtime's, shared by every store).
        self.feed = feed if feed is not None else ChangeFeed()
        self.evicted = 0
        self.added = 0
        # Ordered by insertion, oldest first. An OrderedDict because eviction takes the oldest:
        # a plain dict finds its first live key by walking the slots freed before it (about 5 us
        # at 10,000 items, bench/NOTES.md 2026-11-30), a linked list does not.
        self._items: OrderedDict[str, T] = OrderedDict()
        self._waiters: set[_Waiter[T]] = set()
        self._unlisten: Callable[[], None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        #: (n, future) pairs resolved once n waiters are pending (see until_waiting)
        self._count_watchers: list[tuple[int, asyncio.Future[None]]] = []

    # -- writing ---------------------------------------------------------------------------
    def add(self, item: T) -> T:
        """Assign the next ``seq``, store the item, publish it, evict beyond capacity."""
        item.seq = self.clock.next()
        self._items[item.id] = item
        self.added += 1
        self._publish("insert", item.id, item.account, item, item.seq)
        while len(self._items) > self.capacity:
            _, old = self._items.popitem(last=False)
            self.evicted += 1
            self._publish("evict", old.id, old.account, old)
        return item

    def touch(self, item: T) -> None:
        """Publish that a held item's fields changed (e.g. an SMS status); waiters re-test it."""
        if item.id in self._items:
            self._publish("update", item.id, item.account, item)

    def delete(self, item_id: str) -> bool:
        item = self._items.pop(item_id, None)
        if item is None:
            return False
        self._publish("delete", item.id, item.account, item)
        return True

    def clear(self, predicate: Callable[[T], bool] | None = None) -> int:
        """Remove every item (one ``reset`` change) or those matching ``predicate`` (a
        ``delete`` each); return how many went."""
        if predicate is None:
            return self.reset()
        gone = [item for item in self._items.values() if predicate(item)]
        for item in gone:
            del self._items[item.id]
            self._publish("delete", item.id, item.account, item)
        return len(gone)

    def reset(self, account: str | None = None) -> int:
        """Forget every item, or every item of ``account``, as one ``reset`` change."""
        if account is None:
            n = len(self._items)
            self._items.clear()
        else:
            keep = OrderedDict((k, v) for k, v in self._items.items() if v.account != account)
            n = len(self._items) - len(keep)
            self._items = keep
        self._publish("reset", None, account)
        return n

    def _publish(
        self,
        kind: ChangeKind,
        item_id: str | None,
        account: str | None,
        item: T | None = None,
        seq: int | None = None,
    ) -> None:
        """Publish one change; a change other than an insert takes the next ``seq``."""
        if seq is None:
            seq = self.clock.next()
        if self.feed.listening(self.name):
            self.feed.publish(Change(seq, self.name, kind, item_id, account, item))

    def _on_change(self, change: Change) -> None:
        """The waiters' listener on the feed: inserts and updates are offered to each."""
        if change.kind == "insert" or change.kind == "update":
            for waiter in tuple(self._waiters):
                waiter.offer(change.item)

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def values(self) -> Iterator[T]:
        return iter(tuple(self._items.values()))

    def _after(self, after: int) -> Iterator[T]:
        """Items with ``seq > after``, oldest first, walking from whichever end is nearer.

        A live view, not a copy: callers consume it synchronously (no await, no insert)."""
        if not self._items or after <= 0:
            return iter(self._items.values())
        first = next(iter(self._items.values())).seq
        if after < first:
            return iter(self._items.values())
        tail: list[T] = []
        for item in reversed(self._items.values()):
            if item.seq <= after:
                break
            tail.append(item)
        tail.reverse()
        return iter(tail)

    def since(self, after: int = 0) -> list[T]:
        """A copy of the items with ``seq > after``, oldest first (may go to a worker thread)."""
        return list(self._after(after))

    def query(
        self, predicate: Callable[[T], bool] = match_all, after: int = 0, limit: int = 100
    ) -> Page[T]:
        """Matching items with ``seq > after``, oldest first, at most ``limit``."""
        out: list[T] = []
        has_more = False
        for item in self._after(after):
            if predicate(item):
                if len(out) == limit:
                    has_more = True
                    break
                out.append(item)
        next_after = out[-1].seq if out else max(after, self.clock.last)
        return Page(out, has_more, next_after)

    def latest_not_matching(self, predicate: Callable[[T], bool], n: int = 5) -> list[T]:
        """The newest ``n`` items that do not match (newest last): a failed wait's near misses."""
        out: list[T] = []
        for item in reversed(self._items.values()):
            if not predicate(item):
                out.append(item)
                if len(out) == n:
                    break
        out.reverse()
        return out

    # -- waiting ---------------------------------------------------------------------------
    @property
    def waiter_count(self) -> int:
        return len(self._waiters)

    async def wait(
        self, predicate: Callable[[T], bool], count: int = 1, after: int = 0, timeout: float = 10
    ) -> WaitResult[T]:
        """Wait until ``count`` items with ``seq > after`` match, or ``timeout`` seconds pass.

        Cancellation (a client that went away) removes the waiter like any other exit.
        """
        waiter: _Waiter[T] = _Waiter(
            predicate, count, after, asyncio.get_running_loop().create_future()
        )
        for item in self._after(after):
            waiter.offer(item)
        if waiter.future.done():
            return WaitResult(waiter.matched, True)
        self._waiters.add(waiter)
        if self._unlisten is None:
            self._unlisten = self.feed.listen(self._on_change, self.name)
        self._idle.clear()
        if self._count_watchers:
            self._resolve_count_watchers()
        try:
            async with asyncio.timeout(timeout):
                await waiter.future
        except TimeoutError:
            return WaitResult(waiter.matched, False)
        finally:
            self._waiters.discard(waiter)
            if not self._waiters:
                self._idle.set()
                if self._unlisten is not None:
                    self._unlisten()
                    self._unlisten = None
            if not waiter.future.done():
                waiter.future.cancel()
        return WaitResult(waiter.matched, len(waiter.matched) >= count)

    def _resolve_count_watchers(self) -> None:
        pending = []
        for n, future in self._count_watchers:
            if future.done():
                continue
            if len(self._waiters) >= n:
                future.set_result(None)
            else:
                pending.append((n, future))
        self._count_watchers = pending

    async def until_waiting(self, n: int = 1) -> None:
        """Return once at least ``n`` waiters are pending (lets a test produce only after its
        waiter is registered, without sleeping)."""
        if len(self._waiters) >= n:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._count_watchers.append((n, future))
        await future

    async def until_no_waiters(self) -> None:
        """Return once no waiter is pending (lets tests see a released waiter without sleeping)."""
        await self._idle.wait()

    def wake_all(self) -> None:
        """Release every waiter now (used at shutdown); they return what they matched so far."""
        for waiter in tuple(self._waiters):
            if not waiter.future.done():
                waiter.future.set_result(None)
