"""Create, fetch, list (filters, paging), delete and redact through the unchanged twilio SDK."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from fakeservices.server import EmbeddedServer

from .helpers import Twilio, messages_path, wait_for

SID_RE = re.compile(r"SM[0-9a-f]{32}")
RFC2822_RE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000")


def test_create_returns_twilio_resource(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="Hello")
    assert SID_RE.fullmatch(m.sid)
    assert m.status == "queued"
    assert m.account_sid == twilio.sid
    assert m.to == "+15558675310"
    assert m.from_ == "+15005550006"
    assert m.body == "Hello"
    assert m.num_segments == "1"
    assert m.num_media == "0"
    assert m.direction == "outbound-api"
    assert m.api_version == "2010-04-01"
    assert m.price is None
    assert m.date_sent is None
    assert m.error_code is None
    assert m.uri == f"/2010-04-01/Accounts/{twilio.sid}/Messages/{m.sid}.json"
    assert m.subresource_uris == {
        "media": f"/2010-04-01/Accounts/{twilio.sid}/Messages/{m.sid}/Media.json"
    }
    assert m.date_created is not None
    assert abs((datetime.now(UTC) - m.date_created).total_seconds()) < 60


def test_raw_json_formats(server: EmbeddedServer, twilio: Twilio) -> None:
    r = httpx.post(
        server.url + messages_path(twilio.sid),
        auth=(twilio.sid, twilio.token),
        data={"To": "+15558675310", "From": "+15005550006", "Body": "raw"},
    )
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert RFC2822_RE.fullmatch(body["date_created"])
    assert RFC2822_RE.fullmatch(body["date_updated"])
    assert parsedate_to_datetime(body["date_created"]).tzinfo is not None
    assert body["price"] is None and body["price_unit"] is None
    assert body["error_message"] is None and body["messaging_service_sid"] is None
    assert set(body) >= {"sid", "status", "num_segments", "direction", "uri", "subresource_uris"}


def test_fetch_after_delivery_has_price_and_date_sent(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="x" * 161)
    wait_for(admin, twilio.sid, "delivered")
    f = twilio.client.messages(m.sid).fetch()
    assert f.status == "delivered"
    assert f.num_segments == "2"
    assert f.price == "-0.01580"
    assert f.price_unit == "USD"
    assert f.date_sent is not None


def test_media_urls_make_an_mms(twilio: Twilio) -> None:
    urls = ["https://example.com/a.png", "https://example.com/b.jpg"]
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", media_url=urls)
    assert m.sid.startswith("MM")
    assert m.num_media == "2"
    assert m.body == ""
    media = twilio.client.messages(m.sid).media.list()
    assert [x.content_type for x in media] == ["image/png", "image/jpeg"]
    assert all(x.parent_sid == m.sid and x.sid.startswith("ME") for x in media)


def test_messaging_service_starts_accepted(twilio: Twilio, admin: httpx.Client) -> None:
    service = "MG" + "0" * 32
    m = twilio.client.messages.create(to="+15558675310", messaging_service_sid=service, body="hi")
    assert m.status == "accepted"
    assert m.from_ is None
    assert m.messaging_service_sid == service
    [done] = wait_for(admin, twilio.sid, "delivered")
    assert [h["status"] for h in done["status_history"]] == [
        "accepted",
        "queued",
        "sent",
        "delivered",
    ]
    assert done["from"] == "+15005550006"


def test_list_filters_by_to_and_from(twilio: Twilio) -> None:
    c = twilio.client
    c.messages.create(to="+15550000001", from_="+15005550006", body="a")
    c.messages.create(to="+15550000002", from_="+15005550006", body="b")
    c.messages.create(to="+15550000001", from_="+15550009999", body="c")
    assert [m.body for m in c.messages.list(to="+15550000001")] == ["c", "a"]
    assert [m.body for m in c.messages.list(from_="+15550009999")] == ["c"]
    assert [m.body for m in c.messages.list(to="+15550000002", from_="+15005550006")] == ["b"]
    assert c.messages.list(to="+15550000003") == []


def test_list_filters_by_date_sent(twilio: Twilio, admin: httpx.Client) -> None:
    c = twilio.client
    m = c.messages.create(to="+15550000001", from_="+15005550006", body="today")
    wait_for(admin, twilio.sid, "delivered")
    sent = c.messages(m.sid).fetch().date_sent
    assert sent is not None
    now = datetime.now(UTC)
    today = sent.date()
    # A datetime (what the SDK sends for a datetime argument) matches to the second.
    assert len(c.messages.list(date_sent=sent)) == 1
    assert c.messages.list(date_sent=sent - timedelta(seconds=1)) == []
    assert [m.body for m in c.messages.list(date_sent_after=now - timedelta(hours=1))] == ["today"]
    assert c.messages.list(date_sent_before=now - timedelta(hours=1)) == []
    assert c.messages.list(date_sent_after=now + timedelta(hours=1)) == []
    # Date-only values (what Twilio documents) compare whole GMT days, inclusively.
    assert len(c.messages.list(date_sent=today.isoformat())) == 1
    assert len(c.messages.list(date_sent_before=today.isoformat())) == 1
    assert len(c.messages.list(date_sent_after=(today + timedelta(days=1)).isoformat())) == 0


def test_paging_over_several_pages(
    server: EmbeddedServer, twilio: Twilio, admin: httpx.Client
) -> None:
    c = twilio.client
    bodies = [f"m{i}" for i in range(7)]
    for b in bodies:
        c.messages.create(to="+15550000001", from_="+15005550006", body=b)
    newest_first = list(reversed(bodies))
    wait_for(admin, twilio.sid, "delivered", count=len(bodies))
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    # Filters (here DateSent>) are carried into every paging link.
    paged = c.messages.list(date_sent_after=hour_ago, to="+15550000001", page_size=2)
    assert [m.body for m in paged] == newest_first
    assert [m.body for m in c.messages.list(limit=5, page_size=2)] == newest_first[:5]
    assert [m.body for m in c.messages.stream(page_size=3)] == newest_first
    assert [m.body for m in c.messages.list(limit=3)] == newest_first[:3]
    page = c.messages.page(page_size=3)
    assert [m.body for m in page] == newest_first[:3]
    second = page.next_page()
    assert second is not None
    assert [m.body for m in second] == newest_first[3:6]
    previous = second.previous_page()
    assert previous is not None
    assert [m.body for m in previous] == newest_first[:3]

    r = httpx.get(
        server.url + messages_path(twilio.sid),
        params={"To": "+15550000001", "PageSize": 3},
        auth=(twilio.sid, twilio.token),
    )
    body = r.json()
    assert set(body) == {
        "messages",
        "page",
        "page_size",
        "start",
        "end",
        "uri",
        "first_page_uri",
        "next_page_uri",
        "previous_page_uri",
    }
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 3, 0, 2)
    assert body["previous_page_uri"] is None
    assert body["next_page_uri"].startswith(messages_path(twilio.sid) + "?To=%2B15550000001&")
    assert "Page=1" in body["next_page_uri"] and "PageToken=PASM" in body["next_page_uri"]
    assert (
        body["first_page_uri"] == messages_path(twilio.sid) + "?To=%2B15550000001&PageSize=3&Page=0"
    )
    last = httpx.get(server.url + body["next_page_uri"], auth=(twilio.sid, twilio.token)).json()
    assert (last["page"], last["start"], last["end"]) == (1, 3, 5)


def test_empty_list(twilio: Twilio) -> None:
    assert twilio.client.messages.list() == []
    assert list(twilio.client.messages.stream()) == []


def test_delete_after_delivery(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="bye")
    wait_for(admin, twilio.sid, "delivered")
    assert twilio.client.messages(m.sid).delete() is True
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages(m.sid).fetch()
    assert info.value.status == 404
    assert info.value.code == 20404
    assert admin.get(f"/__admin/sms/{m.sid}").status_code == 404


def test_redact_with_empty_body(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="secret")
    wait_for(admin, twilio.sid, "delivered")
    redacted = twilio.client.messages(m.sid).update(body="")
    assert redacted.body == ""
    assert redacted.status == "delivered"
    assert twilio.client.messages(m.sid).fetch().body == ""
    assert admin.get(f"/__admin/sms/{m.sid}").json()["redacted"] is True


def test_update_errors(twilio: Twilio, admin: httpx.Client) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="x")
    wait_for(admin, twilio.sid, "delivered")
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages(m.sid).update(body="not empty")
    assert (info.value.status, info.value.code) == (400, 30400)
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages(m.sid).update(status="canceled")
    assert (info.value.status, info.value.code) == (400, 30409)
