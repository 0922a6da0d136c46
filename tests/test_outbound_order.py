"""Outbound deliveries: an in-order send (a Stripe test clock's advance) lets deliveries already
on their way to the same URL go first, so a receiver never sees a later event before an
earlier one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fakeservices.core.outbound import Delivery, Outbound
from fakeservices.core.store import SeqClock, Store

pytestmark = pytest.mark.asyncio


class Receiver(ThreadingHTTPServer):
    """Records the bodies it has answered, in the order it answered them; a body starting with
    ``slow`` is answered only after ``release`` is set (a receiver busy with an earlier event)."""

    def __init__(self) -> None:
        self.answered: list[bytes] = []
        self.release = threading.Event()
        self.slow_arrived = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if body.startswith(b"slow"):
            self.server.slow_arrived.set()
            assert self.server.release.wait(10)
        self.server.answered.append(body)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    thread.join(10)


def delivery(url: str, body: bytes) -> Delivery:
    return Delivery("stripe", "sk_test_x", url, body, event="e", ref=body.decode())


async def test_in_order_deliveries_wait_for_earlier_ones_to_the_same_url(
    receiver: Receiver,
) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    outbound = Outbound(Store("webhook_deliveries", 100, SeqClock()), attempts=1, backoff=0.01)
    try:
        earlier = outbound.send(delivery(url, b"slow: customer.subscription.updated"))
        in_order = asyncio_task(
            outbound.send_in_order([delivery(url, b"customer.subscription.deleted")])
        )
        # The earlier event is at the receiver and held there; the in-order one must not pass it.
        assert await wait_for(receiver.slow_arrived)
        assert not in_order.done()
        assert receiver.answered == []
        receiver.release.set()
        await in_order
        assert receiver.answered == [
            b"slow: customer.subscription.updated",
            b"customer.subscription.deleted",
        ]
        assert earlier.state == "delivered"
    finally:
        receiver.release.set()
        await outbound.stop()


async def test_background_deliveries_to_one_url_arrive_in_the_order_sent(
    receiver: Receiver,
) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    outbound = Outbound(Store("webhook_deliveries", 100, SeqClock()), attempts=1, backoff=0.01)
    try:
        outbound.send(delivery(url, b"slow: customer.subscription.created"))
        later = outbound.send(delivery(url, b"customer.subscription.updated"))
        assert await wait_for(receiver.slow_arrived)
        await asyncio.sleep(0)  # let the later delivery's task run up to its wait
        assert later.attempts == []  # not sent while the earlier one is at the receiver
        receiver.release.set()
        done, _ = await asyncio.wait(tuple(outbound._tasks), timeout=10)  # both tasks end
        assert len(done) == 2
        assert receiver.answered == [
            b"slow: customer.subscription.created",
            b"customer.subscription.updated",
        ]
    finally:
        receiver.release.set()
        await outbound.stop()


async def test_in_order_deliveries_to_other_urls_do_not_wait(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}"
    outbound = Outbound(Store("webhook_deliveries", 100, SeqClock()), attempts=1, backoff=0.01)
    try:
        outbound.send(delivery(f"{url}/a", b"slow: for another endpoint"))
        assert await wait_for(receiver.slow_arrived)
        await outbound.send_in_order([delivery(f"{url}/b", b"invoice.paid")])
        assert receiver.answered == [b"invoice.paid"]
    finally:
        receiver.release.set()
        await outbound.stop()


def asyncio_task(coro: Coroutine[object, object, None]) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(coro)


async def wait_for(event: threading.Event, timeout: float = 10) -> bool:
    """Wait for a thread's event without blocking the loop (the deliveries run on it)."""
    return await asyncio.to_thread(event.wait, timeout)
