"""The bounded store and its waiters, on one event loop, under concurrency (no sleeps)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest

from fakeservices.core.store import SeqClock, Store

_ids = itertools.count()


@dataclass(slots=True, eq=False)
class Item:
    account: str
    value: int
    id: str = field(default_factory=lambda: f"it_{next(_ids)}")
    seq: int = 0


def make(capacity: int = 100, clock: SeqClock | None = None) -> Store[Item]:
    return Store("items", capacity, clock or SeqClock())


def test_seq_is_monotonic_across_stores_sharing_a_clock() -> None:
    clock = SeqClock()
    a, b = make(clock=clock), make(clock=clock)
    seqs = [a.add(Item("x", 1)).seq, b.add(Item("x", 2)).seq, a.add(Item("x", 3)).seq]
    assert seqs == [1, 2, 3]
    assert clock.last == 3


def test_capacity_evicts_oldest_first_and_counts() -> None:
    store = make(capacity=3)
    items = [store.add(Item("a", i)) for i in range(5)]
    assert [i.value for i in store.values()] == [2, 3, 4]
    assert store.evicted == 2
    assert store.added == 5
    assert store.get(items[0].id) is None
    assert store.get(items[4].id) is items[4]


def test_query_filters_pages_by_after_and_limit() -> None:
    store = make()
    for i in range(10):
        store.add(Item("a" if i % 2 else "b", i))
    page = store.query(lambda it: it.account == "a", limit=3)
    assert [i.value for i in page.items] == [1, 3, 5]
    assert page.has_more is True
    rest = store.query(lambda it: it.account == "a", after=page.next_after, limit=3)
    assert [i.value for i in rest.items] == [7, 9]
    assert rest.has_more is False
    # after beyond the newest item: empty, and next_after stays a valid resume point
    empty = store.query(after=store.clock.last)
    assert empty.items == [] and empty.next_after == store.clock.last


def test_query_after_walks_from_either_end_consistently() -> None:
    store = make(capacity=50)
    for i in range(80):
        store.add(Item("a", i))
    held = [i.seq for i in store.values()]  # evictions take seqs too: the held ones have gaps
    assert len(held) == 50
    for after in (0, 10, held[0] - 1, held[0], held[10], held[25] + 1, held[-1] - 1, held[-1]):
        got = [i.seq for i in store.query(after=after, limit=1000).items]
        assert got == [s for s in held if s > after]


def test_delete_clear_and_near_misses() -> None:
    store = make()
    a1 = store.add(Item("a", 1))
    store.add(Item("b", 2))
    store.add(Item("a", 3))
    store.add(Item("b", 4))
    assert store.delete(a1.id) is True
    assert store.delete(a1.id) is False
    misses = store.latest_not_matching(lambda it: it.account == "a", n=5)
    assert [i.value for i in misses] == [2, 4]
    assert store.clear(lambda it: it.account == "b") == 2
    assert [i.value for i in store.values()] == [3]
    assert store.clear() == 1
    assert len(store) == 0


async def test_wait_returns_at_once_when_enough_exist() -> None:
    store = make()
    store.add(Item("a", 1))
    store.add(Item("a", 2))
    result = await store.wait(lambda it: it.account == "a", count=2, timeout=5)
    assert result.satisfied
    assert [i.value for i in result.items] == [1, 2]
    assert store.waiter_count == 0


async def test_wait_after_only_counts_newer_items() -> None:
    store = make()
    old = store.add(Item("a", 1))
    task = asyncio.create_task(store.wait(lambda it: True, count=1, after=old.seq, timeout=5))
    await asyncio.wait_for(store.until_waiting(1), 5)
    assert store.waiter_count == 1
    store.add(Item("a", 2))
    result = await task
    assert result.satisfied and [i.value for i in result.items] == [2]


async def test_many_waiters_and_inserts_from_several_tasks() -> None:
    store = make(capacity=10_000)
    accounts = [f"acct{i}" for i in range(20)]
    per_account = 25

    waiters = [
        asyncio.create_task(
            store.wait(lambda it, a=a: it.account == a, count=per_account, timeout=10)
        )
        for a in accounts
    ]
    # One more waiter that wants the total across every account.
    total = asyncio.create_task(
        store.wait(lambda it: True, count=len(accounts) * per_account, timeout=10)
    )
    await asyncio.wait_for(store.until_waiting(len(accounts) + 1), 5)

    async def producer(account: str) -> None:
        for i in range(per_account):
            store.add(Item(account, i))
            await asyncio.sleep(0)  # a bare yield: interleave with the other producers

    await asyncio.gather(*(producer(a) for a in accounts))
    results = await asyncio.gather(*waiters, total)
    for account, result in zip(accounts, results[:-1], strict=True):
        assert result.satisfied
        assert {i.account for i in result.items} == {account}
        assert [i.value for i in result.items] == list(range(per_account))
    assert results[-1].satisfied and len(results[-1].items) == len(accounts) * per_account
    assert store.waiter_count == 0


async def test_waiter_times_out_with_what_matched() -> None:
    store = make()
    store.add(Item("a", 1))
    result = await store.wait(lambda it: it.account == "a", count=3, timeout=0.05)
    assert not result.satisfied
    assert [i.value for i in result.items] == [1]
    assert store.waiter_count == 0


async def test_cancelled_waiter_is_removed() -> None:
    store = make()
    task = asyncio.create_task(store.wait(lambda it: True, count=1, timeout=30))
    await asyncio.wait_for(store.until_waiting(1), 5)
    assert store.waiter_count == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.waiter_count == 0
    await asyncio.wait_for(store.until_no_waiters(), 1)
    # The store still works for the next waiter.
    store.add(Item("a", 1))
    assert (await store.wait(lambda it: True, timeout=1)).satisfied


async def test_touch_reoffers_changed_items_once() -> None:
    store = make()
    item = store.add(Item("a", 0))
    task = asyncio.create_task(store.wait(lambda it: it.value == 5, count=1, timeout=5))
    await asyncio.wait_for(store.until_waiting(1), 5)
    item.value = 5
    store.touch(item)
    store.touch(item)
    result = await task
    assert result.satisfied and result.items == [item]


async def test_wake_all_releases_waiters_unsatisfied() -> None:
    store = make()
    task = asyncio.create_task(store.wait(lambda it: True, count=1, timeout=30))
    await asyncio.wait_for(store.until_waiting(1), 5)
    store.wake_all()
    result = await task
    assert not result.satisfied and result.items == []
