"""Mailgun messages API, driven with `requests` exactly as the mailgun SDK sends it."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import requests

from fakeservices.server import EmbeddedServer

from .helpers import list_emails, still_serving, wait_emails

ID_RE = re.compile(r"^<\d{14}\.[0-9a-f]{16}@mg\.example\.com>$")
PDF = b"%PDF-1.4\r\n" + bytes(range(256)) * 3


def url(server: EmbeddedServer, domain: str = "mg.example.com") -> str:
    return f"{server.url}/v3/{domain}/messages"


def test_multipart_with_attachments_tags_headers_and_variables(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"key-{unique}"
    to1, to2, bcc = addr("m1"), addr("m2"), addr("mbcc")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 50
    resp = requests.post(
        url(server),
        auth=("api", key),
        data={
            "from": "Excited User <mailgun@mg.example.com>",
            "to": [to1, f"Second <{to2}>"],
            "bcc": bcc,
            "subject": "Hello from Mailgun",
            "text": "Testing some Mailgun awesomeness!",
            "html": '<p>Testing <img src="cid:logo.png"></p>',
            "o:tag": ["welcome", "onboarding"],
            "h:X-My-Header": "my-value",
            "v:user-id": "42",
            "v:meta": '{"plan": "pro"}',
        },
        files=[
            ("attachment", ("report.pdf", PDF, "application/pdf")),
            ("inline", ("logo.png", png, "image/png")),
        ],
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["message"] == "Queued. Thank you."
    assert ID_RE.match(body["id"]), body["id"]
    [got] = wait_emails(admin, account=key)
    assert got["source"] == "mailgun"
    assert got["from"] == "mailgun@mg.example.com"
    assert got["to"] == [to1, to2] and got["bcc"] == [bcc]
    assert got["envelope_to"] == [to1, to2, bcc]
    assert got["subject"] == "Hello from Mailgun"
    assert got["text"] == "Testing some Mailgun awesomeness!"
    assert got["tags"] == ["welcome", "onboarding"]
    assert got["headers"]["X-My-Header"] == ["my-value"]
    assert got["variables"] == {"user-id": 42, "meta": {"plan": "pro"}}
    assert got["message_id"] == body["id"] == got["provider_message_id"]
    assert got["domain"] == "mg.example.com"
    atts = got["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in atts] == [
        ("logo.png", "image/png", len(png)),
        ("report.pdf", "application/pdf", len(PDF)),
    ]
    assert atts[0]["content_id"] == "logo.png" and atts[0]["disposition"] == "inline"
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/1").content == PDF
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/0").content == png
    journal = admin.get("/__admin/requests", params={"service": "mailgun", "account": key})
    assert [e["status"] for e in journal.json()["data"]] == [200]


def test_urlencoded_and_recipient_variables(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"key-{unique}"
    a, b = addr("ra"), addr("rb")
    resp = requests.post(
        url(server),
        auth=("api", key),
        data={
            "from": "app@mg.example.com",
            "to": f"{a}, {b}",
            "subject": "Hi %recipient.first%",
            "text": "Your code is %recipient.code%",
            "recipient-variables": f'{{"{a}": {{"first": "Ann", "code": 1}}, '
            f'"{b}": {{"first": "Bo", "code": 2}}}}',
        },
        timeout=10,
    )
    assert resp.status_code == 200
    got = wait_emails(admin, count=2, account=key)
    assert [(m["to"], m["subject"], m["text"]) for m in got] == [
        ([a], "Hi Ann", "Your code is 1"),
        ([b], "Hi Bo", "Your code is 2"),
    ]


def test_errors_and_auth(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"key-{unique}"
    good = {"from": "app@mg.example.com", "to": addr("e"), "text": "t", "subject": "s"}
    cases = [
        ({k: v for k, v in good.items() if k != "from"}, "'from' parameter is missing"),
        ({k: v for k, v in good.items() if k != "to"}, "'to' parameter is missing"),
        (
            {**good, "to": "not an address"},
            "'to' parameter is not a valid address. please check documentation",
        ),
        (
            {k: v for k, v in good.items() if k != "text"},
            "Need at least one of 'text' or 'html' parameters specified",
        ),
    ]
    for data, message in cases:
        resp = requests.post(url(server), auth=("api", key), data=data, timeout=10)
        assert resp.status_code == 400
        assert resp.json() == {"message": message}
    for auth in (None, ("api", ""), ("user", key)):
        resp = requests.post(url(server), auth=auth, data=good, timeout=10)
        assert resp.status_code == 401
        assert resp.text == "Forbidden"
    resp = requests.post(
        url(server),
        auth=("api", key),
        data=b"--x\r\nbroken",
        headers={"Content-Type": "multipart/form-data"},
        timeout=10,
    )
    assert resp.status_code == 400 and "message" in resp.json()
    assert list_emails(admin, account=key) == []
    still_serving(admin)
    resp = requests.post(url(server), auth=("api", key), data=good, timeout=10)
    assert resp.status_code == 200
    assert len(wait_emails(admin, account=key)) == 1


def test_testmode_accepts_without_storing(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"key-{unique}"
    data = {"from": "a@mg.example.com", "to": addr("t"), "text": "t", "o:testmode": "yes"}
    resp = requests.post(url(server), auth=("api", key), data=data, timeout=10)
    assert resp.status_code == 200 and resp.json()["message"] == "Queued. Thank you."
    assert list_emails(admin, account=key) == []
