"""The change feed: every store change, published once, to in-process listeners and subscribers.

Each :class:`~fakeservices.core.store.Store` publishes what happens to it as a :class:`Change`
``(seq, store, kind, id, account)``: an item inserted, updated (re-offered after its fields
changed), deleted, evicted for capacity, or a reset (everything, or one account's, at once).
``seq`` comes from the process-wide :class:`~fakeservices.core.store.SeqClock`: an insert carries
the new item's own ``seq``; every other change takes the next number, so all changes of the
process are totally ordered and a consumer can resume reading stores with ``after=<seq>``.

Two kinds of consumers:

- **listeners** (:meth:`ChangeFeed.listen`) are synchronous callables run inside the change;
  the store's waiters are one (they only resolve futures, so they cannot fall behind);
- **subscriptions** (:meth:`ChangeFeed.subscribe`) are bounded queues read asynchronously, for
  consumers that may be slow (the ``/__admin/events`` stream). A subscription whose queue is full
  when a change arrives is *dropped*: it is removed from the feed, its queue is emptied and it is
  flagged, so memory never grows and the consumer learns it missed changes (and can resume from
  the last ``seq`` it saw).

Nothing is built when nobody listens: a store checks :meth:`ChangeFeed.listening` first.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal

ChangeKind = Literal["insert", "update", "delete", "evict", "reset"]
KINDS: tuple[ChangeKind, ...] = ("insert", "update", "delete", "evict", "reset")

#: The default queue bound of a subscription.
DEFAULT_QUEUE = 1000

Listener = Callable[["Change"], None]


@dataclass(frozen=True, slots=True)
class Change:
    """One store change. ``id`` is None for a reset; ``account`` is None for a reset of all."""

    seq: int
    store: str
    kind: ChangeKind
    id: str | None
    account: str | None
    #: The item itself for insert/update/delete/evict (in process only; not part of the tuple).
    item: Any = field(default=None, compare=False, repr=False)

    def as_tuple(self) -> tuple[int, str, ChangeKind, str | None, str | None]:
        return (self.seq, self.store, self.kind, self.id, self.account)


class SubscriptionDropped(Exception):
    """The subscription fell behind by more than its queue holds and was dropped."""


class Subscription:
    """A bounded queue of changes for one consumer; see the module docstring."""

    def __init__(
        self,
        feed: ChangeFeed,
        maxsize: int,
        stores: Collection[str] | None,
        accounts: Collection[str] | None,
        kinds: Collection[ChangeKind] | None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self.feed = feed
        self.maxsize = maxsize
        self.stores = frozenset(stores) if stores is not None else None
        #: Only changes of these accounts (and changes of no account: resets of everything).
        self.accounts = frozenset(accounts) if accounts else None
        self.kinds = frozenset(kinds) if kinds is not None else None
        #: Set when the queue overflowed; the queue was emptied and the feed forgot this one.
        self.dropped = False
        #: Set by :meth:`close` (or the feed closing at shutdown).
        self.closed = False
        #: The ``seq`` of the last change handed to the consumer (0 before the first).
        self.last_seq = 0
        self._queue: deque[Change] = deque()
        self._waker: asyncio.Future[None] | None = None

    def wants(self, change: Change) -> bool:
        """Whether this subscription's filters take ``change`` (a reset of all reaches all)."""
        if self.stores is not None and change.store not in self.stores:
            return False
        if self.kinds is not None and change.kind not in self.kinds:
            return False
        if self.accounts is None or change.account is None:
            return True
        return change.account in self.accounts

    def offer(self, change: Change) -> None:
        if self.dropped or self.closed or not self.wants(change):
            return
        if len(self._queue) >= self.maxsize:
            self.dropped = True
            self._queue.clear()
            self.feed.unsubscribe(self)
        else:
            self._queue.append(change)
        self._wake()

    def __len__(self) -> int:
        return len(self._queue)

    def get_nowait(self) -> Change | None:
        """The next queued change, or None; raises :class:`SubscriptionDropped` once dropped."""
        if self.dropped:
            raise SubscriptionDropped(f"subscriber fell more than {self.maxsize} changes behind")
        if not self._queue:
            return None
        change = self._queue.popleft()
        self.last_seq = change.seq
        return change

    async def get(self, timeout: float | None = None) -> Change | None:
        """The next change; None when ``timeout`` passes first or the subscription is closed.

        Raises :class:`SubscriptionDropped` if it was dropped (before or while waiting).
        """
        change = self.get_nowait()
        if change is not None or self.closed:
            return change
        waker = self._waker = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await waker
        except TimeoutError:
            return None
        finally:
            self._waker = None
        return self.get_nowait()

    async def __aiter__(self) -> AsyncIterator[Change]:
        """Every change until the subscription is closed (raises if dropped)."""
        while True:
            change = await self.get()
            if change is None:
                return
            yield change

    def close(self) -> None:
        """Stop receiving; a pending :meth:`get` returns None."""
        self.closed = True
        self._queue.clear()
        self.feed.unsubscribe(self)
        self._wake()

    def _wake(self) -> None:
        if self._waker is not None and not self._waker.done():
            self._waker.set_result(None)


class ChangeFeed:
    """Where stores publish their changes (one per runtime, shared by every store)."""

    def __init__(self) -> None:
        self._by_store: dict[str, list[Listener]] = {}
        self._everywhere: list[Listener] = []
        self._subscriptions: dict[Subscription, None] = {}

    # -- consumers ---------------------------------------------------------------------------
    def listen(self, listener: Listener, store: str | None = None) -> Callable[[], None]:
        """Call ``listener`` synchronously on each change (of ``store`` only, if given).

        Returns the function that removes it. A listener must be quick and must not raise.
        """
        group = self._everywhere if store is None else self._by_store.setdefault(store, [])
        group.append(listener)

        def remove() -> None:
            if listener in group:
                group.remove(listener)
            if store is not None and not group:
                self._by_store.pop(store, None)

        return remove

    def subscribe(
        self,
        maxsize: int = DEFAULT_QUEUE,
        *,
        stores: Collection[str] | None = None,
        account: str | None = None,
        kinds: Collection[ChangeKind] | None = None,
        accounts: Collection[str] | None = None,
    ) -> Subscription:
        """A bounded queue of the changes matching the filters, from now on.

        ``account`` (one) and ``accounts`` (several) together name the accounts wanted; neither
        means every account.
        """
        wanted = {*(accounts or ()), *((account,) if account is not None else ())}
        sub = Subscription(self, maxsize, stores, wanted or None, kinds)
        self._subscriptions[sub] = None
        if len(self._subscriptions) == 1:
            self._everywhere.append(self._fan_out)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if self._subscriptions.pop(sub, 0) is None and not self._subscriptions:
            self._everywhere.remove(self._fan_out)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def close(self) -> None:
        """End every subscription (at shutdown); their pending reads return None."""
        for sub in tuple(self._subscriptions):
            sub.close()

    # -- producers ---------------------------------------------------------------------------
    def listening(self, store: str) -> bool:
        """Whether a change of ``store`` would reach anyone (build nothing when not)."""
        return bool(self._everywhere) or store in self._by_store

    def publish(self, change: Change) -> None:
        for listener in tuple(self._by_store.get(change.store, ())):
            listener(change)
        for listener in tuple(self._everywhere):
            listener(change)

    def _fan_out(self, change: Change) -> None:
        for sub in tuple(self._subscriptions):
            sub.offer(change)
