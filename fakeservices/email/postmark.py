"""Postmark ``POST /email`` and ``POST /email/batch`` with ``X-Postmark-Server-Token``.

The server token is the account. Success is ``200`` with ``To``, ``SubmittedAt``, ``MessageID``,
``ErrorCode: 0`` and ``Message: "OK"`` (an array of those for a batch, where each message succeeds
or fails on its own). Errors are ``{"ErrorCode": n, "Message": ...}``: 401/10 for a missing token,
422 with 300 (invalid email request), 402 (invalid JSON), 403 (incompatible JSON) or 410 (too many
batch messages). The token ``POSTMARK_API_TEST`` succeeds without delivering, as on Postmark.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.http import BadJson, FastJSONResponse, loads
from fakeservices.core.ids import uuid4
from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, store_all
from fakeservices.email.http_common import address_pairs, json_send_addresses, strict_b64decode
from fakeservices.email.model import valid_address
from fakeservices.email.provider import Handler, Provider, SendError

TOKEN_HEADER = "x-postmark-server-token"
TEST_TOKEN = "POSTMARK_API_TEST"
MAX_BATCH = 500
MAX_RECIPIENTS = 50

MSG_BAD_TOKEN = (
    "The Server Token you provided in the X-Postmark-Server-Token request header was invalid. "
    "Please verify that you are using a valid token."
)
MSG_INVALID_JSON = "Received invalid JSON input."
MSG_INCOMPATIBLE_JSON = (
    "The JSON input you provided is syntactically correct, but still not the one we expect."
)
MSG_TOO_LARGE = "The message size exceeds the maximum allowed size."
MSG_TOO_MANY = f"Too many recipients. The maximum is {MAX_RECIPIENTS}."

# ErrorCode Postmark uses with each HTTP status (for injected faults).
_CODES = {401: 10, 422: 300, 429: 429}


def submitted_at(ts: float) -> str:
    """``2014-02-17T07:25:01.4178645+00:00`` (seven fractional digits, as .NET prints it)."""
    # isoformat without strftime: the same text at half the cost, on every send's answer.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")[:26] + "0+00:00"


def invalid(message: str, code: int = 300) -> SendError:
    """One message's validation failure: 422 with ErrorCode 300 unless told."""
    return SendError(422, message, code=code)


def _mailboxes(value: Any, label: str) -> list[Mailbox]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise invalid(f"Invalid '{label}' address: '{value}'.")
    found = []
    for name, addr in address_pairs([value]):
        if not addr and not name:
            continue
        if not valid_address(addr):
            raise invalid(f"Invalid '{label}' address: '{(addr or name).strip()}'.")
        found.append(Mailbox(addr, name or None))
    return found


def build(data: dict[str, Any]) -> Outgoing:
    """One Postmark message -> Outgoing, or raise :class:`SendError`."""
    fields = [data.get(k) for k in ("To", "Cc", "Bcc")]
    if sum(v.count("@") for v in fields if isinstance(v, str)) > 10 * MAX_RECIPIENTS:
        # Certain without parsing (each address has an @): do not parse thousands.
        raise invalid(MSG_TOO_MANY)
    from_value = data.get("From")
    if not isinstance(from_value, str) or not from_value.strip():
        raise invalid("Invalid 'From' value.")
    try:
        senders = _mailboxes(from_value, "From")
    except SendError:
        raise invalid("Invalid 'From' value.") from None
    if len(senders) != 1:
        raise invalid("Invalid 'From' value.")
    to = _mailboxes(data.get("To"), "To")
    cc = _mailboxes(data.get("Cc"), "Cc")
    bcc = _mailboxes(data.get("Bcc"), "Bcc")
    if not (to or cc or bcc):
        raise invalid("Zero recipients specified")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise invalid(MSG_TOO_MANY)
    text, html = data.get("TextBody"), data.get("HtmlBody")
    text = text if isinstance(text, str) and text else None
    html = html if isinstance(html, str) and html else None
    template = data.get("TemplateId") or data.get("TemplateAlias")
    if text is None and html is None and template is None:
        raise invalid("Provide either email TextBody or HtmlBody or both.")
    headers: list[tuple[str, str]] = []
    raw_headers = data.get("Headers")
    if isinstance(raw_headers, list):
        for h in raw_headers:
            if isinstance(h, dict) and isinstance(h.get("Name"), str):
                headers.append((h["Name"], str(h.get("Value", ""))))
    elif raw_headers is not None:
        raise invalid("Invalid 'Headers' value.", 403)
    attachments = _attachments(data.get("Attachments"))
    reply_to = _mailboxes(data.get("ReplyTo"), "ReplyTo")
    tag = data.get("Tag")
    subject = data.get("Subject")
    metadata = data.get("Metadata")
    return Outgoing(
        sender=senders[0],
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        subject=subject if isinstance(subject, str) else None,
        text=text,
        html=html,
        headers=headers,
        attachments=attachments,
        tags=[tag] if isinstance(tag, str) and tag else [],
        extra={
            "variables": metadata if isinstance(metadata, dict) else {},
            "message_stream": data.get("MessageStream") or "outbound",
            "template_id": template,
            "template_data": data.get("TemplateModel"),
        },
    )


def _attachments(value: Any) -> list[OutAttachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("Invalid 'Attachments' value.", 403)
    found = []
    for att in value:
        if not isinstance(att, dict) or not isinstance(att.get("Name"), str) or not att["Name"]:
            raise invalid("Attachment name is required.")
        content = att.get("Content")
        data = strict_b64decode(content) if isinstance(content, str) else None
        if data is None:
            raise invalid(f"Invalid attachment content for '{att['Name']}': not base64.")
        cid = att.get("ContentID") or att.get("ContentId")
        cid_s = str(cid).removeprefix("cid:") if cid else None
        ctype = att.get("ContentType")
        found.append(
            OutAttachment(
                data=data,
                filename=att["Name"],
                content_type=ctype
                if isinstance(ctype, str) and ctype
                else "application/octet-stream",
                disposition="inline" if cid_s else "attachment",
                content_id=cid_s,
            )
        )
    return found


class PostmarkApi(Provider):
    name = "postmark"
    paths = ("/email", "/email/batch")
    prefixes = (r"^/email(/|$)",)

    def account_of(self, headers: Headers, path: str) -> str:
        return (headers.get(TOKEN_HEADER) or "").strip()

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        return request_addresses(body)

    def render(self, error: SendError) -> Response:
        code = error.code if error.code is not None else _CODES.get(error.status, error.status)
        return JSONResponse({"ErrorCode": code, "Message": error.message}, error.status)

    def too_large(self) -> SendError:
        return SendError(413, MSG_TOO_LARGE, code=300)

    def bad_json(self, error: BadJson) -> SendError:
        return SendError(422, MSG_INVALID_JSON, code=402)

    def handlers(self) -> dict[str, Handler]:
        return {"/email": self.send, "/email/batch": self.batch}

    async def _body(self, request: Request) -> tuple[str, bytes]:
        token = (request.headers.get(TOKEN_HEADER) or "").strip()
        if not token:
            raise SendError(401, MSG_BAD_TOKEN, code=10)
        return token, await self.body(request)

    @staticmethod
    def _accept(data: dict[str, Any], now: float) -> tuple[Outgoing, dict[str, Any]]:
        out = build(data)
        message_id = uuid4()
        out.message_id = f"<{message_id}@postmark.fakeservices>"
        out.extra["provider_message_id"] = message_id
        return out, {
            "To": data.get("To") or "",
            "SubmittedAt": submitted_at(now),
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def _store(self, token: str, outs: list[Outgoing]) -> None:
        if token != TEST_TOKEN:  # Postmark's test token validates but never delivers
            store_all(self.inbox, outs, account=token, source=self.name)

    async def send(self, request: Request) -> Response:
        token, body = await self._body(request)
        out, result = await self.validate(body, lambda: self._one(body, time.time()))
        self._store(token, [out])
        return FastJSONResponse(result)  # strings and ints only

    def _one(self, body: bytes, now: float) -> tuple[Outgoing, dict[str, Any]]:
        data = loads(body, max_bytes=self.max_bytes)
        if not isinstance(data, dict):
            raise invalid(MSG_INCOMPATIBLE_JSON, 403)
        return self._accept(data, now)

    async def batch(self, request: Request) -> Response:
        token, body = await self._body(request)
        accepted, results = await self.validate(body, lambda: self._many(body, time.time()))
        self._store(token, accepted)
        return FastJSONResponse(results)  # strings and ints only

    def _many(self, body: bytes, now: float) -> tuple[list[Outgoing], list[dict[str, Any]]]:
        data = loads(body, max_bytes=self.max_bytes)
        if not isinstance(data, list):
            raise invalid(MSG_INCOMPATIBLE_JSON, 403)
        if len(data) > MAX_BATCH:
            raise invalid("You may only send up to 500 messages in a single batched request.", 410)
        results: list[dict[str, Any]] = []
        accepted: list[Outgoing] = []
        for item in data:
            try:
                if not isinstance(item, dict):
                    raise invalid(MSG_INCOMPATIBLE_JSON, 403)
                out, result = self._accept(item, now)
            except SendError as exc:  # in a batch each message fails on its own
                results.append({"ErrorCode": exc.code, "Message": exc.message})
                continue
            accepted.append(out)
            results.append(result)
        return accepted, results


def request_addresses(body: bytes) -> tuple[str | None, list[str]]:
    """``From`` and the To/Cc/Bcc addresses of an email or batch body (for fault matching)."""
    return json_send_addresses(
        body, "From", ("To", "Cc", "Bcc"), lambda v: [a for _, a in getaddresses([v]) if a]
    )
