"""Segment counting (GSM-7 / UCS-2) and the admin read-back API."""

from __future__ import annotations

import httpx
import pytest

from fakeservices.sms.segments import count_segments, encoding

from .helpers import Twilio, wait_for


@pytest.mark.parametrize(
    ("body", "segments", "enc"),
    [
        ("", 1, "GSM-7"),
        ("a" * 160, 1, "GSM-7"),
        ("a" * 161, 2, "GSM-7"),
        ("a" * 306, 2, "GSM-7"),
        ("a" * 307, 3, "GSM-7"),
        ("€" * 80, 1, "GSM-7"),  # extension table: 2 septets each
        ("€" * 81, 2, "GSM-7"),
        ("a" * 152 + "€", 1, "GSM-7"),  # 154 septets still fit in one
        ("a" * 158 + "{}", 2, "GSM-7"),  # 162 septets
        ("a" * 152 + "[" + "a" * 153, 3, "GSM-7"),  # an escape pair is never split
        ("é" * 160, 1, "GSM-7"),  # é is in the basic set
        ("ê", 1, "UCS-2"),  # ê is not
        ("ê" * 70, 1, "UCS-2"),
        ("ê" * 71, 2, "UCS-2"),
        ("ê" * 134, 2, "UCS-2"),
        ("ê" * 135, 3, "UCS-2"),
        ("😀" * 35, 1, "UCS-2"),  # 70 UTF-16 units
        ("😀" * 36, 2, "UCS-2"),
        ("a" * 66 + "😀" + "a" * 67, 3, "UCS-2"),  # a surrogate pair is never split
    ],
)
def test_count_segments(body: str, segments: int, enc: str) -> None:
    assert count_segments(body) == segments
    assert encoding(body) == enc


def test_num_segments_through_the_api(twilio: Twilio) -> None:
    c = twilio.client.messages
    assert c.create(to="+15558675310", from_="+15005550006", body="€" * 81).num_segments == "2"
    assert c.create(to="+15558675310", from_="+15005550006", body="😀" * 36).num_segments == "2"


def test_admin_filters_get_and_delete(twilio: Twilio, admin: httpx.Client) -> None:
    c = twilio.client.messages
    a = c.create(to="+15550000001", from_="+15005550006", body="Your CODE is 1234")
    c.create(to="+15550000002", from_="MyShop", body="Other news")
    wait_for(admin, twilio.sid, "delivered", count=2)

    def ids(**params: str) -> list[str]:
        r = admin.get("/__admin/sms", params={"account": twilio.sid, **params})
        assert r.status_code == 200, r.text
        return [m["body"] for m in r.json()["data"]]

    assert ids() == ["Your CODE is 1234", "Other news"]
    assert ids(to="+15550000001") == ["Your CODE is 1234"]
    assert ids(**{"from": "myshop"}) == ["Other news"]
    assert ids(body="code IS") == ["Your CODE is 1234"]
    assert ids(status="delivered") == ["Your CODE is 1234", "Other news"]
    assert ids(status="queued") == []
    bad = admin.get("/__admin/sms", params={"status": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_parameter"

    one = admin.get(f"/__admin/sms/{a.sid}").json()
    assert one["sid"] == one["id"] == a.sid
    assert one["account"] == twilio.sid
    assert one["to"] == "+15550000001"
    assert one["status"] == "delivered"

    r = admin.delete("/__admin/sms", params={"account": twilio.sid, "to": "+15550000002"})
    assert r.json() == {"deleted": 1}
    assert ids() == ["Your CODE is 1234"]
    assert admin.delete(f"/__admin/sms/{a.sid}").json() == {"deleted": 1}
    assert ids() == []


def test_admin_wait_for_new_message(twilio: Twilio, admin: httpx.Client) -> None:
    first = twilio.client.messages.create(to="+15550000001", from_="+15005550006", body="one")
    seq = admin.get(f"/__admin/sms/{first.sid}").json()["seq"]
    twilio.client.messages.create(to="+15550000001", from_="+15005550006", body="two")
    r = admin.get(
        "/__admin/sms/wait",
        params={"account": twilio.sid, "after": seq, "to": "+15550000001", "timeout": 10},
    )
    assert r.status_code == 200
    assert [m["body"] for m in r.json()["data"]] == ["two"]
    r = admin.get(
        "/__admin/sms/wait",
        params={"account": twilio.sid, "to": "+19999999999", "timeout": 0.1},
    )
    assert r.status_code == 408
    assert "+15550000001" in r.json()["error"]["message"]


def test_reset_one_account(twilio: Twilio, admin: httpx.Client) -> None:
    twilio.client.messages.create(to="+15550000001", from_="+15005550006", body="gone")
    r = admin.post("/__admin/reset", params={"service": "sms", "account": twilio.sid})
    assert r.status_code == 200
    assert twilio.client.messages.list() == []
    assert admin.get("/__admin/sms", params={"account": twilio.sid}).json()["data"] == []
    assert admin.get("/__admin/health").json()["counts"]["sms"] >= 0
