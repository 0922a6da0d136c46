"""SendGrid's request validation, table-driven: each violation answered with SendGrid's
``{"errors": [{"message", "field", "help"}]}`` as the real API would, through the sendgrid SDK."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from python_http_client.exceptions import BadRequestsError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, ContentId, Disposition, Mail

from fakeservices.email.sendgrid import HELP, MSG_INLINE_CONTENT_ID
from fakeservices.server import EmbeddedServer

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [{"to": [{"email": "to@example.com"}]}],
        "from": {"email": "from@example.com"},
        "subject": "Hi",
        "content": [{"type": "text/plain", "value": "Hello"}],
    }
    body.update(changes)
    return body


def _invalid(kind: str, given: str) -> str:
    return f"Invalid type. Expected: {kind}, given: {given}."


@pytest.mark.parametrize(
    ("changes", "field", "message", "anchor"),
    [
        (
            {"attachments": [{"content": PNG, "filename": "a.png", "disposition": "inline"}]},
            "attachments.0.content_id",
            MSG_INLINE_CONTENT_ID,
            "message.attachments.content_id",
        ),
        (
            # the Node SDK's own attachment type spells it contentId: real SendGrid rejects that
            {
                "attachments": [
                    {"content": PNG, "filename": "ok.pdf"},
                    {
                        "content": PNG,
                        "filename": "a.png",
                        "disposition": "inline",
                        "contentId": "logo",
                    },
                ]
            },
            "attachments.1.content_id",
            MSG_INLINE_CONTENT_ID,
            "message.attachments.content_id",
        ),
        (
            {"attachments": [{"content": PNG, "filename": "a.png", "type": 5}]},
            "attachments.0.type",
            _invalid("string", "integer"),
            "message.attachments.type",
        ),
        ({"send_at": "soon"}, "send_at", _invalid("integer", "string"), "message.send_at"),
        (
            {"personalizations": [{"to": [{"email": "to@example.com"}], "send_at": 1.5}]},
            "personalizations.0.send_at",
            _invalid("integer", "number"),
            "message.personalizations.send_at",
        ),
        ({"batch_id": 7}, "batch_id", _invalid("string", "integer"), "message.batch_id"),
        ({"ip_pool_name": ["a"]}, "ip_pool_name", _invalid("string", "array"), "message.ip_pools"),
        ({"asm": {}}, "asm.group_id", _invalid("integer", "null"), "message.asm.group_id"),
        ({"asm": "x"}, "asm", _invalid("object", "string"), "message.asm"),
    ],
)
def test_violation(
    server: EmbeddedServer, changes: dict[str, Any], field: str, message: str, anchor: str
) -> None:
    sg = SendGridAPIClient("SG.schema", host=server.url)
    with pytest.raises(BadRequestsError) as info:
        sg.send(_body(**changes))
    errors = json.loads(info.value.body)["errors"]
    assert {"message": message, "field": field, "help": f"{HELP}#{anchor}"} in errors


def test_inline_with_content_id_from_the_python_helpers_is_accepted(
    server: EmbeddedServer,
) -> None:
    """sendgrid-python's Attachment maps ContentId to content_id: the fake accepts it."""
    mail = Mail("from@example.com", "to@example.com", "Logo", html_content='<img src="cid:l">')
    mail.attachment = Attachment(
        file_content=PNG,
        file_name="l.png",
        file_type="image/png",
        disposition=Disposition("inline"),
        content_id=ContentId("l"),
    )
    assert mail.get()["attachments"][0]["content_id"] == "l"
    resp = SendGridAPIClient("SG.schema", host=server.url).send(mail)
    assert resp.status_code == 202


def test_every_violation_listed_at_once(server: EmbeddedServer) -> None:
    body = _body(
        send_at="x",
        attachments=[{"content": PNG, "filename": "a.png", "disposition": "inline"}],
    )
    with pytest.raises(BadRequestsError) as info:
        SendGridAPIClient("SG.schema", host=server.url).send(body)
    fields = [e["field"] for e in json.loads(info.value.body)["errors"]]
    assert sorted(fields) == ["attachments.0.content_id", "send_at"]
