"""SendGrid v3 Mail Send: ``POST /v3/mail/send`` as the ``sendgrid`` SDK speaks it.

Auth is ``Authorization: Bearer <key>``; the key is the account. Success is ``202`` with an empty
body and ``X-Message-Id``; sandbox mode answers ``200`` and stores nothing. Errors use SendGrid's
``{"errors": [{"message", "field", "help"}]}`` envelope, one entry per problem found.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.http import BadJson, bearer_token, loads
from fakeservices.core.ids import token
from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, store_all
from fakeservices.email.http_common import strict_b64decode
from fakeservices.email.model import valid_address
from fakeservices.email.provider import Handler, Provider, SendError

PATH = "/v3/mail/send"
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"

MSG_UNAUTHORIZED = "The provided authorization grant is invalid, expired, or revoked"
MSG_TOO_LARGE = "The JSON payload you have included in your request is too large."
MSG_FROM = (
    "The from object must be provided for every email send. It is an object that requires the "
    'email parameter, but may also contain a name parameter.  e.g. {"email" : '
    '"example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.'
)
MSG_FROM_INVALID = "The from email does not contain a valid address."
MSG_PERSONALIZATIONS = (
    "The personalizations field is required and must have at least one personalization."
)
MSG_TO = (
    "The to array is required for all personalization objects, and must have at least one email "
    "object with a valid email address."
)
MSG_INVALID_ADDRESS = "Does not contain a valid address."
MSG_SUBJECT = (
    "The subject is required. You can get around this requirement if you use a template with a "
    "subject defined or if every personalization has a subject defined."
)
MSG_CONTENT = (
    "Unless a valid template_id is provided, the content parameter is required. There must be at "
    "least one defined content block. We typically suggest both text/plain and text/html blocks "
    "are included, but only one block is required."
)
MSG_CONTENT_VALUE = "The content value must be a string at least one character in length."
MSG_CONTENT_ORDER = (
    "If present, text/plain and text/html may only be provided in order, following each other, "
    "and at the beginning of the content array."
)
MSG_SANDBOX = "The sandbox mode enable param should be a boolean value."
#: As real SendGrid answers an inline attachment without ``content_id`` (field
#: ``attachments.N.content_id``), seen in an application's captured error.
MSG_INLINE_CONTENT_ID = "The content_id parameter is required if disposition = 'inline'."
ANCHOR_CONTENT_ID = "message.attachments.content_id"

ErrorItem = dict[str, Any]


def item(message: str, field: str | None = None, anchor: str | None = None) -> ErrorItem:
    return {"message": message, "field": field, "help": f"{HELP}#{anchor}" if anchor else None}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _bad_type(expected: str, value: Any, field: str, anchor: str) -> ErrorItem:
    return item(f"Invalid type. Expected: {expected}, given: {_type_name(value)}.", field, anchor)


class _Validator:
    """Collects every problem of one request, as SendGrid lists them all at once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: list[ErrorItem] = []

    def mailbox(self, value: Any, field: str, anchor: str, kind: str) -> Mailbox | None:
        if not isinstance(value, dict):
            self.errors.append(_bad_type("object", value, field, anchor))
            return None
        email = value.get("email")
        if email is None or email == "":
            self.errors.append(item(f"The {kind} email parameter is required.", f"{field}.email"))
            return None
        if not isinstance(email, str):
            self.errors.append(_bad_type("string", email, f"{field}.email", anchor))
            return None
        if not valid_address(email.strip()):
            self.errors.append(item(MSG_INVALID_ADDRESS, f"{field}.email", anchor))
            return None
        name = value.get("name")
        return Mailbox(email.strip(), name if isinstance(name, str) else None)

    def mailboxes(self, value: Any, field: str, kind: str) -> list[Mailbox]:
        anchor = f"message.personalizations.{kind}"
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(_bad_type("array", value, field, anchor))
            return []
        found = [self.mailbox(v, f"{field}.{i}", anchor, kind) for i, v in enumerate(value)]
        return [m for m in found if m is not None]

    def sender(self) -> Mailbox | None:
        value = self.data.get("from")
        if value is None or (isinstance(value, dict) and not value.get("email")):
            self.errors.append(item(MSG_FROM, "from.email", "message.from"))
            return None
        if not isinstance(value, dict):
            self.errors.append(_bad_type("object", value, "from", "message.from"))
            return None
        email = value.get("email")
        if not isinstance(email, str) or not valid_address(email.strip()):
            self.errors.append(item(MSG_FROM_INVALID, "from.email", "message.from"))
            return None
        name = value.get("name")
        return Mailbox(email.strip(), name if isinstance(name, str) else None)

    def obj(self, value: Any, field: str, anchor: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(_bad_type("object", value, field, anchor))
            return {}
        return value

    def string(self, value: Any, field: str, anchor: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.errors.append(_bad_type("string", value, field, anchor))
            return None
        return value


class SendGridApi(Provider):
    name = "sendgrid"
    paths = (PATH,)
    #: The Mail Send family (``/v3/mail/send``, ``/v3/mail/batch``...); other ``/v3`` paths are
    #: shared with Mailgun's URL space and left to the admin API's 404.
    prefixes = (r"^/v3/mail(/|$)",)

    def account_of(self, headers: Headers, path: str) -> str:
        return bearer_token(headers.get("authorization"))

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        return request_addresses(body)

    def render(self, error: SendError) -> Response:
        return JSONResponse({"errors": error.items or [item(error.message)]}, error.status)

    def too_large(self) -> SendError:
        return SendError(413, MSG_TOO_LARGE)

    def routing_error(self, status: int, method: str, path: str) -> SendError:
        """SendGrid's lower-case texts (``{"errors": [{"message": "resource not found"}]}``)."""
        text = {404: "resource not found", 405: "method not allowed"}.get(status)
        return SendError(status, text) if text else super().routing_error(status, method, path)

    def handlers(self) -> dict[str, Handler]:
        return {PATH: self.send}

    def _build(self, body: bytes) -> tuple[bool, list[Outgoing]]:
        data = loads(body, max_bytes=self.max_bytes)
        if not isinstance(data, dict):
            raise self.bad_json(BadJson("not a JSON object"))
        return build(data)

    async def send(self, request: Request) -> Response:
        key = bearer_token(request.headers.get("authorization"))
        if not key:
            raise SendError(401, MSG_UNAUTHORIZED)
        body = await self.body(request)
        sandbox, messages = await self.validate(body, lambda: self._build(body))
        if sandbox:
            return Response(status_code=200)
        message_id = token(16)[:22]
        for index, out in enumerate(messages):
            out.message_id = f"<{message_id}.{index}@sendgrid.fakeservices>"
            out.extra["provider_message_id"] = message_id
        store_all(self.inbox, messages, account=key, source=self.name)
        return Response(status_code=202, headers={"X-Message-Id": message_id})


def _substitute(value: str | None, subs: dict[str, Any]) -> str | None:
    if value is None:
        return None
    for key, replacement in subs.items():
        value = value.replace(str(key), str(replacement))
    return value


def build(data: dict[str, Any]) -> tuple[bool, list[Outgoing]]:
    """Validate a mail/send body: (sandbox?, one Outgoing per personalization).

    Raises :class:`SendError` (400) listing every problem found, as SendGrid does."""
    v = _Validator(data)
    sender = v.sender()
    template_id = v.string(data.get("template_id"), "template_id", "message.template_id")

    personalizations = data.get("personalizations")
    plist: list[dict[str, Any]] = []
    if not isinstance(personalizations, list) or not personalizations:
        v.errors.append(item(MSG_PERSONALIZATIONS, "personalizations", "-Personalizations-Errors"))
    elif len(personalizations) > 1000:
        v.errors.append(
            item(
                "The personalization block is limited to 1000 personalizations per API request. "
                f"You have provided {len(personalizations)} personalizations. Please consider "
                "splitting this into multiple requests and resending your request.",
                "personalizations",
                "message.personalizations",
            )
        )
    else:
        for i, p in enumerate(personalizations):
            if not isinstance(p, dict):
                v.errors.append(
                    _bad_type("object", p, f"personalizations.{i}", "message.personalizations")
                )
                continue
            plist.append(p)

    boxes: list[tuple[list[Mailbox], list[Mailbox], list[Mailbox]]] = []
    total = 0
    for i, p in enumerate(plist):
        field = f"personalizations.{i}"
        to = v.mailboxes(p.get("to"), f"{field}.to", "to")
        if not p.get("to"):
            v.errors.append(item(MSG_TO, f"{field}.to", "message.personalizations.to"))
        cc = v.mailboxes(p.get("cc"), f"{field}.cc", "cc")
        bcc = v.mailboxes(p.get("bcc"), f"{field}.bcc", "bcc")
        seen: set[str] = set()
        for kind, group in (("to", to), ("cc", cc), ("bcc", bcc)):
            for m in group:
                if m.email.lower() in seen:
                    v.errors.append(
                        item(
                            "Each email address in the personalization block should be unique "
                            "between to, cc, and bcc. We found the first duplicate instance of "
                            f"[{m.email}] in the {field}.{kind} field.",
                            field,
                            "message.personalizations",
                        )
                    )
                    break
                seen.add(m.email.lower())
        total += len(to) + len(cc) + len(bcc)
        boxes.append((to, cc, bcc))
    if total > 1000:
        v.errors.append(
            item(
                "There is a limit of 1000 total recipients (to + cc + bcc) per request.",
                "personalizations",
                "message.personalizations",
            )
        )

    subject = v.string(data.get("subject"), "subject", "message.subject")
    if (
        not template_id
        and not subject
        and not (
            plist and all(isinstance(p.get("subject"), str) and p.get("subject") for p in plist)
        )
    ):
        v.errors.append(item(MSG_SUBJECT, "subject", "message.subject"))

    text, html, alternatives = _content(v, data.get("content"), bool(template_id))
    attachments = _attachments(v, data.get("attachments"))

    categories = data.get("categories")
    tags: list[str] = []
    if categories is not None:
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            v.errors.append(_bad_type("array", categories, "categories", "message.categories"))
        elif len(categories) > 10:
            v.errors.append(
                item(
                    "Too many categories on this message. The maximum number of categories is 10.",
                    "categories",
                    "message.categories",
                )
            )
        else:
            tags = list(categories)

    headers = v.obj(data.get("headers"), "headers", "message.headers")
    custom_args = v.obj(data.get("custom_args"), "custom_args", "message.custom_args")
    reply_to = data.get("reply_to")
    reply: list[Mailbox] = []
    if reply_to is not None:
        box = v.mailbox(reply_to, "reply_to", "message.reply_to", "reply_to")
        reply = [box] if box else []
    elif data.get("reply_to_list") is not None:
        reply = v.mailboxes(data.get("reply_to_list"), "reply_to_list", "reply_to_list")

    _schema_types(v, data)
    settings = v.obj(data.get("mail_settings"), "mail_settings", "message.mail_settings")
    sandbox = False
    sandbox_mode = settings.get("sandbox_mode")
    if sandbox_mode is not None:
        enable = v.obj(sandbox_mode, "mail_settings.sandbox_mode", "message.mail_settings")
        flag = enable.get("enable")
        if flag is not None and not isinstance(flag, bool):
            v.errors.append(
                item(MSG_SANDBOX, "mail_settings.sandbox_mode.enable", "message.mail_settings")
            )
        sandbox = flag is True

    if v.errors or sender is None:
        raise SendError(400, "Bad Request", items=v.errors)

    messages: list[Outgoing] = []
    for p, (to, cc, bcc) in zip(plist, boxes, strict=True):
        subs = p.get("substitutions") if isinstance(p.get("substitutions"), dict) else {}
        assert isinstance(subs, dict)
        p_headers = p.get("headers") if isinstance(p.get("headers"), dict) else {}
        assert isinstance(p_headers, dict)
        p_args = p.get("custom_args") if isinstance(p.get("custom_args"), dict) else {}
        assert isinstance(p_args, dict)
        p_from = p.get("from")
        p_sender = sender
        if isinstance(p_from, dict) and isinstance(p_from.get("email"), str):
            p_sender = Mailbox(p_from["email"], p_from.get("name"))
        p_subject = p.get("subject") if isinstance(p.get("subject"), str) else subject
        extra: dict[str, Any] = {
            "template_id": template_id,
            "template_data": p.get("dynamic_template_data"),
            "custom_args": {**custom_args, **p_args},
            "send_at": p.get("send_at", data.get("send_at")),
            "personalization": len(messages),
        }
        if data.get("batch_id") is not None:
            extra["batch_id"] = data.get("batch_id")
        messages.append(
            Outgoing(
                sender=p_sender,
                to=to,
                cc=cc,
                bcc=bcc,
                reply_to=reply,
                subject=_substitute(p_subject, subs),
                text=_substitute(text, subs),
                html=_substitute(html, subs),
                alternatives=alternatives,
                headers=[(str(k), str(val)) for k, val in {**headers, **p_headers}.items()],
                attachments=attachments,
                tags=tags,
                extra=extra,
            )
        )
    return sandbox, messages


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schema_types(v: _Validator, data: dict[str, Any]) -> None:
    """The types SendGrid's published schema gives the scalar fields not checked elsewhere."""
    for name, anchor in (("batch_id", "message.batch_id"), ("ip_pool_name", "message.ip_pools")):
        v.string(data.get(name), name, anchor)
    send_at = data.get("send_at")
    if send_at is not None and not _is_int(send_at):
        v.errors.append(_bad_type("integer", send_at, "send_at", "message.send_at"))
    plist = data.get("personalizations")
    for i, p in enumerate(plist if isinstance(plist, list) else []):
        at = p.get("send_at") if isinstance(p, dict) else None
        if at is not None and not _is_int(at):
            field = f"personalizations.{i}.send_at"
            v.errors.append(_bad_type("integer", at, field, "message.personalizations.send_at"))
    asm = data.get("asm")
    if asm is not None:
        group = v.obj(asm, "asm", "message.asm").get("group_id")
        if isinstance(asm, dict) and not _is_int(group):
            v.errors.append(_bad_type("integer", group, "asm.group_id", "message.asm.group_id"))


def _content(
    v: _Validator, content: Any, has_template: bool
) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    text = html = None
    alternatives: list[tuple[str, str]] = []
    if content is None or content == []:
        if not has_template:
            v.errors.append(item(MSG_CONTENT, "content", "message.content"))
        return text, html, alternatives
    if not isinstance(content, list):
        v.errors.append(_bad_type("array", content, "content", "message.content"))
        return text, html, alternatives
    kinds: list[str] = []
    for i, block in enumerate(content):
        if not isinstance(block, dict):
            v.errors.append(_bad_type("object", block, f"content.{i}", "message.content"))
            continue
        ctype, value = block.get("type"), block.get("value")
        if not isinstance(ctype, str) or not ctype:
            v.errors.append(item("The content type is required.", f"content.{i}.type"))
            continue
        if not isinstance(value, str) or not value:
            v.errors.append(item(MSG_CONTENT_VALUE, f"content.{i}.value", "message.content.value"))
            continue
        kind = ctype.split(";")[0].strip().lower()
        kinds.append(kind)
        if kind == "text/plain" and text is None:
            text = value
        elif kind == "text/html" and html is None:
            html = value
        else:
            alternatives.append((kind, value))
    expected = [k for k in ("text/plain", "text/html") if k in kinds]
    if kinds[: len(expected)] != expected:
        v.errors.append(item(MSG_CONTENT_ORDER, "content", "message.content"))
    return text, html, alternatives


def _attachments(v: _Validator, value: Any) -> list[OutAttachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        v.errors.append(_bad_type("array", value, "attachments", "message.attachments"))
        return []
    found: list[OutAttachment] = []
    for i, att in enumerate(value):
        field = f"attachments.{i}"
        if not isinstance(att, dict):
            v.errors.append(_bad_type("object", att, field, "message.attachments"))
            continue
        content, filename = att.get("content"), att.get("filename")
        data: bytes | None = None
        if not isinstance(content, str) or not content:
            v.errors.append(
                item(
                    "The attachment content is required.",
                    f"{field}.content",
                    "message.attachments.content",
                )
            )
        else:
            data = strict_b64decode(content)
            if data is None:
                v.errors.append(
                    item(
                        "The attachment content must be base64 encoded.",
                        f"{field}.content",
                        "message.attachments.content",
                    )
                )
        if not isinstance(filename, str) or not filename:
            v.errors.append(
                item(
                    "The attachment filename parameter is required.",
                    f"{field}.filename",
                    "message.attachments.filename",
                )
            )
        disposition = att.get("disposition") or "attachment"
        if disposition not in ("attachment", "inline"):
            v.errors.append(
                item(
                    "The disposition of your attachment can be either inline or attachment.",
                    f"{field}.disposition",
                    "message.attachments.disposition",
                )
            )
        content_id = att.get("content_id")
        if disposition == "inline" and not (isinstance(content_id, str) and content_id):
            # the SendGrid Node SDK's own type spells it contentId and sends that unchanged
            v.errors.append(item(MSG_INLINE_CONTENT_ID, f"{field}.content_id", ANCHOR_CONTENT_ID))
        ctype = att.get("type")
        if ctype is not None and not isinstance(ctype, str):
            v.errors.append(_bad_type("string", ctype, f"{field}.type", "message.attachments.type"))
        if data is not None and isinstance(filename, str) and filename:
            found.append(
                OutAttachment(
                    data=data,
                    filename=filename,
                    content_type=ctype
                    if isinstance(ctype, str) and ctype
                    else "application/octet-stream",
                    disposition=str(disposition),
                    content_id=content_id if isinstance(content_id, str) and content_id else None,
                )
            )
    return found


def request_addresses(body: bytes) -> tuple[str | None, list[str]]:
    """Sender and every personalization's recipients of a mail/send body (for fault matching)."""
    try:
        data = loads(body)
    except BadJson:
        return None, []
    if not isinstance(data, dict):
        return None, []
    sender = data.get("from")
    from_addr = sender.get("email") if isinstance(sender, dict) else None
    recipients: list[str] = []
    personalizations = data.get("personalizations")
    for p in personalizations if isinstance(personalizations, list) else []:
        if not isinstance(p, dict):
            continue
        for kind in ("to", "cc", "bcc"):
            group = p.get(kind)
            for box in group if isinstance(group, list) else []:
                if isinstance(box, dict) and isinstance(box.get("email"), str):
                    recipients.append(box["email"])
    return (from_addr if isinstance(from_addr, str) else None), recipients
