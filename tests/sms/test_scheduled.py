"""Scheduled messages (``ScheduleType=fixed`` + ``SendAt``), through the twilio SDK."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from fakeservices.client import FakeServices, FakeServicesError
from fakeservices.core.outbound import Outbound
from fakeservices.core.store import SeqClock, Store
from fakeservices.server import EmbeddedServer
from fakeservices.sms.lifecycle import Lifecycle
from fakeservices.sms.model import Message, SmsModel

from .helpers import Twilio, messages_path, wait_for

TO = "+15558675310"


def service_sid() -> str:
    return "MG" + uuid.uuid4().hex


def in_(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def schedule(twilio: Twilio, send_at: object, **kwargs: object) -> object:
    """Create a scheduled message; a keyword set to None is left out of the request."""
    params: dict[str, object] = {
        "to": TO,
        "messaging_service_sid": service_sid(),
        "body": "see you tomorrow",
        "schedule_type": "fixed",
        "send_at": send_at,
    }
    params.update(kwargs)
    return twilio.client.messages.create(**{k: v for k, v in params.items() if v is not None})


def test_a_scheduled_message_waits_then_send_now_runs_its_lifecycle(
    server: EmbeddedServer, twilio: Twilio, admin: httpx.Client
) -> None:
    message = schedule(twilio, in_(3600))
    assert message.status == "scheduled"  # type: ignore[attr-defined]
    sid = message.sid  # type: ignore[attr-defined]
    assert twilio.client.messages(sid).fetch().status == "scheduled"
    with FakeServices(server.url) as fake:
        [held] = fake.sms.list(account=twilio.sid)
        assert held.status == "scheduled"
        assert held.model_extra is not None and held.model_extra["send_at"].endswith("Z")
        due = fake.sms.send_now(sid)
        assert due.id == sid
        [sent] = fake.sms.wait(account=twilio.sid, status="delivered")
    history = [h["status"] for h in sent.model_extra["status_history"]]  # type: ignore[index]
    assert history == ["scheduled", "queued", "sent", "delivered"]
    fetched = twilio.client.messages(sid).fetch()
    assert (fetched.status, fetched.from_) == ("delivered", "+15005550006")
    assert fetched.date_sent is not None
    assert wait_for(admin, twilio.sid, "delivered")[0]["id"] == sid


def test_cancel_stops_a_scheduled_message(server: EmbeddedServer, twilio: Twilio) -> None:
    sid = schedule(twilio, in_(7200)).sid  # type: ignore[attr-defined]
    canceled = twilio.client.messages(sid).update(status="canceled")
    assert canceled.status == "canceled"
    with FakeServices(server.url) as fake:
        with pytest.raises(FakeServicesError) as info:
            fake.sms.send_now(sid)  # no longer scheduled
        assert info.value.status == 409
        [msg] = fake.sms.list(account=twilio.sid)
        assert msg.status == "canceled"
    with pytest.raises(TwilioRestException) as again:
        twilio.client.messages(sid).update(status="canceled")
    assert again.value.code == 30409


def test_send_now_of_an_unknown_message_is_404(server: EmbeddedServer) -> None:
    with FakeServices(server.url) as fake, pytest.raises(FakeServicesError) as info:
        fake.sms.send_now("SM" + uuid.uuid4().hex)
    assert info.value.status == 404


@pytest.mark.parametrize(
    ("send_at", "kwargs", "code", "text"),
    [
        (in_(60), {}, 35114, "Scheduling does not support this timestamp"),
        (in_(36 * 86400), {}, 35114, "Scheduling does not support this timestamp"),
        ("tomorrow", {}, 35114, "Scheduling does not support this timestamp"),
        (None, {}, 35111, "SendAt timestamp is missing"),
        (
            in_(3600),
            {"messaging_service_sid": None, "from_": "+15005550006"},
            35118,
            "MessagingServiceSid is required to schedule a message",
        ),
    ],
)
def test_schedule_validation(
    twilio: Twilio, send_at: object, kwargs: dict[str, object], code: int, text: str
) -> None:
    with pytest.raises(TwilioRestException) as info:
        schedule(twilio, send_at, **kwargs)
    assert (info.value.status, info.value.code) == (400, code)
    assert info.value.msg.startswith(f"Unable to create record: {text}")
    assert twilio.client.messages.list() == []


def test_the_window_is_inclusive_of_its_ends(server: EmbeddedServer, twilio: Twilio) -> None:
    """300 s ahead (plus the request's own latency margin) and 35 days ahead are accepted."""
    for seconds in (330, 35 * 86400 - 30):
        assert schedule(twilio, in_(seconds)).status == "scheduled"  # type: ignore[attr-defined]


def test_without_schedule_type_send_at_is_ignored(twilio: Twilio) -> None:
    message = twilio.client.messages.create(
        to=TO, from_="+15005550006", body="now", send_at=in_(3600)
    )
    assert message.status == "queued"


def test_raw_form_post_gets_the_same_schedule(server: EmbeddedServer, twilio: Twilio) -> None:
    send_at = in_(3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = httpx.post(
        server.url + messages_path(twilio.sid),
        auth=(twilio.sid, twilio.token),
        data={
            "To": TO,
            "MessagingServiceSid": service_sid(),
            "Body": "x",
            "ScheduleType": "fixed",
            "SendAt": send_at,
        },
    )
    assert r.status_code == 201
    assert r.json()["status"] == "scheduled"


# -- the domain model on an injected clock -----------------------------------------------------
async def test_past_send_at_by_the_injected_clock_is_sent() -> None:
    now = [1_800_000_000.0]
    store: Store[Message] = Store("sms", 100, SeqClock())
    model = SmsModel(store, clock=lambda: now[0])
    lifecycle = Lifecycle(model, Outbound(Store("d", 10, SeqClock()), 1, 0.0), 0.0)
    send_at = datetime.fromtimestamp(now[0] + 600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {
        "To": [TO],
        "MessagingServiceSid": [service_sid()],
        "Body": ["hi"],
        "ScheduleType": ["fixed"],
        "SendAt": [send_at],
    }
    message = model.create("AC" + uuid.uuid4().hex, "token", params)
    assert message.status == "scheduled"
    now[0] += 601  # the clock passes SendAt
    lifecycle.begin(message)
    result = await store.wait(lambda m: m.status == "delivered", timeout=10)
    assert result.satisfied
    assert [c.status for c in message.history] == ["scheduled", "queued", "sent", "delivered"]
    assert message.date_sent == now[0]
    await lifecycle.stop()
