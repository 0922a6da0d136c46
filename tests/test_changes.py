"""The change feed: every store change is published, subscribers are bounded, waiters still work."""

from __future__ import annotations

import asyncio
import itertools
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

import httpx
import pytest

from fakeservices.core.changes import Change, ChangeFeed, Subscription, SubscriptionDropped
from fakeservices.core.store import SeqClock, Store
from fakeservices.server import EmbeddedServer

_ids = itertools.count()


@dataclass(slots=True, eq=False)
class Item:
    account: str
    value: int
    id: str = field(default_factory=lambda: f"it_{next(_ids)}")
    seq: int = 0


def setup(capacity: int = 100) -> tuple[Store[Item], ChangeFeed, list[Change]]:
    feed = ChangeFeed()
    store: Store[Item] = Store("items", capacity, SeqClock(), feed)
    seen: list[Change] = []
    feed.listen(seen.append)
    return store, feed, seen


def test_every_kind_of_change_is_published_in_seq_order() -> None:
    store, _feed, seen = setup(capacity=2)
    a = store.add(Item("acct_a", 1))
    b = store.add(Item("acct_b", 2))
    store.touch(b)
    c = store.add(Item("acct_a", 3))  # evicts a
    assert store.delete(b.id)
    assert not store.delete(b.id)  # nothing happened: nothing published
    store.touch(b)  # no longer held: nothing published
    assert store.reset("acct_a") == 1
    store.add(Item("acct_b", 4))
    assert store.clear() == 1
    assert [ch.as_tuple()[1:] for ch in seen] == [
        ("items", "insert", a.id, "acct_a"),
        ("items", "insert", b.id, "acct_b"),
        ("items", "update", b.id, "acct_b"),
        ("items", "insert", c.id, "acct_a"),
        ("items", "evict", a.id, "acct_a"),
        ("items", "delete", b.id, "acct_b"),
        ("items", "reset", None, "acct_a"),
        ("items", "insert", seen[7].id, "acct_b"),
        ("items", "reset", None, None),
    ]
    seqs = [ch.seq for ch in seen]
    assert seqs == sorted(set(seqs))  # strictly increasing: one order for everything
    # An insert carries its item's own seq; the item rides along in process.
    assert (seen[0].seq, seen[0].item) == (a.seq, a)
    assert seen[4].item is a


def test_filtered_clear_is_one_delete_per_item() -> None:
    store, _feed, seen = setup()
    items = [store.add(Item("x" if i % 2 else "y", i)) for i in range(4)]
    seen.clear()
    assert store.clear(lambda it: it.account == "x") == 2
    assert [(ch.kind, ch.id) for ch in seen] == [
        ("delete", items[1].id),
        ("delete", items[3].id),
    ]


def test_listeners_by_store_and_removal() -> None:
    feed = ChangeFeed()
    clock = SeqClock()
    one: Store[Item] = Store("one", 10, clock, feed)
    two: Store[Item] = Store("two", 10, clock, feed)
    got: list[str] = []
    assert not feed.listening("one")  # nobody listens: stores build no Change at all
    remove = feed.listen(lambda ch: got.append(ch.store), store="one")
    assert feed.listening("one") and not feed.listening("two")
    one.add(Item("a", 1))
    two.add(Item("a", 2))
    remove()
    one.add(Item("a", 3))
    assert got == ["one"]
    assert not feed.listening("one")


def test_subscription_filters_by_store_account_and_kind() -> None:
    feed = ChangeFeed()
    clock = SeqClock()
    emails: Store[Item] = Store("emails", 10, clock, feed)
    sms: Store[Item] = Store("sms", 10, clock, feed)
    sub = feed.subscribe(stores={"emails"}, account="mine", kinds={"insert", "reset"})
    mine = emails.add(Item("mine", 1))
    emails.add(Item("theirs", 2))
    sms.add(Item("mine", 3))
    emails.touch(mine)  # an update: not a kind asked for
    emails.reset("theirs")  # another account's reset
    emails.reset()  # a reset of everything reaches every account
    got = [sub.get_nowait(), sub.get_nowait(), sub.get_nowait()]
    assert [(c.kind, c.id, c.account) if c else None for c in got] == [
        ("insert", mine.id, "mine"),
        ("reset", None, None),
        None,
    ]
    assert sub.last_seq == got[1].seq  # type: ignore[union-attr]


def test_a_slow_subscriber_is_dropped_and_flagged_never_growing() -> None:
    store, feed, _seen = setup()
    slow = feed.subscribe(maxsize=3)
    fast = feed.subscribe(maxsize=3)
    store.add(Item("a", 0))
    assert fast.get_nowait() is not None  # this one keeps up
    for i in range(1, 3):
        store.add(Item("a", i))
    assert len(slow) == 3 and not slow.dropped  # full, still subscribed
    store.add(Item("a", 3))  # a 4th unread change: the slow subscriber is dropped
    assert slow.dropped and len(slow) == 0
    assert feed.subscriber_count == 1  # the feed forgot it: nothing more is queued for it
    assert len(fast) == 3 and not fast.dropped
    for _ in range(3):
        assert fast.get_nowait() is not None
    for i in range(4, 100):
        store.add(Item("a", i))
        assert fast.get_nowait() is not None
    assert len(slow) == 0
    with pytest.raises(SubscriptionDropped):
        slow.get_nowait()
    assert fast.get_nowait() is None and not fast.dropped


async def test_get_waits_for_the_next_change_without_polling() -> None:
    store, feed, _seen = setup()
    sub = feed.subscribe()
    task = asyncio.create_task(sub.get(timeout=10))
    await asyncio.sleep(0)  # a bare yield: let the reader start waiting
    item = store.add(Item("a", 1))
    change = await task
    assert change is not None and change.id == item.id
    assert await sub.get(timeout=0) is None  # nothing more: a timeout, not an error


async def test_dropped_while_waiting_raises_and_close_ends_reads() -> None:
    store, feed, _seen = setup()
    sub = feed.subscribe(maxsize=1)
    store.add(Item("a", 1))
    store.add(Item("a", 2))  # overflow before the consumer read anything
    with pytest.raises(SubscriptionDropped):
        await sub.get(timeout=10)
    other = feed.subscribe()
    reader = asyncio.create_task(other.get(timeout=10))
    await asyncio.sleep(0)
    feed.close()  # shutdown
    assert await reader is None and other.closed
    assert [c async for c in other] == []
    assert feed.subscriber_count == 0


async def test_waiters_are_built_on_the_feed() -> None:
    store, _feed, _seen = setup()
    task = asyncio.create_task(store.wait(lambda it: it.value == 2, count=1, timeout=10))
    await asyncio.wait_for(store.until_waiting(1), 5)
    item = store.add(Item("a", 1))
    item.value = 2
    store.touch(item)  # the update change wakes the waiter
    result = await task
    assert result.satisfied and result.items == [item]
    assert store.waiter_count == 0


async def test_store_listens_only_while_it_has_waiters() -> None:
    feed = ChangeFeed()
    store: Store[Item] = Store("items", 10, SeqClock(), feed)
    assert not feed.listening("items")
    task = asyncio.create_task(store.wait(lambda it: True, count=1, timeout=10))
    await asyncio.wait_for(store.until_waiting(1), 5)
    assert feed.listening("items")
    store.add(Item("a", 1))
    assert (await task).satisfied
    assert not feed.listening("items")


def test_a_server_publishes_mail_stored_and_reset(server: EmbeddedServer, unique: str) -> None:
    account = f"feed-{unique}"
    runtime = server.runtime

    async def subscribe() -> Subscription:
        return runtime.changes.subscribe(stores={"emails"}, account=account)

    sub = server.run(subscribe(), 5)
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "feed"
        msg.set_content("hello")
        with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
            smtp.login(account, "pw")
            smtp.send_message(msg)
        with httpx.Client(base_url=server.url, timeout=10) as admin:
            [mail] = admin.get("/__admin/emails/wait", params={"account": account}).json()["data"]
            reset = admin.post("/__admin/reset", params={"service": "email", "account": account})
            assert reset.status_code == 200

        async def collect() -> list[tuple[str, str | None, str | None]]:
            got: list[tuple[str, str | None, str | None]] = []
            for _ in range(50):  # bounded: other tests' resets of everything may interleave
                change = await sub.get(timeout=10)
                assert change is not None
                got.append((change.kind, change.id, change.account))
                if change.kind == "reset" and change.account == account:
                    return got
            return got

        got = server.run(collect(), 30)
        assert got[0] == ("insert", mail["id"], account)
        assert got[-1] == ("reset", None, account)
    finally:

        async def close() -> None:
            sub.close()

        server.run(close(), 5)
