"""Status lifecycle and signed StatusCallbacks, received by a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from fakeservices.server import start_server
from fakeservices.sms.numbers import OUTCOMES

from .helpers import Twilio, new_sid, point, wait_for
from .receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def wait_deliveries(admin: httpx.Client, sid: str, state: str, count: int) -> list[dict[str, Any]]:
    r = admin.get(
        "/__admin/webhook-deliveries/wait",
        params={"service": "sms", "ref": sid, "state": state, "count": count, "timeout": 15},
    )
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def test_callbacks_at_each_step_are_signed(
    twilio: Twilio, admin: httpx.Client, receiver: Receiver
) -> None:
    url = receiver.base + "/ok/status?tenant=a%20b&x=1"
    m = twilio.client.messages.create(
        to="+15558675310", from_="+15005550006", body="hi", status_callback=url
    )
    deliveries = wait_deliveries(admin, m.sid, "delivered", 2)
    assert sorted(d["event"] for d in deliveries) == ["delivered", "sent"]
    assert all(d["account"] == twilio.sid and d["url"] == url for d in deliveries)

    got = receiver.to(m.sid)
    assert sorted(r.form["MessageStatus"] for r in got) == ["delivered", "sent"]  # no "queued"
    validator = RequestValidator(twilio.token)
    for r in got:
        assert r.path == "/ok/status?tenant=a%20b&x=1"
        assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
        signature = r.headers["X-Twilio-Signature"]
        assert validator.validate(url, r.form, signature)
        assert not RequestValidator("other-token").validate(url, r.form, signature)
        assert r.form["SmsStatus"] == r.form["MessageStatus"]
        assert r.form["MessageSid"] == r.form["SmsSid"] == m.sid
        assert r.form["AccountSid"] == twilio.sid
        assert r.form["From"] == "+15005550006"
        assert r.form["To"] == "+15558675310"
        assert r.form["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in r.form
        assert "Body" not in r.form
    assert twilio.client.messages(m.sid).fetch().status == "delivered"


@pytest.mark.parametrize("number", sorted(OUTCOMES))
def test_outcome_numbers_end_undelivered_or_failed(
    twilio: Twilio, admin: httpx.Client, receiver: Receiver, number: str
) -> None:
    outcome = OUTCOMES[number]
    m = twilio.client.messages.create(
        to=number, from_="+15005550006", body="x", status_callback=receiver.base + "/ok"
    )
    assert m.status == "queued"
    [done] = wait_for(admin, twilio.sid, outcome.final_status)
    assert done["error_code"] == outcome.error_code
    assert done["error_message"] == outcome.error_message
    expected = ["queued", "failed"] if outcome.final_status == "failed" else None
    if expected is None:
        expected = ["queued", "sent", "undelivered"]
    assert [h["status"] for h in done["status_history"]] == expected
    assert (done["price"] is None) == (outcome.final_status == "failed")
    deliveries = wait_deliveries(admin, m.sid, "delivered", len(expected) - 1)
    assert {d["event"] for d in deliveries} == set(expected[1:])
    final = [r for r in receiver.to(m.sid) if r.form["MessageStatus"] == outcome.final_status]
    assert final[0].form["ErrorCode"] == str(outcome.error_code)
    assert RequestValidator(twilio.token).validate(
        receiver.base + "/ok", final[0].form, final[0].headers["X-Twilio-Signature"]
    )
    fetched = twilio.client.messages(m.sid).fetch()
    assert (fetched.status, fetched.error_code) == (outcome.final_status, outcome.error_code)


def test_failing_callbacks_are_retried_and_recorded(
    twilio: Twilio, admin: httpx.Client, receiver: Receiver
) -> None:
    url = receiver.base + "/fail"
    m = twilio.client.messages.create(
        to="+15558675310", from_="+15005550006", body="x", status_callback=url
    )
    failed = wait_deliveries(admin, m.sid, "failed", 2)
    for d in failed:
        assert len(d["attempts"]) == 4  # the configured bound (delivery_attempts)
        assert all(a["status"] == 500 for a in d["attempts"])
    assert len(receiver.to(m.sid)) == 8
    # The message itself is unaffected by its callback failing.
    assert twilio.client.messages(m.sid).fetch().status == "delivered"


def test_unreachable_callback_is_recorded(twilio: Twilio, admin: httpx.Client) -> None:
    with Receiver() as gone:
        url = gone.base + "/ok"
    m = twilio.client.messages.create(
        to="+15558675310", from_="+15005550006", body="x", status_callback=url
    )
    failed = wait_deliveries(admin, m.sid, "failed", 2)
    assert all(a["status"] is None and a["error"] for d in failed for a in d["attempts"])


def test_no_callback_without_status_callback(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="x")
    wait_for(admin, twilio.sid, "delivered")
    r = admin.get("/__admin/webhook-deliveries", params={"service": "sms", "ref": m.sid})
    assert r.json()["data"] == []


def test_slow_lifecycle_in_flight_rules() -> None:
    """With a long step delay the message stays queued: delete is refused (20009)."""
    with start_server(sms_step_seconds=30) as server, httpx.Client(base_url=server.url) as admin:
        sid = new_sid()
        client = point(Client(sid, "t"), server.url)
        m = client.messages.create(to="+15558675310", from_="+15005550006", body="slow")
        with pytest.raises(TwilioRestException) as info:
            client.messages(m.sid).delete()
        assert (info.value.status, info.value.code) == (400, 20009)
        r = admin.get("/__admin/sms/wait", params={"status": "delivered", "timeout": 0.2})
        assert r.status_code == 408
        error = r.json()["error"]
        assert error["code"] == "wait_timeout"
        assert error["matched"] == 0
        assert error["recent"][0]["status"] == "queued"
        assert client.messages(m.sid).fetch().status == "queued"


def test_small_step_delay_progresses() -> None:
    with start_server(sms_step_seconds=0.01) as slow, httpx.Client(base_url=slow.url) as admin:
        sid = new_sid()
        client = point(Client(sid, "t"), slow.url)
        client.messages.create(to="+15558675310", from_="+15005550006", body="a")
        [done] = wait_for(admin, sid, "delivered")
        assert [h["status"] for h in done["status_history"]] == ["queued", "sent", "delivered"]
