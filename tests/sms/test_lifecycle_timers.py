"""The lifecycle's timers (one per step, no task per message) on the domain model alone."""

from __future__ import annotations

import uuid

from fakeservices.core.outbound import Outbound
from fakeservices.core.store import SeqClock, Store
from fakeservices.sms.lifecycle import Lifecycle
from fakeservices.sms.model import Message, SmsModel

TO = "+15558675310"


def setup(step_seconds: float) -> tuple[Store[Message], SmsModel, Lifecycle]:
    store: Store[Message] = Store("sms", 100, SeqClock())
    model = SmsModel(store)
    outbound = Outbound(Store("d", 10, SeqClock()), 1, 0.0)
    return store, model, Lifecycle(model, outbound, step_seconds)


def create(model: SmsModel, **extra: str) -> Message:
    params = {"To": [TO], "Body": ["hi"], **{k: [v] for k, v in extra.items()}}
    if "MessagingServiceSid" not in extra:
        params["From"] = ["+15005550006"]
    return model.create("AC" + uuid.uuid4().hex, "token", params)


async def test_each_step_in_order_then_nothing_pending() -> None:
    store, model, lifecycle = setup(0.0)
    message = create(model)
    lifecycle.begin(message)
    assert lifecycle.pending == 1
    result = await store.wait(lambda m: m.status == "delivered", timeout=10)
    assert result.satisfied
    assert [c.status for c in message.history] == ["queued", "sent", "delivered"]
    assert message.price == "-0.00790" and message.date_sent is not None
    assert lifecycle.pending == 0
    await lifecycle.stop()


async def test_a_messaging_service_message_is_queued_first() -> None:
    store, model, lifecycle = setup(0.0)
    message = create(model, MessagingServiceSid="MG" + uuid.uuid4().hex)
    assert message.status == "accepted"
    lifecycle.begin(message)
    assert (await store.wait(lambda m: m.status == "delivered", timeout=10)).satisfied
    assert [c.status for c in message.history] == ["accepted", "queued", "sent", "delivered"]
    await lifecycle.stop()


async def test_a_deleted_message_stops_and_stop_cancels_the_timers() -> None:
    store, model, lifecycle = setup(0.0)
    gone = create(model)
    lifecycle.begin(gone)
    store.delete(gone.id)
    kept = create(model)
    lifecycle.begin(kept)
    assert (await store.wait(lambda m: m.status == "delivered", timeout=10)).satisfied
    assert [c.status for c in gone.history] == ["queued"]

    _, model, lifecycle = setup(3600.0)  # the next step is an hour away
    waiting = create(model)
    lifecycle.begin(waiting)
    assert lifecycle.pending == 1
    await lifecycle.stop()
    assert lifecycle.pending == 0
    assert waiting.status == "queued"
