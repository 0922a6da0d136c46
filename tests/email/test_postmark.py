"""Postmark /email and /email/batch, driven with `requests` exactly as postmarker sends them."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import requests

from fakeservices.server import EmbeddedServer

from .helpers import list_emails, still_serving, wait_emails

SUBMITTED_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}[+-]\d{2}:\d{2}$")


def post(server: EmbeddedServer, path: str, token: str | None, body: Any) -> requests.Response:
    headers = {"Accept": "application/json", "User-Agent": "Postmarker/1.0"}
    if token is not None:
        headers["X-Postmark-Server-Token"] = token
    return requests.post(f"{server.url}/{path}", json=body, headers=headers, timeout=10)


def message(to: str, **extra: Any) -> dict[str, Any]:
    # postmarker sends explicit nulls and TrackLinks as the string "None".
    return {
        "From": "Sender <sender@example.com>",
        "To": to,
        "Cc": None,
        "Bcc": None,
        "Subject": "Postmark test",
        "Tag": "invoice",
        "HtmlBody": "<b>Hello</b>",
        "TextBody": "Hello",
        "ReplyTo": None,
        "Headers": [{"Name": "X-Trace", "Value": "abc"}],
        "TrackOpens": True,
        "TrackLinks": "None",
        "Metadata": {"client-id": "12345"},
        "Attachments": None,
        "MessageStream": "outbound",
        **extra,
    }


def test_single_email(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    token = f"pm-{unique}"
    to, bcc = addr("pm"), addr("pm-bcc")
    att = {
        "Name": "a.txt",
        "Content": base64.b64encode(b"hello file").decode(),
        "ContentType": "text/plain",
    }
    resp = post(server, "email", token, message(to, Bcc=bcc, Attachments=[att]))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"To", "SubmittedAt", "MessageID", "ErrorCode", "Message"}
    assert body["To"] == to and body["ErrorCode"] == 0 and body["Message"] == "OK"
    assert SUBMITTED_RE.match(body["SubmittedAt"])
    uuid.UUID(body["MessageID"])
    [got] = wait_emails(admin, account=token)
    assert got["source"] == "postmark"
    assert got["from"] == "sender@example.com"
    assert got["to"] == [to] and got["bcc"] == [bcc]
    assert got["subject"] == "Postmark test"
    assert got["text"] == "Hello" and got["html"] == "<b>Hello</b>"
    assert got["tags"] == ["invoice"]
    assert got["variables"] == {"client-id": "12345"}
    assert got["headers"]["X-Trace"] == ["abc"]
    assert got["provider_message_id"] == body["MessageID"]
    assert got["message_stream"] == "outbound"
    [a] = got["attachments"]
    assert (a["filename"], a["content_type"], a["size"]) == ("a.txt", "text/plain", 10)
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/0").content == b"hello file"
    journal = admin.get("/__admin/requests", params={"service": "postmark", "account": token})
    assert [e["status"] for e in journal.json()["data"]] == [200]


def test_batch_with_a_failing_message(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    token = f"pm-{unique}"
    batch = [message(addr("b1")), message("broken-address"), message(addr("b3"))]
    resp = post(server, "email/batch", token, batch)
    assert resp.status_code == 200
    results = resp.json()
    assert [r["ErrorCode"] for r in results] == [0, 300, 0]
    assert results[1] == {"ErrorCode": 300, "Message": "Invalid 'To' address: 'broken-address'."}
    assert results[0]["To"] == addr("b1")
    got = wait_emails(admin, count=2, account=token)
    assert [m["to"] for m in got] == [[addr("b1")], [addr("b3")]]
    resp = post(server, "email/batch", token, [message(addr("x"))] * 501)
    assert resp.status_code == 422
    assert resp.json()["ErrorCode"] == 410


def test_errors(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    token = f"pm-{unique}"
    resp = post(server, "email", None, message(addr("x")))
    assert resp.status_code == 401
    assert resp.json()["ErrorCode"] == 10
    assert resp.json()["Message"].startswith("The Server Token you provided")
    cases = [
        (message(""), 300, "Zero recipients specified"),
        (message(addr("y"), TextBody=None, HtmlBody=None), 300, "Provide either email"),
        (message(addr("y"), From=None), 300, "Invalid 'From' value."),
        ([message(addr("y"))], 403, "The JSON input you provided is syntactically correct"),
    ]
    for body, code, text in cases:
        resp = post(server, "email", token, body)
        assert resp.status_code == 422, resp.text
        assert resp.json()["ErrorCode"] == code
        assert resp.json()["Message"].startswith(text)
    resp = requests.post(
        f"{server.url}/email",
        data=b"{oops",
        headers={"X-Postmark-Server-Token": token, "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 422
    assert resp.json() == {"ErrorCode": 402, "Message": "Received invalid JSON input."}
    assert list_emails(admin, account=token) == []
    still_serving(admin)
    assert post(server, "email", token, message(addr("ok"))).status_code == 200
    assert len(wait_emails(admin, account=token)) == 1


def test_test_token_is_not_delivered(
    server: EmbeddedServer, admin: httpx.Client, addr: Callable[..., str]
) -> None:
    resp = post(server, "email", "POSTMARK_API_TEST", message(addr("tt")))
    assert resp.status_code == 200 and resp.json()["ErrorCode"] == 0
    assert list_emails(admin, to=addr("tt")) == []
