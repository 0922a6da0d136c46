"""Resend: `POST /emails`, `POST /emails/batch` and `GET /emails/{id}`, as its SDKs speak them.

Auth is ``Authorization: Bearer <key>``; the key is the account. A send answers ``200 {"id"}``
(the id a UUID), a batch ``200 {"data": [{"id"}, ...]}`` (plus ``errors`` in permissive mode,
``x-batch-validation: permissive``). ``Idempotency-Key`` replays the first answer for 24 hours of
the runtime's clock (a different body with the same key is a 409). Errors are Resend's envelope
``{"statusCode", "message", "name"}``.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.http import BadJson, bearer_token, json_response, loads
from fakeservices.core.idempotency import IdempotencyCache
from fakeservices.core.ids import uuid4
from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, store_all
from fakeservices.email.http_common import json_send_addresses, strict_b64decode
from fakeservices.email.model import StoredEmail, valid_address
from fakeservices.email.provider import Handler, Provider, SendError

MAX_RECIPIENTS = 50
MAX_BATCH = 100
MAX_IDEMPOTENCY_KEY = 256

MSG_MISSING_KEY = "Missing API key in the authorization header"
MSG_VALIDATION = "We found an error with one or more fields in the request."
MSG_NOT_FOUND = "Email not found"
MSG_BAD_UUID = "The `id` must be a valid UUID."
MSG_IDEMPOTENCY_KEY = "The key must be between 1-256 chars."
MSG_IDEMPOTENCY_CONFLICT = "Same idempotency key used with a different request payload."
MSG_ATTACHMENT = "Attachment must have either a `content` or `path`."
MSG_TAG = (
    "Tags should only contain ASCII letters (a-z, A-Z), numbers (0-9), underscores (_), "
    "or dashes (-)."
)

#: Resend's error ``name`` for each status when a handler gives none (injected faults too).
NAMES = {
    400: "validation_error",
    401: "missing_api_key",
    403: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_idempotent_request",
    422: "validation_error",
    429: "rate_limit_exceeded",
}

_NAMED = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<addr>[^<>\s]+)>\s*$")
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_EXTRA_FIELDS = ("cc", "bcc", "reply_to")

#: What a send does once its request is read: (account, JSON body, headers) -> the answer.
Work = Callable[[str, Any, Headers], dict[str, Any]]


def invalid(message: str, name: str = "validation_error", status: int = 422) -> SendError:
    return SendError(status, message, name=name)


def missing(field: str) -> SendError:
    return invalid(f"Missing `{field}` field.", "missing_required_field")


def bad_address(field: str) -> SendError:
    return invalid(
        f"Invalid `{field}` field. The email address needs to follow the `email@example.com` "
        "or `Name <email@example.com>` format."
    )


def mailbox(value: str) -> Mailbox | None:
    """``email@example.com`` or ``Name <email@example.com>``; None if it is neither."""
    found = _NAMED.match(value)
    if found:
        addr, name = found["addr"], found["name"].strip().strip('"') or None
    else:
        addr, name = value.strip(), None
    if not valid_address(addr) or parseaddr(addr)[1] != addr:
        return None
    return Mailbox(addr, name)


def mailboxes(data: dict[str, Any], field: str, *, limit: int | None = None) -> list[Mailbox]:
    value = data.get(field)
    if value is None or value == "" or value == []:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise invalid(f"The `{field}` field must be a `string` or an `array` of strings.")
    if limit is not None and len(values) > limit:
        raise invalid(f"Too many recipients in the `{field}` field. The maximum is {limit}.")
    found = [mailbox(v) for v in values]
    if any(m is None for m in found):
        raise bad_address(field)
    return [m for m in found if m is not None]


def _content(value: Any) -> bytes | None:
    """An attachment's ``content``: base64 text, an array of byte values (the Python SDK's
    ``list(bytes)``) or a serialised Node ``Buffer`` (``{"type": "Buffer", "data": [...]}``)."""
    if isinstance(value, dict) and value.get("type") == "Buffer":
        value = value.get("data")
    if isinstance(value, str):
        return strict_b64decode(value)
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b <= 255 for b in value):
        return bytes(value)
    return None


def _attachments(value: Any) -> tuple[list[OutAttachment], list[dict[str, Any]]]:
    """Attachments by content, and the remote ones (by ``path``, recorded, never fetched)."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise invalid("The `attachments` field must be an `array`.")
    found: list[OutAttachment] = []
    remote: list[dict[str, Any]] = []
    for att in value:
        if not isinstance(att, dict):
            raise invalid(MSG_ATTACHMENT, "invalid_attachment")
        filename = att.get("filename")
        filename = filename if isinstance(filename, str) and filename else None
        cid = att.get("content_id") or att.get("inline_content_id")
        cid = cid if isinstance(cid, str) and cid else None
        if att.get("content") is not None:
            data = _content(att["content"])
            if data is None:
                raise invalid(
                    "The attachment `content` must be a base64 string or a buffer.",
                    "invalid_attachment",
                )
            ctype = att.get("content_type")
            found.append(
                OutAttachment(
                    data=data,
                    filename=filename,
                    content_type=ctype if isinstance(ctype, str) and ctype else _guess(filename),
                    disposition="inline" if cid else "attachment",
                    content_id=cid,
                )
            )
        elif isinstance(att.get("path"), str) and att["path"]:
            remote.append({"filename": filename, "path": att["path"], "content_id": cid})
        else:
            raise invalid(MSG_ATTACHMENT, "invalid_attachment")
    return found, remote


def _guess(filename: str | None) -> str:
    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or "application/octet-stream"


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise invalid("The `tags` field must be an `array`.")
    tags: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, dict) or not isinstance(tag.get("name"), str):
            raise missing("tags.name")
        name, val = tag["name"], tag.get("value", "")
        if not isinstance(val, str) or not _TAG.match(name) or (val and not _TAG.match(val)):
            raise invalid(MSG_TAG)
        tags[name] = val
    return tags


def build(data: Any, *, in_batch: bool = False) -> Outgoing:
    """One Resend email body -> Outgoing, or raise :class:`SendError` (the first problem)."""
    if not isinstance(data, dict):
        raise invalid(MSG_VALIDATION, status=400)
    template = data.get("template")
    if template is not None and not (isinstance(template, dict) and template.get("id")):
        raise missing("template.id")
    from_value = data.get("from")
    if from_value is None or from_value == "":
        if template is None:
            raise missing("from")
        sender = Mailbox("")
    elif not isinstance(from_value, str) or (found := mailbox(from_value)) is None:
        raise bad_address("from")
    else:
        sender = found
    if data.get("to") is None or data.get("to") in ("", []):
        raise missing("to")
    to = mailboxes(data, "to", limit=MAX_RECIPIENTS)
    cc, bcc, reply_to = (mailboxes(data, f, limit=MAX_RECIPIENTS) for f in _EXTRA_FIELDS)
    subject = data.get("subject")
    if template is None and (not isinstance(subject, str) or not subject):
        raise missing("subject")
    text, html = data.get("text"), data.get("html")
    text = text if isinstance(text, str) else None
    html = html if isinstance(html, str) else None
    if template is None and text is None and html is None:
        raise invalid("Missing `html` or `text` field.", "missing_required_field")
    if in_batch and data.get("attachments"):
        raise invalid("The `attachments` field is not supported in batch emails.")
    if in_batch and data.get("scheduled_at"):
        raise invalid("The `scheduled_at` field is not supported in batch emails.")
    headers = data.get("headers")
    if headers is not None and not (
        isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    ):
        raise invalid("The `headers` field must be an `object` of strings.")
    attachments, remote = _attachments(data.get("attachments"))
    tags = _tags(data.get("tags"))
    extra: dict[str, Any] = {}
    if tags:
        extra["variables"] = tags
    if data.get("scheduled_at") is not None:
        extra["send_at"] = data["scheduled_at"]
    if template is not None:
        extra["template_id"] = template.get("id")
        extra["template_data"] = template.get("variables")
    if remote:
        extra["remote_attachments"] = remote
    if data.get("topic_id"):
        extra["topic_id"] = data["topic_id"]
    return Outgoing(
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        subject=subject if isinstance(subject, str) else None,
        text=text,
        html=html,
        headers=[(str(k), v) for k, v in (headers or {}).items()],
        attachments=attachments,
        tags=list(tags),
        extra=extra,
    )


def _created_at(ts: float) -> str:
    """``2023-04-03 22:13:42.674981+00``, as Resend prints it."""
    return f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M:%S.%f}+00"


def email_object(mail: StoredEmail) -> dict[str, Any]:
    """The stored message as ``GET /emails/{id}`` answers it."""
    text, html = mail.content.texts()
    scheduled = mail.extra.get("send_at")
    variables = mail.extra.get("variables") or {}
    return {
        "object": "email",
        "id": mail.extra.get("provider_message_id"),
        "to": list(mail.to),
        "from": mail.from_addr,
        "created_at": _created_at(mail.received_at),
        "subject": mail.subject,
        "html": html,
        "text": text,
        "bcc": list(mail.bcc) or None,
        "cc": list(mail.cc) or None,
        "reply_to": list(mail.reply_to) or None,
        "last_event": "scheduled" if scheduled else "delivered",
        "scheduled_at": scheduled,
        "tags": [{"name": k, "value": v} for k, v in variables.items()],
    }


class ResendApi(Provider):
    name = "resend"
    paths = ("/emails", "/emails/batch", "/emails/{email_id}")
    methods = {"/emails/{email_id}": ("GET",)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replays: IdempotencyCache[tuple[int, Any]] = IdempotencyCache(self.clock)

    def account_of(self, headers: Headers, path: str) -> str:
        return bearer_token(headers.get("authorization"))

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        return request_addresses(body)

    def reset(self, account: str | None) -> None:
        self.replays.reset(None if account is None else f"{account}\n")

    def render(self, error: SendError) -> Response:
        name = error.name or NAMES.get(error.status, "application_error")
        body = {"statusCode": error.status, "message": error.message, "name": name}
        return JSONResponse(body, error.status)

    def rate_limited(self, message: str, retry_after: int) -> Response:
        response = self.render(SendError(429, message, name="rate_limit_exceeded"))
        response.headers["ratelimit-remaining"] = "0"
        response.headers["ratelimit-reset"] = str(retry_after)
        return response

    def bad_json(self, error: BadJson) -> SendError:
        return invalid(MSG_VALIDATION, status=400)

    def handlers(self) -> dict[str, Handler]:
        return {"/emails": self.send, "/emails/batch": self.batch, "/emails/{email_id}": self.get}

    def _key(self, request: Request) -> str:
        key = bearer_token(request.headers.get("authorization"))
        if not key:
            raise SendError(401, MSG_MISSING_KEY, name="missing_api_key")
        return key

    async def _run(self, request: Request, work: Work) -> Response:
        """Read and authenticate the request; answer it through the Idempotency-Key cache."""
        key = self._key(request)
        body = await self.body(request)
        idem = request.headers.get("idempotency-key")
        if idem is not None and not 1 <= len(idem) <= MAX_IDEMPOTENCY_KEY:
            raise invalid(MSG_IDEMPOTENCY_KEY, "invalid_idempotency_key", 400)
        scope = f"{key}\n{request.url.path}"
        if idem is not None:
            replay = self.replays.lookup(scope, idem, body)
            if replay is not None:
                if replay.conflict:
                    raise invalid(MSG_IDEMPOTENCY_CONFLICT, "invalid_idempotent_request", 409)
                assert replay.value is not None
                status, payload = replay.value
                return JSONResponse(payload, status)
        payload = work(key, loads(body, max_bytes=self.max_bytes), request.headers)
        if idem is not None:
            self.replays.remember(scope, idem, body, (200, payload))
        return JSONResponse(payload)

    def _accept(self, key: str, outs: list[Outgoing]) -> list[dict[str, str]]:
        ids = []
        for out in outs:
            email_id = uuid4()
            out.message_id = f"<{email_id}@resend.fakeservices>"
            out.extra["provider_message_id"] = email_id
            ids.append({"id": email_id})
        store_all(self.inbox, outs, account=key, source=self.name)
        return ids

    async def send(self, request: Request) -> Response:
        def work(key: str, data: Any, headers: Headers) -> dict[str, Any]:
            [sent] = self._accept(key, [build(data)])
            return sent

        return await self._run(request, work)

    async def batch(self, request: Request) -> Response:
        def work(key: str, data: Any, headers: Headers) -> dict[str, Any]:
            if not isinstance(data, list) or not data:
                raise invalid("The batch must be an `array` of at least one email.")
            if len(data) > MAX_BATCH:
                raise invalid(f"Too many emails in the batch. The maximum is {MAX_BATCH}.")
            permissive = headers.get("x-batch-validation", "strict").lower() == "permissive"
            outs: list[Outgoing] = []
            errors: list[dict[str, Any]] = []
            for index, item in enumerate(data):
                try:
                    outs.append(build(item, in_batch=True))
                except SendError as exc:
                    if not permissive:  # strict: the first problem fails the whole batch
                        raise
                    errors.append({"index": index, "message": exc.message})
            result: dict[str, Any] = {"data": self._accept(key, outs)}
            if permissive:
                result["errors"] = errors
            return result

        return await self._run(request, work)

    async def get(self, request: Request) -> Response:
        key = self._key(request)
        email_id = request.path_params["email_id"]
        try:
            uuid.UUID(email_id)
        except ValueError:
            raise invalid(MSG_BAD_UUID, "invalid_parameter") from None
        for mail in self.inbox.store.values():
            if (
                mail.source == self.name
                and mail.account == key
                and mail.extra.get("provider_message_id") == email_id
            ):
                # A big html or text is encoded off the loop (same bytes).
                return await json_response(email_object(mail), mail.content.size_hint)
        raise invalid(MSG_NOT_FOUND, "not_found", 404)


def request_addresses(body: bytes) -> tuple[str | None, list[str]]:
    """``from`` and the to/cc/bcc addresses of a send or batch body (for fault matching)."""
    return json_send_addresses(body, "from", ("to", "cc", "bcc"), _addresses)


def _addresses(value: str) -> list[str]:
    box = mailbox(value)
    return [box.email] if box is not None else []
