"""SendGrid v3 mail/send through the unchanged sendgrid SDK."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from python_http_client.exceptions import BadRequestsError, UnauthorizedError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Bcc,
    Category,
    Cc,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    MailSettings,
    Personalization,
    SandBoxMode,
    To,
)

from fakeservices.server import EmbeddedServer

from .helpers import list_emails, still_serving, wait_emails

PDF = b"%PDF-1.4 fake pdf " + bytes(range(256))


def client(server: EmbeddedServer, key: str) -> SendGridAPIClient:
    return SendGridAPIClient(key, host=server.url)


def errors_of(exc: pytest.ExceptionInfo[Any]) -> list[dict[str, Any]]:
    body = json.loads(exc.value.body)
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def test_send_with_sdk_mail_helper(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"SG.{unique}"
    to, cc = addr("ann"), addr("cc")
    mail = Mail(
        from_email=From("shop@example.com", "The Shop"),
        to_emails=to,
        subject="Order confirmed",
        plain_text_content="Thanks for your order",
        html_content="<b>Thanks</b> for your order",
    )
    mail.personalizations[0].add_cc(Cc(cc))
    mail.category = [Category("orders"), Category("transactional")]
    mail.custom_arg = CustomArg("order_id", "o-42")
    mail.header = Header("X-Campaign", "spring")
    mail.attachment = Attachment(
        FileContent(base64.b64encode(PDF).decode()),
        FileName("receipt.pdf"),
        FileType("application/pdf"),
        Disposition("attachment"),
    )
    resp = client(server, key).send(mail)
    assert resp.status_code == 202
    assert resp.body == b""
    message_id = resp.headers["X-Message-Id"]
    assert message_id and len(message_id) == 22
    [got] = wait_emails(admin, account=key)
    assert got["source"] == "sendgrid"
    assert got["from"] == "shop@example.com"
    assert got["to"] == [to] and got["cc"] == [cc] and got["bcc"] == []
    assert got["envelope_to"] == [to, cc]
    assert got["subject"] == "Order confirmed"
    assert got["text"] == "Thanks for your order"
    assert got["html"] == "<b>Thanks</b> for your order"
    assert sorted(got["tags"]) == ["orders", "transactional"]
    assert got["custom_args"] == {"order_id": "o-42"}
    assert got["provider_message_id"] == message_id
    assert got["headers"]["X-Campaign"] == ["spring"]
    assert got["parse_errors"] == []
    [att] = got["attachments"]
    assert att["filename"] == "receipt.pdf" and att["content_type"] == "application/pdf"
    assert att["size"] == len(PDF)
    body = admin.get(f"/__admin/emails/{got['id']}/attachments/0")
    assert body.content == PDF and body.headers["content-type"] == "application/pdf"
    # The raw rendering is a real RFC 5322 message with the visible recipients only.
    raw = admin.get(f"/__admin/emails/{got['id']}/raw").content
    assert b"\r\nSubject: Order confirmed\r\n" in raw
    assert b"The Shop <shop@example.com>" in raw
    assert b"Bcc" not in raw
    # Journal: service sendgrid, account = the API key.
    journal = admin.get("/__admin/requests", params={"service": "sendgrid", "account": key})
    [entry] = journal.json()["data"]
    assert entry["status"] == 202 and entry["path"] == "/v3/mail/send"


def test_personalizations_are_stored_one_message_each(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"SG.{unique}"
    mail = Mail(from_email="news@example.com")
    mail.template_id = "d-0123456789abcdef"
    for who, subject in (("p1", "Hi one"), ("p2", "Hi two")):
        p = Personalization()
        p.add_to(To(addr(who)))
        p.add_bcc(Bcc(addr(who + "-audit")))
        p.subject = subject
        p.dynamic_template_data = {"name": who}
        mail.add_personalization(p)
    resp = client(server, key).send(mail)
    assert resp.status_code == 202
    # (The SDK's add_personalization prepends; order the stored messages by subject.)
    got = sorted(wait_emails(admin, count=2, account=key), key=lambda m: m["subject"])
    assert [m["to"] for m in got] == [[addr("p1")], [addr("p2")]]
    assert [m["bcc"] for m in got] == [[addr("p1-audit")], [addr("p2-audit")]]
    assert [m["subject"] for m in got] == ["Hi one", "Hi two"]
    assert [m["template_data"] for m in got] == [{"name": "p1"}, {"name": "p2"}]
    assert {m["template_id"] for m in got} == {"d-0123456789abcdef"}
    assert got[0]["text"] is None and got[0]["html"] is None
    # A bcc-only recipient finds exactly their own message.
    [mine] = list_emails(admin, to=addr("p2-audit"))
    assert mine["subject"] == "Hi two"


def test_raw_dict_with_substitutions_reply_to_and_inline_image(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"SG.{unique}"
    png = b"\x89PNG\r\n\x1a\nimage-bytes"
    body = {
        "personalizations": [
            {"to": [{"email": addr("x"), "name": "X"}], "substitutions": {"-name-": "Xavier"}}
        ],
        "from": {"email": "app@example.com"},
        "reply_to": {"email": "support@example.com"},
        "subject": "Hello -name-",
        "content": [
            {"type": "text/plain", "value": "Dear -name-"},
            {"type": "text/html", "value": '<p>Dear -name- <img src="cid:logo"></p>'},
        ],
        "attachments": [
            {
                "content": base64.b64encode(png).decode(),
                "filename": "logo.png",
                "type": "image/png",
                "disposition": "inline",
                "content_id": "logo",
            }
        ],
    }
    resp = client(server, key).client.mail.send.post(request_body=body)
    assert resp.status_code == 202
    [got] = wait_emails(admin, account=key)
    assert got["subject"] == "Hello Xavier"
    assert got["text"] == "Dear Xavier"
    assert got["reply_to"] == ["support@example.com"]
    [att] = got["attachments"]
    assert att["content_id"] == "logo" and att["disposition"] == "inline"
    assert admin.get(f"/__admin/emails/{got['id']}/attachments/0").content == png


def test_sandbox_mode_answers_200_and_stores_nothing(
    server: EmbeddedServer, admin: httpx.Client, unique: str, addr: Callable[..., str]
) -> None:
    key = f"SG.{unique}"
    mail = Mail("a@example.com", addr("sb"), "sandboxed", "text")
    settings = MailSettings()
    settings.sandbox_mode = SandBoxMode(True)
    mail.mail_settings = settings
    resp = client(server, key).send(mail)
    assert resp.status_code == 200
    body = mail.get()
    body["mail_settings"]["sandbox_mode"]["enable"] = "true"
    with pytest.raises(BadRequestsError) as exc:
        client(server, key).send(body)
    assert errors_of(exc) == [
        {
            "message": "The sandbox mode enable param should be a boolean value.",
            "field": "mail_settings.sandbox_mode.enable",
            "help": "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
            "#message.mail_settings",
        }
    ]
    assert list_emails(admin, account=key) == []


GOOD: dict[str, Any] = {
    "personalizations": [{"to": [{"email": "good@example.com"}]}],
    "from": {"email": "app@example.com"},
    "subject": "s",
    "content": [{"type": "text/plain", "value": "v"}],
}


@pytest.mark.parametrize(
    ("change", "field", "message_start"),
    [
        ({"from": None}, "from.email", "The from object must be provided for every email send."),
        ({"from": {"email": "nope"}}, "from.email", "The from email does not contain"),
        ({"subject": None}, "subject", "The subject is required."),
        ({"content": None}, "content", "Unless a valid template_id is provided"),
        (
            {"content": [{"type": "text/plain", "value": ""}]},
            "content.0.value",
            "The content value must be a string at least one character in length.",
        ),
        (
            {
                "content": [
                    {"type": "text/html", "value": "<p>h</p>"},
                    {"type": "text/plain", "value": "t"},
                ]
            },
            "content",
            "If present, text/plain and text/html",
        ),
        ({"personalizations": []}, "personalizations", "The personalizations field is required"),
        ({"personalizations": [{"subject": "x"}]}, "personalizations.0.to", "The to array is"),
        (
            {"personalizations": [{"to": [{"email": "not-an-address"}]}]},
            "personalizations.0.to.0.email",
            "Does not contain a valid address.",
        ),
        (
            {
                "personalizations": [
                    {"to": [{"email": "d@example.com"}], "cc": [{"email": "D@example.com"}]}
                ]
            },
            "personalizations.0",
            "Each email address in the personalization block should be unique",
        ),
        (
            {"attachments": [{"content": "!!not base64!!", "filename": "a.txt"}]},
            "attachments.0.content",
            "The attachment content must be base64 encoded.",
        ),
        (
            {"attachments": [{"content": "aGk="}]},
            "attachments.0.filename",
            "The attachment filename parameter is required.",
        ),
        ({"from": "app@example.com"}, "from", "Invalid type. Expected: object, given: string."),
    ],
)
def test_invalid_requests_get_400_with_field(
    server: EmbeddedServer,
    admin: httpx.Client,
    unique: str,
    change: dict[str, Any],
    field: str,
    message_start: str,
) -> None:
    key = f"SG.{unique}"
    body = {**GOOD, **change}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(BadRequestsError) as exc:
        client(server, key).send(body)
    assert exc.value.status_code == 400
    errors = errors_of(exc)
    assert any(e["field"] == field and e["message"].startswith(message_start) for e in errors), (
        errors
    )
    assert all(set(e) == {"message", "field", "help"} for e in errors)
    assert list_emails(admin, account=key) == []
    # The server keeps serving: the same client can send a good message right after.
    assert client(server, key).send(GOOD).status_code == 202
    still_serving(admin)


def test_all_problems_are_listed_at_once(server: EmbeddedServer, unique: str) -> None:
    with pytest.raises(BadRequestsError) as exc:
        client(server, f"SG.{unique}").send({"personalizations": [{"to": [{"email": "a@b.co"}]}]})
    fields = [e["field"] for e in errors_of(exc)]
    assert fields == ["from.email", "subject", "content"]


def test_missing_key_is_401_and_non_json_is_400(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    no_key = client(server, "unused")
    no_key.client.request_headers.pop("Authorization")
    with pytest.raises(UnauthorizedError) as exc:
        no_key.send(GOOD)
    assert errors_of(exc) == [
        {
            "message": "The provided authorization grant is invalid, expired, or revoked",
            "field": None,
            "help": None,
        }
    ]
    resp = httpx.post(
        f"{server.url}/v3/mail/send",
        content=b"{not json",
        headers={"Authorization": f"Bearer SG.{unique}", "Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.json() == {"errors": [{"message": "Bad Request", "field": None, "help": None}]}
    resp = httpx.post(f"{server.url}/v3/mail/send", json=GOOD, headers={"Authorization": "Basic x"})
    assert resp.status_code == 401
    still_serving(admin)
    assert client(server, f"SG.{unique}").send(GOOD).status_code == 202
