"""Hostile and odd input, table-driven, one table per fake: the status, the fake's own error
envelope, a journal entry with that status, and a server that still answers health.

Each row is one raw request (httpx: no SDK sends these) against a server whose message limit is
64 KiB, so "huge" bodies stay small enough to send quickly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server

LIMIT = 64 * 1024
#: 100,000 levels for the admin API (1 MiB bodies); 30,000 fit the 64 KiB email limit. Both are
#: far past Python's recursion limit, where an unguarded json.loads raises RecursionError.
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_SMALL = b"[" * 30_000 + b"]" * 30_000
NOT_UTF8 = b'{"from": "\xff\xfe\xfd"}'
FORM = "application/x-www-form-urlencoded"
ACCOUNT = "ACbadinput0000000000000000000000"


def stripe_env(body: Any) -> bool:
    err = body["error"]
    return isinstance(err["message"], str) and err["type"] in ("invalid_request_error", "api_error")


def twilio_env(body: Any) -> bool:
    return set(body) == {"code", "message", "more_info", "status"}


def sendgrid_env(body: Any) -> bool:
    return isinstance(body["errors"], list) and all("message" in e for e in body["errors"])


def mailgun_env(body: Any) -> bool:
    return set(body) == {"message"}


def postmark_env(body: Any) -> bool:
    return set(body) == {"ErrorCode", "Message"} and isinstance(body["ErrorCode"], int)


def admin_env(body: Any) -> bool:
    return isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    envelope: Callable[[Any], bool]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def stripe_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    headers = {"Authorization": "Bearer sk_test_badinput", "Content-Type": FORM}
    return Case(id, method, path, status, stripe_env, body, headers)


def twilio_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    auth = httpx.BasicAuth(ACCOUNT, "token")._auth_header
    return Case(
        id, method, path, status, twilio_env, body, {"Authorization": auth, "Content-Type": FORM}
    )


def sendgrid_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    headers = {"Authorization": "Bearer SG.badinput", "Content-Type": "application/json"}
    return Case(id, method, path, status, sendgrid_env, body, headers)


def mailgun_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    auth = httpx.BasicAuth("api", "key-badinput")._auth_header
    return Case(
        id, method, path, status, mailgun_env, body, {"Authorization": auth, "Content-Type": FORM}
    )


def postmark_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    headers = {"X-Postmark-Server-Token": "badinput", "Content-Type": "application/json"}
    return Case(id, method, path, status, postmark_env, body, headers)


def admin_case(id: str, method: str, path: str, status: int, body: bytes = b"") -> Case:
    return Case(id, method, path, status, admin_env, body, {"Content-Type": "application/json"})


MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
CASES = [
    stripe_case("stripe-non-utf8", "POST", "/v1/customers", 400, b"email=\xff\xfe"),
    stripe_case("stripe-deep", "POST", "/v1/customers", 400, b"metadata" + b"[b]" * 500 + b"=x"),
    stripe_case("stripe-huge", "POST", "/v1/customers", 413, b"a=" + b"x" * (1024 * 1024 + 1)),
    stripe_case("stripe-wrong-method", "PUT", "/v1/customers", 404),
    stripe_case("stripe-odd-path", "GET", "/v1/charges/%0D%0AX", 404),
    stripe_case(
        "stripe-not-an-integer",
        "POST",
        "/v1/payment_intents",
        400,
        "amount=\u0661\u0660\u0660&currency=usd".encode(),
    ),
    twilio_case("twilio-non-utf8", "POST", MESSAGES, 400, b"To=\xff\xfe&From=+15005550006"),
    twilio_case("twilio-deep", "POST", MESSAGES, 400, b"To" + b"[a]" * 500 + b"=x"),
    twilio_case("twilio-huge", "POST", MESSAGES, 400, b"Body=" + b"x" * (64 * 1024 + 1)),
    twilio_case("twilio-wrong-method", "PUT", MESSAGES, 405),
    twilio_case("twilio-odd-path", "GET", f"/2010-04-01/Accounts/{ACCOUNT}/Nope%0D%0A.json", 404),
    sendgrid_case("sendgrid-non-utf8", "POST", "/v3/mail/send", 400, NOT_UTF8),
    sendgrid_case("sendgrid-deep", "POST", "/v3/mail/send", 400, DEEP_SMALL),
    sendgrid_case("sendgrid-huge", "POST", "/v3/mail/send", 413, b"[" + b"1," * LIMIT + b"1]"),
    sendgrid_case("sendgrid-get", "GET", "/v3/mail/send", 405),
    sendgrid_case("sendgrid-put", "PUT", "/v3/mail/send", 405),
    sendgrid_case("sendgrid-delete", "DELETE", "/v3/mail/send", 405),
    sendgrid_case("sendgrid-odd-path", "POST", "/v3/mail/send/%0D%0A", 404),
    mailgun_case("mailgun-non-utf8", "POST", "/v3/x.example/messages", 400, b"from=\xff\xfe"),
    mailgun_case(
        "mailgun-deep",
        "POST",
        "/v3/x.example/messages",
        400,
        b"from=a@x.example&to=b@x.example&text=t&recipient-variables=" + DEEP_SMALL,
    ),
    mailgun_case("mailgun-huge", "POST", "/v3/x.example/messages", 413, b"text=" + b"x" * LIMIT),
    mailgun_case("mailgun-get", "GET", "/v3/x.example/messages", 405),
    mailgun_case("mailgun-delete", "DELETE", "/v3/x.example/messages", 405),
    mailgun_case("mailgun-odd-path", "GET", "/v3/x.example/nothing", 404),
    postmark_case("postmark-non-utf8", "POST", "/email", 422, NOT_UTF8),
    postmark_case("postmark-deep", "POST", "/email/batch", 422, DEEP_SMALL),
    postmark_case("postmark-huge", "POST", "/email", 413, b'"' + b"x" * LIMIT + b'"'),
    postmark_case("postmark-get", "GET", "/email", 405),
    postmark_case("postmark-put", "PUT", "/email/batch", 405),
    postmark_case("postmark-odd-path", "POST", "/email/withTemplate%0D%0A", 404),
    admin_case("faults-non-utf8", "POST", "/__admin/faults", 400, NOT_UTF8),
    admin_case("faults-deep", "POST", "/__admin/faults", 400, DEEP_JSON),
    admin_case("faults-huge", "POST", "/__admin/faults", 413, b" " * (1024 * 1024 + 1)),
    admin_case(
        "authenticate-non-utf8",
        "POST",
        "/__admin/stripe/payment_intents/pi_x/authenticate",
        400,
        NOT_UTF8,
    ),
    admin_case(
        "authenticate-deep",
        "POST",
        "/__admin/stripe/setup_intents/seti_x/authenticate",
        400,
        DEEP_JSON,
    ),
    admin_case("admin-wrong-method", "DELETE", "/__admin/health", 405),
    admin_case("admin-odd-path", "GET", "/__admin/%0D%0A", 404),
]


@pytest.fixture(scope="module")
def small() -> Iterator[EmbeddedServer]:
    with start_server(max_message_bytes=LIMIT) as s:
        yield s


@pytest.fixture(scope="module")
def http(small: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=small.url, timeout=60) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_the_fakes_own_error(http: httpx.Client, case: Case) -> None:
    seq = http.get("/__admin/health").json()["seq"]
    r = http.request(case.method, case.path, content=case.body, headers=case.headers)
    assert r.status_code == case.status, (r.status_code, r.text[:300])
    assert case.envelope(json.loads(r.content)), r.text[:300]
    if not case.path.startswith("/__admin"):
        journal = http.get("/__admin/requests", params={"after": seq}).json()["data"]
        assert [e["status"] for e in journal] == [case.status]
    assert http.get("/__admin/health").json()["status"] == "ok"
