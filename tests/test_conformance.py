"""The conformance machinery itself: it finds each kind of violation, with a usable message."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

import fakeservices.server as server_module
from fakeservices.server import EmbeddedServer, start_server
from tests.conformance.recorder import (
    ConformanceError,
    ConformancePlugin,
    Recorder,
    recording_only,
)
from tests.conformance.stripe_schema import stripe_schema
from tests.conformance.vendors import validate_response


def _customer(server: EmbeddedServer, key: str) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/v1/customers", auth=(key, ""), data={"email": "a@example.com"})
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


def _messages(found: list[Any]) -> list[str]:
    return [str(v) for v in found]


def test_a_served_customer_conforms_and_each_kind_of_fault_is_found(
    server: EmbeddedServer, unique: str
) -> None:
    schema = stripe_schema()
    customer = _customer(server, f"sk_test_{unique}")
    assert schema.validate_response(customer) == []

    broken = copy.deepcopy(customer)
    del broken["email"]  # required (nullable)
    broken["colour"] = "red"  # not in the spec
    broken["balance"] = "0"  # a number in the spec
    broken["invoice_settings"]["footer"] = 7  # nested: string | null
    found = _messages(schema.validate_response(broken))
    assert "$.email (Customer): required by the spec, missing (null when n/a)" in found
    assert "$.colour (Customer): not defined by the spec" in found
    assert any(m.startswith("$.balance: number, got str") for m in found), found
    assert any(m.startswith("$.invoice_settings.footer: string | null") for m in found), found
    assert len(found) == 4


def test_closed_enums_and_unknown_resources(server: EmbeddedServer, unique: str) -> None:
    schema = stripe_schema()
    customer = _customer(server, f"sk_test_{unique}")
    # stripe-node marks most enums open (``| OtherString``): another string is accepted...
    assert schema.validate_response({**customer, "tax_exempt": "sometimes"}) == []
    # ...and a closed one (Event.Type) is enforced.
    event = {
        "id": "evt_1",
        "object": "event",
        "api_version": schema.api_version,
        "created": 1,
        "data": {"object": customer},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": "customer.made_up",
    }
    [violation] = schema.validate_response(event)
    assert violation.path == "$.type"
    assert "closed enum" in violation.expected and "'customer.made_up'" in violation.expected
    [unknown] = schema.validate_response({"id": "x_1", "object": "not_a_resource"})
    assert unknown.key == "object" and "'not_a_resource' is not in it" in unknown.expected


def test_events_check_the_object_their_type_carries(server: EmbeddedServer, unique: str) -> None:
    schema = stripe_schema()
    key = f"sk_test_{unique}"
    _customer(server, key)
    events = httpx.get(f"{server.url}/v1/events", auth=(key, "")).json()
    [event] = events["data"]
    assert event["type"] == "customer.created"
    assert schema.validate_response(events) == []
    event["data"]["object"]["object"] = "charge"
    found = _messages(schema.validate_object(event, "$"))
    assert any("'customer' for a customer.created event" in m for m in found), found


def test_error_envelopes_are_checked(server: EmbeddedServer, unique: str) -> None:
    r = httpx.get(f"{server.url}/v1/customers/cus_nope", auth=(f"sk_test_{unique}", ""))
    body = r.json()
    assert validate_response("stripe", "GET", "/v1/customers/cus_nope", 404, body) == []
    body["error"]["message"] = 404
    body["error"]["hint"] = "x"
    found = _messages(validate_response("stripe", "GET", "/x", 404, body) or [])
    assert "$.error.message: string, got num 404" in found
    assert "$.error.hint (PaymentIntent.LastPaymentError): not defined by the spec" in found


def test_twilio_messages_and_pages(server: EmbeddedServer, unique: str) -> None:
    sid = "AC" + (unique * 3)[:32]
    path = f"/2010-04-01/Accounts/{sid}/Messages.json"
    created = httpx.post(
        server.url + path,
        auth=(sid, "token"),
        data={"To": "+15558675310", "From": "+15005550006", "Body": "hi"},
    )
    assert created.status_code == 201
    message = created.json()
    assert validate_response("sms", "POST", path, 201, message) == []
    page = httpx.get(server.url + path, auth=(sid, "token")).json()
    assert validate_response("sms", "GET", path, 200, page) == []
    found = _messages(
        validate_response(
            "sms", "POST", path, 201, {**message, "status": "lost", "extra": 1, "sid": "SM1"}
        )
        or []
    )
    assert len(found) == 3, found
    assert any(m.startswith("$.status (message_enum_status): one of") for m in found)
    assert "$.extra (api.v2010.account.message): not defined by the spec" in found
    del message["price"]
    [missing] = validate_response("sms", "POST", path, 201, message) or []
    assert (missing.key, missing.expected) == ("price", "required, missing (null when n/a)")
    bad_error = {"code": 20404, "message": "x", "status": 404}
    [err] = validate_response("sms", "GET", path, 404, bad_error) or []
    assert err.key == "more_info"


def test_sendgrid_responses() -> None:
    ok = {"errors": [{"message": "m", "field": "from.email", "help": "http://sendgrid.com/docs"}]}
    assert validate_response("sendgrid", "POST", "/v3/mail/send", 400, ok) == []
    bad = {"errors": [{"message": 5, "field": None, "help": None}]}
    [v] = validate_response("sendgrid", "POST", "/v3/mail/send", 400, bad) or []
    assert v.path == "$.errors[0].message"
    [body] = validate_response("sendgrid", "POST", "/v3/mail/send", 202, {"id": 1}) or []
    assert "empty body" in body.expected


async def test_the_recorder_reports_what_a_wrapped_app_sends() -> None:
    recorder = Recorder()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"id": "cus_1", "object": "customer"})(scope, receive, send)

    class _Runtime:
        class faults:  # stands in for the runtime's FaultEngine
            rules: dict[str, Any] = {}

    wrapped = recorder.wrap(app, _Runtime())
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/v1/customers/cus_1")
        assert r.status_code == 200
        await client.get("/__admin/health")  # not a vendor path: not checked
    found = recorder.take()
    assert found and all(m.startswith("GET /v1/customers/cus_1 -> 200: $.") for m in found)
    assert any("$.email (Customer): required" in m for m in found), found
    assert recorder.checked["stripe"] == 1
    assert recorder.take() == []


def test_recording_only_gives_a_server_a_recorder_of_its_own(
    conformance: Recorder, unique: str
) -> None:
    """What the Node suites use: their server's responses and events are counted and checked by
    their recorder alone, and servers started afterwards go back to the session's."""
    own = Recorder()
    session_before = conformance.checked.copy()
    session_build = server_module.build_app
    with recording_only(own):
        started = start_server()
    assert server_module.build_app is session_build
    with started:
        _customer(started, f"sk_test_{unique}")  # a response and a customer.created event
    assert own.checked["stripe"] == 2, own.checked
    assert own.take() == []
    assert conformance.checked == session_before


def test_the_plugin_fails_the_phase_that_received_a_violation() -> None:
    recorder = Recorder()
    plugin = ConformancePlugin(recorder)
    plugin.check()  # nothing recorded: passes
    recorder.report("stripe", "GET /v1/x -> 200", ["$.a (T): not defined by the spec"])
    with pytest.raises(ConformanceError, match=r"(?s)1 spec violation.*GET /v1/x -> 200: \$\.a"):
        plugin.check()
    plugin.check()  # reported once, to the test that received it


def test_the_vendored_schema_covers_the_resources_that_are_coming() -> None:
    schema = stripe_schema()
    for kind in (
        "product",
        "price",
        "checkout.session",
        "item",
        "subscription",
        "subscription_item",
        "invoice",
        "invoiceitem",
        "line_item",
        "test_helpers.test_clock",
    ):
        name = schema.by_object[kind]
        assert "props" in schema.types[name], kind
    assert json.loads(json.dumps(schema.api_version)) == "2026-10-28.endive"
