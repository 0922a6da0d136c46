"""What the fault engine gets from the email fake: native error envelopes and request addresses."""

from __future__ import annotations

import json

import httpx
import pytest
import requests
from python_http_client.exceptions import TooManyRequestsError
from sendgrid import SendGridAPIClient
from starlette.datastructures import Headers

from fakeservices.email.plugin import EmailService
from fakeservices.server import EmbeddedServer


@pytest.fixture
def fake(server: EmbeddedServer) -> EmailService:
    [email] = [s for s in server.runtime.services if s.name == "email"]
    assert isinstance(email, EmailService)
    return email


def test_native_error_envelopes(fake: EmailService) -> None:
    sg = fake.provider("sendgrid").error_response(429, "Too many requests")
    assert sg.status_code == 429
    assert json.loads(bytes(sg.body)) == {
        "errors": [{"message": "Too many requests", "field": None, "help": None}]
    }
    mg = fake.provider("mailgun").error_response(500, "boom")
    assert mg.status_code == 500 and json.loads(bytes(mg.body)) == {"message": "boom"}
    mg401 = fake.provider("mailgun").error_response(401, "x")
    assert mg401.status_code == 401 and bytes(mg401.body) == b"Forbidden"
    pm = fake.provider("postmark").error_response(401, "bad token")
    assert json.loads(bytes(pm.body)) == {"ErrorCode": 10, "Message": "bad token"}
    pm422 = fake.provider("postmark").error_response(422, "invalid")
    assert json.loads(bytes(pm422.body))["ErrorCode"] == 300


def test_fault_groups_and_request_addresses(fake: EmailService) -> None:
    groups = fake.fault_groups()
    assert groups["email-http"] == ("sendgrid", "mailgun", "postmark", "resend", "sesv2", "ses")
    assert groups["postmark"] == ("postmark",)
    sg_body = json.dumps(
        {
            "from": {"email": "a@example.com"},
            "personalizations": [
                {"to": [{"email": "b@example.com"}], "bcc": [{"email": "c@example.com"}]}
            ],
        }
    ).encode()
    assert fake.provider("sendgrid").addresses(Headers(), sg_body) == (
        "a@example.com",
        ["b@example.com", "c@example.com"],
    )
    form = Headers({"content-type": "application/x-www-form-urlencoded"})
    mg_body = b"from=A+%3Ca%40example.com%3E&to=b%40example.com%2C+c%40example.com"
    assert fake.provider("mailgun").addresses(form, mg_body) == (
        "a@example.com",
        ["b@example.com", "c@example.com"],
    )
    pm_body = json.dumps([{"From": "a@example.com", "To": "b@example.com", "Cc": None}]).encode()
    assert fake.provider("postmark").addresses(Headers(), pm_body) == (
        "a@example.com",
        ["b@example.com"],
    )
    rs_body = json.dumps(
        [
            {
                "from": "Shop <a@example.com>",
                "to": ["b@example.com", "B <c@example.com>"],
                "cc": "d@x.io",
            }
        ]
    ).encode()
    assert fake.provider("resend").addresses(Headers(), rs_body) == (
        "a@example.com",
        ["b@example.com", "c@example.com", "d@x.io"],
    )
    assert fake.provider("sendgrid").addresses(Headers(), b"not json") == (None, [])
    assert fake.provider("resend").addresses(Headers(), b"not json") == (None, [])


def test_injected_faults_use_each_providers_envelope(server: EmbeddedServer, unique: str) -> None:
    admin = httpx.Client(base_url=server.url, timeout=30)
    key = f"SG.{unique}"
    rule = {
        "service": "email-http",
        "match": {"account": key},
        "action": {"type": "error", "status": 429},
        "times": 1,
    }
    created = admin.post("/__admin/faults", json=rule)
    assert created.status_code in (200, 201), created.text
    body = {
        "personalizations": [{"to": [{"email": f"f-{unique}@example.com"}]}],
        "from": {"email": "a@example.com"},
        "subject": "s",
        "content": [{"type": "text/plain", "value": "v"}],
    }
    sg = SendGridAPIClient(key, host=server.url)
    with pytest.raises(TooManyRequestsError) as exc:
        sg.send(body)
    assert set(json.loads(exc.value.body)["errors"][0]) == {"message", "field", "help"}
    assert sg.send(body).status_code == 202  # the rule fired once and expired
    # A rule naming one provider and matching a recipient from the request body.
    to = f"pm-{unique}@example.com"
    rule = {
        "service": "postmark",
        "match": {"to": to},
        "action": {"type": "error", "status": 422},
        "times": 1,
    }
    assert admin.post("/__admin/faults", json=rule).status_code in (200, 201)
    headers = {"X-Postmark-Server-Token": f"pm-{unique}"}
    pm = {"From": "a@example.com", "To": to, "TextBody": "t"}
    resp = requests.post(f"{server.url}/email", json=pm, headers=headers, timeout=10)
    assert resp.status_code == 422 and resp.json()["ErrorCode"] == 300
    other = {**pm, "To": f"other-{unique}@example.com"}
    assert requests.post(f"{server.url}/email", json=other, headers=headers, timeout=10).ok
    assert requests.post(f"{server.url}/email", json=pm, headers=headers, timeout=10).ok
    admin.close()
