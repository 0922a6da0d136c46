"""Mailgun ``POST /v3/{domain}/messages`` (multipart/form-data or urlencoded), Basic ``api:KEY``.

The key is the account. Success is ``200 {"id": "<...@domain>", "message": "Queued. Thank you."}``;
validation errors are ``400 {"message": ...}``; a missing or malformed key gets ``401`` with the
plain-text body ``Forbidden`` as captured from Mailgun.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from fakeservices.core import ids
from fakeservices.core.http import BadJson, FastJSONResponse, basic_credentials, loads
from fakeservices.email.compose import Mailbox, OutAttachment, Outgoing, store_all
from fakeservices.email.http_common import address_pairs
from fakeservices.email.model import valid_address
from fakeservices.email.provider import Handler, Provider, SendError

PATH = "/v3/{domain}/messages"
MSG_QUEUED = "Queued. Thank you."
MSG_TOO_LARGE = "Request entity too large"
#: Mailgun's limit on to + cc + bcc of one message (batch sending included).
MAX_RECIPIENTS = 1000
MSG_TOO_MANY = f"Too many recipients, max is {MAX_RECIPIENTS}"


@dataclass(slots=True)
class UploadedFile:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Form:
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)
    #: Values by name, built on the first :meth:`all` (a send asks for about twenty names) and
    #: rebuilt if ``fields`` was replaced or grew since.
    _index: tuple[list[tuple[str, str]], int, dict[str, list[str]]] | None = field(
        default=None, repr=False
    )

    def _values(self, name: str) -> list[str] | tuple[()]:
        """The values of ``name`` as the index holds them (not to be changed by the caller)."""
        fields, index = self.fields, self._index
        if index is None or index[0] is not fields or index[1] != len(fields):
            by_name: dict[str, list[str]] = {}
            for k, v in fields:
                by_name.setdefault(k, []).append(v)
            index = self._index = (fields, len(fields), by_name)
        return index[2].get(name, ())

    def all(self, name: str) -> list[str]:
        return list(self._values(name))

    def first(self, name: str) -> str | None:
        values = self._values(name)
        return values[0] if values else None


class FormError(ValueError):
    pass


def parse_form(content_type: str, body: bytes) -> Form:
    """Parse an urlencoded or multipart/form-data body (the ``email`` parser splits parts)."""
    kind = content_type.split(";")[0].strip().lower()
    form = Form()
    if kind == "multipart/form-data":
        if "boundary=" not in content_type:
            raise FormError("multipart body without a boundary")
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        msg = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        parts = msg.get_payload()
        if not isinstance(parts, list) or msg.defects:
            raise FormError("malformed multipart body")
        for part in parts:
            if not isinstance(part, Message):
                continue
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            raw = part.get_payload(decode=True)
            data = raw if isinstance(raw, bytes) else b""
            filename = part.get_filename()
            if filename is not None or name in ("attachment", "inline"):
                ctype = part.get_content_type() if part.get("content-type") else None
                form.files.append(
                    UploadedFile(name, filename or name, ctype or "application/octet-stream", data)
                )
            else:
                charset = part.get_content_charset() or "utf-8"
                try:
                    form.fields.append((name, data.decode(charset)))
                except (LookupError, UnicodeDecodeError):
                    form.fields.append((name, data.decode("utf-8", "replace")))
        return form
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormError("body is not UTF-8") from exc
        form.fields = parse_qsl(text, keep_blank_values=True)
        return form
    raise FormError(f"unsupported content type {kind!r}")


def _mailboxes(values: list[str]) -> tuple[list[Mailbox], list[str]]:
    """Addresses from (possibly comma-separated) field values; and the invalid ones."""
    found: list[Mailbox] = []
    bad: list[str] = []
    for name, addr in address_pairs(values):
        if not addr and not name:
            continue
        if valid_address(addr):
            found.append(Mailbox(addr, name or None))
        else:
            bad.append(addr or name)
    return found, bad


def _maybe_json(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return loads(value)
    except BadJson:
        return value


class MailgunApi(Provider):
    name = "mailgun"
    paths = (PATH,)
    #: Everything under ``/v3/{domain}/`` (a domain has a dot, which keeps SendGrid's
    #: ``/v3/mail/...`` apart).
    prefixes = (r"^/v3/[^/]+\.[^/]+(/|$)",)

    def account_of(self, headers: Headers, path: str) -> str:
        creds = basic_credentials(headers.get("authorization"))
        return creds[1] if creds else ""

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        return request_addresses(headers.get("content-type", ""), body)

    def render(self, error: SendError) -> Response:
        if error.status == 401:  # Mailgun answers a bad key in plain text
            return PlainTextResponse("Forbidden", status_code=401)
        return JSONResponse({"message": error.message}, status_code=error.status)

    def too_large(self) -> SendError:
        return SendError(413, MSG_TOO_LARGE)

    def handlers(self) -> dict[str, Handler]:
        return {PATH: self.send}

    async def send(self, request: Request) -> Response:
        creds = basic_credentials(request.headers.get("authorization"))
        if creds is None or creds[0] != "api" or not creds[1]:
            raise SendError(401, "Forbidden")
        key = creds[1]
        domain = request.path_params["domain"]
        body = await self.body(request)
        content_type = request.headers.get("content-type", "")
        testmode, messages, message_id = await self.validate(
            body, lambda: parse_and_build(content_type, body, domain)
        )
        if not testmode:
            store_all(self.inbox, messages, account=key, source=self.name)
        return FastJSONResponse({"id": message_id, "message": MSG_QUEUED})


def parse_and_build(
    content_type: str, body: bytes, domain: str
) -> tuple[bool, list[Outgoing], str]:
    """:func:`parse_form` then :func:`build`; every problem is a :class:`SendError`."""
    try:
        form = parse_form(content_type, body)
    except FormError as exc:
        raise SendError(400, f"Invalid request body: {exc}") from None
    return build(form, domain)


def _check_recipient_count(form: Form) -> None:
    """Refuse more than :data:`MAX_RECIPIENTS` before parsing addresses when the ``@`` count
    makes it certain (each address has one; only display names could add more)."""
    values = form.all("to") + form.all("cc") + form.all("bcc")
    if sum(v.count("@") for v in values) > 10 * MAX_RECIPIENTS:
        raise SendError(400, MSG_TOO_MANY)


def build(form: Form, domain: str) -> tuple[bool, list[Outgoing], str]:
    """Validate the fields: (test mode?, messages, the Mailgun id); raises :class:`SendError`."""
    _check_recipient_count(form)
    from_value = form.first("from")
    if not from_value:
        raise SendError(400, "'from' parameter is missing")
    senders, bad_from = _mailboxes([from_value])
    if bad_from or not senders:
        raise SendError(400, "'from' parameter is not a valid address. please check documentation")
    to_values = form.all("to")
    if not any(v.strip() for v in to_values):
        raise SendError(400, "'to' parameter is missing")
    to, bad_to = _mailboxes(to_values)
    if bad_to or not to:
        raise SendError(400, "'to' parameter is not a valid address. please check documentation")
    cc, bad_cc = _mailboxes(form.all("cc"))
    if bad_cc:
        raise SendError(400, "'cc' parameter is not a valid address. please check documentation")
    bcc, bad_bcc = _mailboxes(form.all("bcc"))
    if bad_bcc:
        raise SendError(400, "'bcc' parameter is not a valid address. please check documentation")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise SendError(400, MSG_TOO_MANY)
    text, html, template = form.first("text"), form.first("html"), form.first("template")
    amp = form.first("amp-html")
    if text is None and html is None and template is None:
        raise SendError(400, "Need at least one of 'text' or 'html' parameters specified")
    recipient_vars: dict[str, Any] | None = None
    raw_rv = form.first("recipient-variables")
    if raw_rv:
        parsed_rv = _maybe_json(raw_rv)
        if not isinstance(parsed_rv, dict):
            raise SendError(400, "'recipient-variables' parameter is not a valid JSON")
        recipient_vars = parsed_rv

    # Mailgun's id: the UTC second, 16 hex digits, the domain (unique, not secret).
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    message_id = f"<{stamp}.{ids.hex16()}@{domain}>"
    headers: list[tuple[str, str]] = []
    variables: dict[str, Any] = {}
    options: dict[str, str] = {}
    for k, v in form.fields:  # the h:, v: and o: fields, in one pass
        prefix = k[:2]
        if prefix == "h:" and len(k) > 2:
            headers.append((k[2:], v))
        elif prefix == "v:":
            variables[k[2:]] = _maybe_json(v)
        elif prefix == "o:" and k != "o:tag":
            options[k[2:]] = v
    tags = form.all("o:tag")
    testmode = options.get("testmode", "").lower() in ("yes", "true", "1")
    attachments = [
        OutAttachment(
            data=f.data,
            filename=f.filename,
            content_type=f.content_type,
            disposition="inline" if f.name == "inline" else "attachment",
            content_id=f.filename if f.name == "inline" else None,
        )
        for f in form.files
        if f.name in ("attachment", "inline")
    ]
    extra: dict[str, Any] = {
        "provider_message_id": message_id,
        "domain": domain,
        "variables": variables,
        "template_id": template,
        "template_data": _maybe_json(form.first("t:variables")),
        "options": options,
    }
    subject = form.first("subject")
    alternatives = [("text/x-amp-html", amp)] if amp is not None else []

    def outgoing(recipients: list[Mailbox], subs: dict[str, Any] | None) -> Outgoing:
        def sub(value: str | None) -> str | None:
            if value is None or subs is None:
                return value
            for k, v in subs.items():
                value = value.replace(f"%recipient.{k}%", str(v))
            return value

        return Outgoing(
            sender=senders[0],
            to=recipients,
            cc=cc,
            bcc=bcc,
            subject=sub(subject),
            text=sub(text),
            html=sub(html),
            alternatives=alternatives,
            headers=headers,
            attachments=attachments,
            message_id=message_id,
            tags=tags,
            extra={**extra, "recipient_variables": subs} if subs is not None else dict(extra),
        )

    if recipient_vars is None:
        return testmode, [outgoing(to, None)], message_id
    # Batch sending: every To recipient gets their own message with their own variables.
    messages = []
    for box in to:
        subs = recipient_vars.get(box.email, {})
        messages.append(outgoing([box], subs if isinstance(subs, dict) else {}))
    return testmode, messages, message_id


def request_addresses(content_type: str, body: bytes) -> tuple[str | None, list[str]]:
    """``from`` and the to/cc/bcc addresses of a messages request (for fault matching)."""
    try:
        form = parse_form(content_type, body)
    except FormError:
        return None, []
    senders = [a for _, a in getaddresses(form.all("from")) if a]
    recipients = [
        a for _, a in getaddresses(form.all("to") + form.all("cc") + form.all("bcc")) if a
    ]
    return (senders[0] if senders else None), recipients
