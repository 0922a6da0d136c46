"""Amazon SES v2 (REST JSON): ``POST /v2/email/outbound-emails`` and ``POST /v2/email/templates``.

What boto3's ``sesv2`` client and ``@aws-sdk/client-sesv2`` send. ``SendEmail`` takes one of
``Simple`` (subject, text/HTML, headers, attachments), ``Raw`` (a whole MIME message, base64 in
the JSON) or ``Template`` (a stored ``TemplateName``, or inline ``TemplateContent``, with
``TemplateData``), plus ``Destination``, ``ReplyToAddresses``, ``EmailTags`` and
``ConfigurationSetName``; it answers ``{"MessageId"}``. The access key id of the SigV4 signature
is the account. Errors are ``{"message"}`` with the error name in ``x-amzn-ErrorType``
(``TooManyRequestsException``, 429, for a rate limit).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.http import BadJson, loads, sigv4_access_key
from fakeservices.email import ses_common as ses
from fakeservices.email.compose import OutAttachment, Outgoing
from fakeservices.email.provider import Handler, Provider, SendError

SEND = "/v2/email/outbound-emails"
TEMPLATES = "/v2/email/templates"

#: v1 error codes the shared checks raise, as SES v2 names them.
V2_NAMES = {
    "InvalidParameterValue": "BadRequestException",
    "ValidationError": "BadRequestException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "IncompleteSignature": "IncompleteSignatureException",
    "LimitExceeded": "LimitExceededException",
}

#: SES v2's error name for each status when a handler gives none (injected faults too).
CODES = {
    400: "BadRequestException",
    403: "AccessDeniedException",
    404: "NotFoundException",
    429: "TooManyRequestsException",
    500: "InternalFailure",
}


def bad_request(message: str) -> SendError:
    return ses.ses_error(400, "BadRequestException", message)


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{key} must be an object.")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{key} must be a list.")
    return value


def _data(content: dict[str, Any], key: str) -> str | None:
    """``{"Data": ..., "Charset": ...}`` -> its data."""
    value = _obj(content, key).get("Data")
    return value if isinstance(value, str) else None


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise bad_request(f"{what} must be base64 encoded.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{what} must be base64 encoded.") from None


def _attachments(items: list[Any]) -> list[OutAttachment]:
    found = []
    for att in items:
        if not isinstance(att, dict) or not att.get("FileName"):
            raise bad_request("Attachment FileName is required.")
        cid = att.get("ContentId")
        disposition = str(att.get("ContentDisposition") or "ATTACHMENT").lower()
        ctype = att.get("ContentType")
        found.append(
            OutAttachment(
                data=_b64(att.get("RawContent"), "Attachment RawContent"),
                filename=str(att["FileName"]),
                content_type=ctype if isinstance(ctype, str) and ctype else ses_guess(att),
                disposition="inline" if disposition == "inline" else "attachment",
                content_id=str(cid) if cid else None,
            )
        )
    return found


def ses_guess(att: dict[str, Any]) -> str:
    return mimetypes.guess_type(str(att.get("FileName")))[0] or "application/octet-stream"


def _headers(items: list[Any]) -> list[tuple[str, str]]:
    found = []
    for h in items:
        if not isinstance(h, dict) or not isinstance(h.get("Name"), str):
            raise bad_request("Header Name and Value are required.")
        found.append((h["Name"], str(h.get("Value", ""))))
    return found


def _tags(items: list[Any]) -> dict[str, str]:
    tags = {}
    for t in items:
        if not isinstance(t, dict) or not isinstance(t.get("Name"), str):
            raise bad_request("EmailTags Name and Value are required.")
        tags[t["Name"]] = str(t.get("Value", ""))
    return tags


class SesV2Api(Provider):
    name = "sesv2"
    paths = (SEND, TEMPLATES)

    def account_of(self, headers: Headers, path: str) -> str:
        return sigv4_access_key(headers.get("authorization"))

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        try:
            data = loads(body)
        except BadJson:
            return None, []
        if not isinstance(data, dict):
            return None, []
        dest = data.get("Destination") if isinstance(data.get("Destination"), dict) else {}
        assert isinstance(dest, dict)
        recipients: list[str] = []
        for k in ("ToAddresses", "CcAddresses", "BccAddresses"):
            group = dest.get(k)
            if isinstance(group, list):
                recipients += [a for a in group if isinstance(a, str)]
        sender = data.get("FromEmailAddress")
        return (sender if isinstance(sender, str) else None), recipients

    def render(self, error: SendError) -> Response:
        code = error.name or CODES.get(error.status, "InternalFailure")
        code = V2_NAMES.get(code, code)
        return JSONResponse(
            {"message": error.message},
            error.status,
            headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": ses.request_id()},
        )

    def rate_limited(self, message: str, retry_after: int) -> Response:
        return self.render(ses.ses_error(429, "TooManyRequestsException", ses.MSG_THROTTLED))

    def too_large(self) -> SendError:
        return ses.ses_error(400, "MessageRejected", "Message length exceeds the limit.")

    def bad_json(self, error: BadJson) -> SendError:
        return bad_request("The request body is not valid JSON.")

    def reset(self, account: str | None) -> None:
        ses.templates_of(self.inbox).reset(account)

    def handlers(self) -> dict[str, Handler]:
        return {SEND: self.send, TEMPLATES: self.create_template}

    async def _read(self, request: Request) -> tuple[str, dict[str, Any]]:
        acct = ses.account(request.headers)
        data = loads(await self.body(request), max_bytes=self.max_bytes)
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.")
        return acct, data

    async def send(self, request: Request) -> Response:
        acct, data = await self._read(request)
        content = _obj(data, "Content")
        kinds = [k for k in ("Simple", "Raw", "Template") if content.get(k) is not None]
        if len(kinds) != 1:
            raise bad_request("Content must contain exactly one of Simple, Raw or Template.")
        tags = _tags(_list(data, "EmailTags"))
        config_set = data.get("ConfigurationSetName")
        if kinds == ["Raw"]:
            dest = _obj(data, "Destination")
            destinations = [
                ses.check_address(a).email
                for k in ("ToAddresses", "CcAddresses", "BccAddresses")
                for a in _list(dest, k)
            ]
            sender = data.get("FromEmailAddress")
            msg_id = ses.store_raw(
                self.inbox,
                _b64(_obj(content, "Raw").get("Data"), "Raw Data"),
                acct=acct,
                source=self.name,
                sender=ses.check_address(sender).email if sender else None,
                destinations=destinations,
                tags=tags,
                configuration_set=config_set,
            )
            return JSONResponse({"MessageId": msg_id})
        out = self._simple(acct, data, content, kinds[0], tags)
        msg_id = ses.new_message_id(out)
        recipients = [m.email for m in (*out.to, *out.cc, *out.bcc)]
        out.extra = {**ses.ses_extra(msg_id, recipients, tags, config_set), **out.extra}
        ses.store_outgoing(self.inbox, out, acct, self.name)
        return JSONResponse({"MessageId": msg_id})

    def _simple(
        self, acct: str, data: dict[str, Any], content: dict[str, Any], kind: str, tags: Any
    ) -> Outgoing:
        sender_value = data.get("FromEmailAddress")
        if not sender_value:
            raise bad_request("Missing required field FromEmailAddress.")
        sender = ses.check_address(sender_value)
        dest = _obj(data, "Destination")
        to, cc, bcc = ses.check_destination(
            *(_list(dest, k) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
        )
        reply_to = [ses.check_address(a) for a in _list(data, "ReplyToAddresses")]
        extra: dict[str, Any] = {}
        if kind == "Simple":
            simple = _obj(content, "Simple")
            body = _obj(simple, "Body")
            subject, text, html = _data(simple, "Subject"), _data(body, "Text"), _data(body, "Html")
            part = simple
        else:
            part = _obj(content, "Template")
            values = ses.template_data(part.get("TemplateData"))
            inline = part.get("TemplateContent")
            name = part.get("TemplateName") or part.get("TemplateArn")
            if isinstance(inline, dict):
                raw_subject, raw_text, raw_html = (
                    inline.get("Subject"),
                    inline.get("Text"),
                    inline.get("Html"),
                )
            elif isinstance(name, str) and name:
                name = name.rsplit("/", 1)[-1]  # an ARN ends in template/<name>
                template = ses.templates_of(self.inbox).get(acct, name)
                if template is None:
                    raise ses.ses_error(
                        404, "NotFoundException", f"Template {name} does not exist."
                    )
                raw_subject, raw_text, raw_html = template.subject, template.text, template.html
            else:
                raise bad_request(
                    "Template must have a TemplateName, TemplateArn or TemplateContent."
                )
            subject, text, html = (
                ses.render(v if isinstance(v, str) else None, values)
                for v in (raw_subject, raw_text, raw_html)
            )
            extra = {
                "template_id": name if isinstance(name, str) else None,
                "template_data": values,
            }
        return Outgoing(
            sender=sender,
            to=to,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
            subject=subject,
            text=text,
            html=html,
            headers=_headers(_list(part, "Headers")),
            attachments=_attachments(_list(part, "Attachments")),
            tags=list(tags),
            extra=extra,
        )

    async def create_template(self, request: Request) -> Response:
        acct, data = await self._read(request)
        name = data.get("TemplateName")
        content = _obj(data, "TemplateContent")
        if not isinstance(name, str) or not name:
            raise bad_request("Missing required field TemplateName.")
        if not content:
            raise bad_request("Missing required field TemplateContent.")
        template = ses.SesTemplate(
            name=name,
            subject=content.get("Subject"),
            text=content.get("Text"),
            html=content.get("Html"),
        )
        ses.templates_of(self.inbox).add(acct, template, exists="AlreadyExistsException")
        return JSONResponse({})
