"""Resend through the unchanged `resend` Python SDK (RESEND_API_URL / resend.api_url pointed at us).

The SDK keeps its key and URL in module globals; each test sets both (monkeypatch restores them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import resend
from resend.exceptions import (
    MissingApiKeyError,
    MissingRequiredFieldsError,
    RateLimitError,
    ResendError,
    ValidationError,
)
from starlette.responses import JSONResponse

from fakeservices.core.clock import ManualClock
from fakeservices.core.jsonio import RENDER_OFFLOAD_BYTES
from fakeservices.server import EmbeddedServer, start_server

from .helpers import list_emails, still_serving, wait_emails


@pytest.fixture
def key(server: EmbeddedServer, unique: str, monkeypatch: pytest.MonkeyPatch) -> str:
    api_key = f"re_{unique}"
    monkeypatch.setattr(resend, "api_key", api_key)
    monkeypatch.setattr(resend, "api_url", server.url)
    return api_key


def test_send_is_stored_and_read_back_with_get(
    admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to, cc, bcc = addr("to"), addr("cc"), addr("bcc")
    sent = resend.Emails.send(
        {
            "from": "Acme <onboarding@acme.example>",
            "to": [to],
            "cc": cc,
            "bcc": [bcc],
            "reply_to": "support@acme.example",
            "subject": "Welcome",
            "html": "<p>Hi</p>",
            "text": "Hi",
            "headers": {"X-Entity-Ref-ID": "123"},
            "tags": [{"name": "category", "value": "welcome"}],
            "attachments": [
                {"filename": "invoice.txt", "content": list(b"pay me")},
                {"filename": "logo.png", "path": "https://cdn.example/logo.png"},
            ],
        }
    )
    assert uuid.UUID(sent["id"])
    [mail] = wait_emails(admin, to=to, account=key)
    assert mail["source"] == "resend"
    assert (mail["from"], mail["to"], mail["cc"], mail["bcc"]) == (
        "onboarding@acme.example",
        [to],
        [cc],
        [bcc],
    )
    assert mail["reply_to"] == ["support@acme.example"]
    assert (mail["subject"], mail["text"], mail["html"]) == ("Welcome", "Hi", "<p>Hi</p>")
    assert mail["headers"]["X-Entity-Ref-ID"] == ["123"]
    assert mail["headers"]["From"] == ["Acme <onboarding@acme.example>"]
    assert mail["tags"] == ["category"]
    assert mail["variables"] == {"category": "welcome"}
    assert mail["provider_message_id"] == sent["id"]
    [att] = mail["attachments"]
    assert (att["filename"], att["content_type"], att["size"]) == ("invoice.txt", "text/plain", 6)
    assert admin.get(f"/__admin/emails/{mail['id']}/attachments/0").content == b"pay me"
    assert mail["remote_attachments"] == [
        {"filename": "logo.png", "path": "https://cdn.example/logo.png", "content_id": None}
    ]

    got = resend.Emails.get(sent["id"])
    assert got["object"] == "email"
    assert (got["id"], got["to"], got["from"], got["subject"]) == (
        sent["id"],
        [to],
        "onboarding@acme.example",
        "Welcome",
    )
    assert (got["cc"], got["bcc"], got["reply_to"]) == ([cc], [bcc], ["support@acme.example"])
    assert (got["html"], got["text"], got["last_event"]) == ("<p>Hi</p>", "Hi", "delivered")
    assert got["tags"] == [{"name": "category", "value": "welcome"}]


def test_get_of_a_big_email_is_the_same_json_rendered_off_the_loop(
    server: EmbeddedServer, key: str, addr: Callable[..., str]
) -> None:
    html = '<p>é "quoted" line</p>\n' * 20_000  # past RENDER_OFFLOAD_BYTES
    assert len(html.encode()) > RENDER_OFFLOAD_BYTES
    sent = resend.Emails.send(
        {"from": "a@acme.example", "to": addr("x"), "subject": "s", "html": html}
    )
    got = resend.Emails.get(sent["id"])
    assert got["html"] == html
    resp = requests.get(
        f"{server.url}/emails/{sent['id']}", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert resp.headers["content-type"] == "application/json"
    assert resp.content == JSONResponse(resp.json()).body


def test_get_is_scoped_to_the_key_and_checks_the_id(
    server: EmbeddedServer, key: str, addr: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = resend.Emails.send(
        {"from": "a@acme.example", "to": addr("x"), "subject": "s", "text": "t"}
    )
    monkeypatch.setattr(resend, "api_key", f"{key}-other")
    with pytest.raises(ResendError) as missing:
        resend.Emails.get(sent["id"])
    assert (missing.value.code, missing.value.error_type) == (404, "not_found")
    resp = requests.get(
        f"{server.url}/emails/not-a-uuid", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert resp.status_code == 422
    assert resp.json() == {
        "statusCode": 422,
        "message": "The `id` must be a valid UUID.",
        "name": "invalid_parameter",
    }


def test_scheduled_send_keeps_scheduled_at(
    admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to = addr("later")
    sent = resend.Emails.send(
        {
            "from": "a@acme.example",
            "to": to,
            "subject": "Later",
            "text": "t",
            "scheduled_at": "2030-08-05T11:52:01.858Z",
        }
    )
    [mail] = wait_emails(admin, to=to, account=key)
    assert mail["send_at"] == "2030-08-05T11:52:01.858Z"
    got = resend.Emails.get(sent["id"])
    assert (got["last_event"], got["scheduled_at"]) == ("scheduled", "2030-08-05T11:52:01.858Z")


def test_batch_strict_and_permissive(
    admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    one, two = addr("b1"), addr("b2")
    emails: list[Any] = [
        {"from": "a@acme.example", "to": [one], "subject": "One", "html": "<b>1</b>"},
        {"from": "a@acme.example", "to": [two], "subject": "Two", "text": "2"},
    ]
    result = resend.Batch.send(emails)
    assert len(result["data"]) == 2
    stored = wait_emails(admin, count=2, account=key)
    assert [m["provider_message_id"] for m in stored] == [d["id"] for d in result["data"]]
    assert [m["to"] for m in stored] == [[one], [two]]

    bad = [*emails, {"from": "a@acme.example", "to": "not-an-address", "subject": "x", "text": "y"}]
    with pytest.raises(ValidationError) as strict:
        resend.Batch.send(bad)
    assert strict.value.code == 422
    assert "Invalid `to` field" in strict.value.message
    assert len(list_emails(admin, account=key)) == 2  # nothing of the failed batch stored

    mixed = resend.Batch.send(bad, {"batch_validation": "permissive"})
    assert len(mixed["data"]) == 2
    assert mixed["errors"] == [
        {
            "index": 2,
            "message": "Invalid `to` field. The email address needs to follow the "
            "`email@example.com` or `Name <email@example.com>` format.",
        }
    ]
    assert len(list_emails(admin, account=key)) == 4


def test_idempotency_key_replays_and_conflicts(
    server: EmbeddedServer, admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to = addr("idem")
    params: Any = {"from": "a@acme.example", "to": to, "subject": "Once", "text": "t"}
    first = resend.Emails.send(params, {"idempotency_key": f"order-{key}"})
    again = resend.Emails.send(params, {"idempotency_key": f"order-{key}"})
    assert again["id"] == first["id"]
    assert len(list_emails(admin, to=to)) == 1
    with pytest.raises(ResendError) as conflict:
        resend.Emails.send({**params, "subject": "Twice"}, {"idempotency_key": f"order-{key}"})
    assert (conflict.value.code, conflict.value.error_type) == (409, "invalid_idempotent_request")
    assert len(list_emails(admin, to=to)) == 1
    too_long = requests.post(
        f"{server.url}/emails",
        json=params,
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "k" * 257},
        timeout=10,
    )
    assert too_long.status_code == 400
    assert too_long.json()["name"] == "invalid_idempotency_key"


@pytest.mark.parametrize(
    ("change", "error", "status", "name", "message"),
    [
        (
            {"from": None},
            MissingRequiredFieldsError,
            422,
            "missing_required_field",
            "Missing `from` field.",
        ),
        (
            {"to": []},
            MissingRequiredFieldsError,
            422,
            "missing_required_field",
            "Missing `to` field.",
        ),
        (
            {"subject": None},
            MissingRequiredFieldsError,
            422,
            "missing_required_field",
            "Missing `subject` field.",
        ),
        (
            {"from": "not an address"},
            ValidationError,
            422,
            "validation_error",
            "Invalid `from` field. The email address needs to follow the `email@example.com` or "
            "`Name <email@example.com>` format.",
        ),
        (
            {"cc": ["ok@acme.example", "bad@"]},
            ValidationError,
            422,
            "validation_error",
            "Invalid `cc` field. The email address needs to follow the `email@example.com` or "
            "`Name <email@example.com>` format.",
        ),
        (
            {"to": [f"r{i}@acme.example" for i in range(51)]},
            ValidationError,
            422,
            "validation_error",
            "Too many recipients in the `to` field. The maximum is 50.",
        ),
        (
            {"text": None, "html": None},
            MissingRequiredFieldsError,
            422,
            "missing_required_field",
            "Missing `html` or `text` field.",
        ),
        (
            {"attachments": [{"filename": "x.txt"}]},
            ResendError,
            422,
            "invalid_attachment",
            "Attachment must have either a `content` or `path`.",
        ),
    ],
)
def test_validation_errors_in_resends_envelope(
    server: EmbeddedServer,
    key: str,
    addr: Callable[..., str],
    change: dict[str, Any],
    error: type[ResendError],
    status: int,
    name: str,
    message: str,
) -> None:
    params = {"from": "a@acme.example", "to": addr("v"), "subject": "s", "text": "t", **change}
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(error) as raised:
        resend.Emails.send(params)  # type: ignore[arg-type]
    assert (raised.value.code, raised.value.error_type, raised.value.message) == (
        status,
        name,
        message,
    )
    raw = requests.post(
        f"{server.url}/emails", json=params, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert raw.json() == {"statusCode": status, "message": message, "name": name}


def test_missing_key_and_bad_json(server: EmbeddedServer, key: str) -> None:
    resp = requests.post(f"{server.url}/emails", json={}, timeout=10)
    assert resp.status_code == 401
    assert resp.json() == {
        "statusCode": 401,
        "message": "Missing API key in the authorization header",
        "name": "missing_api_key",
    }
    resend.api_key = ""
    with pytest.raises(MissingApiKeyError):
        resend.Emails.send({"from": "a@acme.example", "to": "b@acme.example", "subject": "s"})
    for payload in (b"{not json", b"[" * 100_000, b'"a string"'):
        bad = requests.post(
            f"{server.url}/emails",
            data=payload,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert bad.status_code == 400
        assert bad.json()["name"] == "validation_error"
    with httpx.Client(base_url=server.url) as admin:
        still_serving(admin)


def test_injected_error_uses_resends_envelope(
    admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to = addr("fault")
    rule = {"service": "resend", "match": {"to": to}, "action": {"type": "error", "status": 500}}
    assert admin.post("/__admin/faults", json=rule).status_code == 201
    try:
        with pytest.raises(ResendError) as raised:
            resend.Emails.send({"from": "a@acme.example", "to": to, "subject": "s", "text": "t"})
        assert (raised.value.code, raised.value.error_type) == (500, "application_error")
    finally:
        admin.delete("/__admin/faults")


# -- rate limit: the SDK raises RateLimitError (it does not retry); the app retries later ------

CLOCK = ManualClock()


@pytest.fixture(scope="module")
def limited() -> Iterator[EmbeddedServer]:
    with start_server(services=("fakeservices.email",), time=CLOCK) as s:
        yield s


def test_rate_limit_is_a_429_with_retry_after_then_served_again(
    limited: EmbeddedServer, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"re_rl_{unique}"
    monkeypatch.setattr(resend, "api_key", key)
    monkeypatch.setattr(resend, "api_url", limited.url)
    with httpx.Client(base_url=limited.url) as admin:
        rule = {
            "service": "resend",
            "match": {"account": key},
            "action": {"type": "rate_limit", "limit": 2, "per_seconds": 1},
        }
        assert admin.post("/__admin/faults", json=rule).status_code == 201
        params: Any = {
            "from": "a@acme.example",
            "to": "b@acme.example",
            "subject": "s",
            "text": "t",
        }
        sent = [resend.Emails.send(params)["id"] for _ in range(2)]
        with pytest.raises(RateLimitError) as raised:
            resend.Emails.send(params)
        assert (raised.value.code, raised.value.error_type) == (429, "rate_limit_exceeded")
        assert raised.value.headers["retry-after"] == "1"
        assert raised.value.headers["ratelimit-remaining"] == "0"
        CLOCK.advance(int(raised.value.headers["retry-after"]))
        sent.append(resend.Emails.send(params)["id"])
        stored = admin.get("/__admin/emails", params={"account": key}).json()["data"]
        assert [m["provider_message_id"] for m in stored] == sent
