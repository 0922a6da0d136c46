"""Auth, magic test numbers, validation and bad input: Twilio's errors, and the server serves on."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from fakeservices.server import EmbeddedServer
from fakeservices.sms.errors import CATALOG
from fakeservices.sms.numbers import MAGIC_FROM, MAGIC_TO

from .helpers import Twilio, messages_path, new_sid, point

GOOD = {"To": "+15558675310", "From": "+15005550006", "Body": "hi"}


def assert_envelope(r: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    return body


def still_serving(server: EmbeddedServer, twilio: Twilio) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="ok")
    assert m.status == "queued"


def create_error(twilio: Twilio, **kwargs: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages.create(**kwargs)
    return info.value


# -- auth -------------------------------------------------------------------------------------
def test_missing_auth_is_401_20003(server: EmbeddedServer, twilio: Twilio) -> None:
    r = httpx.post(server.url + messages_path(twilio.sid), data=GOOD)
    assert_envelope(r, 401, 20003)
    assert r.json()["message"] == "Authentication Error - No credentials provided"
    assert "detail" not in r.json()
    assert r.headers["www-authenticate"].startswith("Basic")
    r = httpx.get(server.url + messages_path(twilio.sid), headers={"Authorization": "Basic !!"})
    assert_envelope(r, 401, 20003)


def test_sid_not_matching_url_is_401_20003(server: EmbeddedServer, twilio: Twilio) -> None:
    other = point(Client(new_sid(), "token"), server.url)
    with pytest.raises(TwilioRestException) as info:
        other.api.v2010.accounts(twilio.sid).messages.create(
            to="+15558675310", from_="+15005550006", body="x"
        )
    assert (info.value.status, info.value.code) == (401, 20003)
    assert info.value.msg == "Unable to create record: Authentication Error - invalid username"
    r = httpx.get(server.url + messages_path(twilio.sid), auth=(new_sid(), "token"))
    assert r.status_code == 401
    assert r.json() == {
        "code": 20003,
        "detail": "Your AccountSid or AuthToken was incorrect.",
        "message": "Authentication Error - invalid username",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert twilio.client.messages.list() == []


def test_api_key_auth_acts_for_the_url_account(server: EmbeddedServer, twilio: Twilio) -> None:
    key_client = point(Client("SK" + "a" * 32, "secret", twilio.sid), server.url)
    m = key_client.messages.create(to="+15558675310", from_="+15005550006", body="via key")
    assert m.account_sid == twilio.sid
    assert [x.sid for x in twilio.client.messages.list()] == [m.sid]


def test_accounts_are_isolated(server: EmbeddedServer, twilio: Twilio) -> None:
    m = twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="mine")
    other = point(Client(new_sid(), "t"), server.url)
    assert other.messages.list() == []
    with pytest.raises(TwilioRestException) as info:
        other.messages(m.sid).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


def test_unknown_sid_is_404_20404(server: EmbeddedServer, twilio: Twilio) -> None:
    sid = "SM" + "0" * 32
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages(sid).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)
    path = f"/2010-04-01/Accounts/{twilio.sid}/Messages/{sid}.json"
    assert info.value.msg == f"Unable to fetch record: The requested resource {path} was not found"
    with pytest.raises(TwilioRestException) as info:
        twilio.client.messages(sid).delete()
    assert info.value.code == 20404


def test_unknown_path_and_method(server: EmbeddedServer, twilio: Twilio) -> None:
    auth = (twilio.sid, twilio.token)
    r = httpx.get(server.url + f"/2010-04-01/Accounts/{twilio.sid}/Calls.json", auth=auth)
    assert_envelope(r, 404, 20404)
    r = httpx.put(server.url + messages_path(twilio.sid), auth=auth, data=GOOD)
    assert_envelope(r, 405, 20004)


# -- magic numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize("number", sorted(MAGIC_FROM))
def test_magic_from_numbers(twilio: Twilio, number: str) -> None:
    error = create_error(twilio, to="+15558675310", from_=number, body="x")
    magic = MAGIC_FROM[number]
    assert (error.status, error.code) == (400, magic.code)
    expected = CATALOG[magic.code].template.format(from_=number, to="+15558675310")
    assert error.msg == "Unable to create record: " + expected


@pytest.mark.parametrize("number", sorted(MAGIC_TO))
def test_magic_to_numbers(twilio: Twilio, number: str) -> None:
    error = create_error(twilio, to=number, from_="+15005550006", body="x")
    assert (error.status, error.code) == (400, MAGIC_TO[number].code)


def test_documented_magic_messages(server: EmbeddedServer, twilio: Twilio) -> None:
    auth = (twilio.sid, twilio.token)
    url = server.url + messages_path(twilio.sid)
    cases = [
        (
            {"To": "+15005550001"},
            21211,
            "The 'To' number +15005550001 is not a valid phone number.",
        ),
        (
            {"To": "+15005550009"},
            21614,
            "To number: +15005550009, is not a mobile number",
        ),
        ({"From": "+15005550008"}, 21611, "SMS queue is full."),
    ]
    for override, code, message in cases:
        body = assert_envelope(httpx.post(url, auth=auth, data={**GOOD, **override}), 400, code)
        assert body["message"] == message
    assert twilio.client.messages.list() == []


# -- validation -------------------------------------------------------------------------------
def test_validation_errors(twilio: Twilio) -> None:
    assert create_error(twilio, from_="+15005550006", body="x", to="").code == 21604
    assert create_error(twilio, to="+15558675310", body="x").code == 21603
    assert create_error(twilio, to="+15558675310", from_="+15005550006").code == 21602
    long = create_error(twilio, to="+15558675310", from_="+15005550006", body="a" * 1601)
    assert long.code == 21617
    assert "1600 character limit" in long.msg
    bad_to = create_error(twilio, to="555-1234", from_="+15005550006", body="x")
    assert bad_to.code == 21211
    assert "555-1234" in bad_to.msg
    assert create_error(twilio, to="+15558675310", from_="not valid!!", body="x").code == 21212
    bad_cb = create_error(
        twilio, to="+15558675310", from_="+15005550006", body="x", status_callback="ftp://x/y"
    )
    assert bad_cb.code == 21609
    assert twilio.client.messages.list() == []


def test_exactly_1600_chars_and_other_senders_are_fine(twilio: Twilio) -> None:
    c = twilio.client.messages
    assert c.create(to="+15558675310", from_="+15005550006", body="a" * 1600).num_segments == "11"
    assert c.create(to="+15558675310", from_="MyShop", body="x").from_ == "MyShop"
    assert c.create(to="+15558675310", from_="12345", body="x").from_ == "12345"
    wa = c.create(to="whatsapp:+15558675310", from_="whatsapp:+15005550006", body="x")
    assert wa.to == "whatsapp:+15558675310"


def test_json_body_is_not_form_params(server: EmbeddedServer, twilio: Twilio) -> None:
    r = httpx.post(
        server.url + messages_path(twilio.sid), auth=(twilio.sid, twilio.token), json=GOOD
    )
    assert_envelope(r, 400, 21604)
    still_serving(server, twilio)


def test_garbage_body_and_bad_encoding(server: EmbeddedServer, twilio: Twilio) -> None:
    auth = (twilio.sid, twilio.token)
    url = server.url + messages_path(twilio.sid)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    r = httpx.post(url, auth=auth, content=b"\xff\xfe%zz&&==", headers=headers)
    assert_envelope(r, 400, 21604)
    r = httpx.post(url, auth=auth, content=b"To=%2B15558675310&From=%2B15005550006&Body=%FF")
    assert r.status_code == 400  # no form content type: nothing parsed
    r = httpx.post(
        url, auth=auth, content=b"To=%2B15558675310&From=%2B15005550006&Body=%FF", headers=headers
    )
    assert r.status_code == 201
    assert r.json()["body"] == "\ufffd"
    still_serving(server, twilio)


def test_oversized_body(server: EmbeddedServer, twilio: Twilio) -> None:
    r = httpx.post(
        server.url + messages_path(twilio.sid),
        auth=(twilio.sid, twilio.token),
        data={**GOOD, "Body": "x" * 200_000},
    )
    assert_envelope(r, 400, 21617)
    still_serving(server, twilio)


def test_unknown_parameters_are_ignored_like_twilio(
    server: EmbeddedServer, twilio: Twilio, admin: httpx.Client
) -> None:
    r = httpx.post(
        server.url + messages_path(twilio.sid),
        auth=(twilio.sid, twilio.token),
        data={**GOOD, "Bogus": "1", "StatusCallbak": "https://typo.example/cb"},
    )
    assert r.status_code == 201
    stored = admin.get(f"/__admin/sms/{r.json()['sid']}").json()
    assert stored["ignored_params"] == ["Bogus", "StatusCallbak"]
    assert stored["status_callback"] is None


def test_every_request_is_journaled(
    server: EmbeddedServer, twilio: Twilio, admin: httpx.Client
) -> None:
    twilio.client.messages.create(to="+15558675310", from_="+15005550006", body="j")
    create_error(twilio, to="+15005550002", from_="+15005550006", body="x")
    httpx.get(server.url + messages_path(twilio.sid))  # no auth
    r = admin.get(
        "/__admin/requests/wait",
        params={"service": "sms", "account": twilio.sid, "count": 3, "timeout": 10},
    )
    assert r.status_code == 200, r.text
    entries = r.json()["data"]
    assert [(e["method"], e["status"]) for e in entries] == [
        ("POST", 201),
        ("POST", 400),
        ("GET", 401),
    ]
    assert all(e["service"] == "sms" and e["account"] == twilio.sid for e in entries)


def test_native_error_envelope_for_faults(server: EmbeddedServer) -> None:
    [sms] = [s for s in server.runtime.services if s.name == "sms"]
    for status, code in ((500, 20500), (429, 20429), (401, 20003), (418, 418)):
        r = sms.error_response("sms", status, "boom")
        assert r.status_code == status
        assert json.loads(bytes(r.body)) == {
            "code": code,
            "message": "boom",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }


def test_addresses_for_fault_matching(server: EmbeddedServer) -> None:
    [sms] = [s for s in server.runtime.services if s.name == "sms"]
    form = Headers({"content-type": "application/x-www-form-urlencoded"})
    body = b"To=%2B15558675310&From=%2B15005550006&Body=x"
    assert sms.addresses("sms", form, body) == ("+15005550006", ["+15558675310"])
    assert sms.addresses("sms", Headers({"content-type": "application/json"}), body) == (None, [])


def test_injected_fault_uses_twilio_envelope_and_matches_to(
    twilio: Twilio, admin: httpx.Client
) -> None:
    rule = {
        "service": "sms",
        "match": {"to": "+15550001111", "account": twilio.sid},
        "action": {"type": "error", "status": 503},
        "times": 1,
    }
    r = admin.post("/__admin/faults", json=rule)
    assert r.status_code == 201, r.text
    try:
        error = create_error(twilio, to="+15550001111", from_="+15005550006", body="x")
        assert (error.status, error.code) == (503, 20503)
        ok = twilio.client.messages.create(to="+15550001111", from_="+15005550006", body="x")
        assert ok.status == "queued"  # times=1: the rule expired
    finally:
        admin.delete(f"/__admin/faults/{r.json()['id']}")
