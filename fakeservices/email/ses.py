"""Amazon SES v1, the query API: form posts to ``POST /`` with ``Action=...``, answered in XML.

Actions: ``SendEmail``, ``SendRawEmail``, ``SendTemplatedEmail`` and ``CreateTemplate`` (what
boto3's ``ses`` client and ``@aws-sdk/client-ses`` send). The access key id of the SigV4
signature is the account. Answers are ``<{Action}Response>`` documents in SES's namespace;
errors are ``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``
(``Throttling`` for a rate limit, with HTTP 400 as SES answers it: the SDKs retry on the code).

``POST /`` is shared with nothing else (``GET /`` stays the server's index): a POST that is not
a form gets the server's usual 405, never an SES error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from fakeservices.core.errors import admin_error
from fakeservices.core.http import sigv4_access_key
from fakeservices.email import ses_common as ses
from fakeservices.email.compose import Mailbox, Outgoing
from fakeservices.email.provider import Handler, Provider, SendError

NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"
API_VERSION = "2010-12-01"
FORM = "application/x-www-form-urlencoded"

#: SES's error Code for each status when a handler gives none (injected faults too).
CODES = {
    400: "InvalidParameterValue",
    403: "AccessDenied",
    404: "NotFound",
    429: "Throttling",
    500: "InternalFailure",
    503: "ServiceUnavailable",
}


class Params:
    """The flattened query parameters of one request (``A.B.member.1=...``)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        for key, value in pairs:
            self.values.setdefault(key, value)

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def members(self, prefix: str) -> list[str]:
        """``prefix.member.1``, ``prefix.member.2``... in order, up to the first gap."""
        found: list[str] = []
        while (value := self.values.get(f"{prefix}.member.{len(found) + 1}")) is not None:
            found.append(value)
            if len(found) > 1000:
                break
        return found

    def tags(self, prefix: str = "Tags") -> dict[str, str]:
        tags: dict[str, str] = {}
        for i in range(1, 1001):
            name = self.values.get(f"{prefix}.member.{i}.Name")
            if name is None:
                break
            tags[name] = self.values.get(f"{prefix}.member.{i}.Value", "")
        return tags

    def require(self, key: str) -> str:
        value = self.values.get(key)
        if value is None:
            field = key[0].lower() + key[1:]
            raise ses.ses_error(
                400,
                "ValidationError",
                f"1 validation error detected: Value null at '{field}' failed to satisfy "
                "constraint: Member must not be null",
            )
        return value


def _xml(action: str, result: str) -> Response:
    body = (
        f'<{action}Response xmlns="{NAMESPACE}">\n'
        f"  {result}\n"
        f"  <ResponseMetadata>\n    <RequestId>{ses.request_id()}</RequestId>\n"
        f"  </ResponseMetadata>\n</{action}Response>\n"
    )
    return Response(body, media_type="text/xml")


def _sent(action: str, msg_id: str) -> Response:
    return _xml(
        action, f"<{action}Result>\n    <MessageId>{msg_id}</MessageId>\n  </{action}Result>"
    )


class SesV1Api(Provider):
    name = "ses"
    paths = ("/",)
    # "/" is also the server's index (GET): only POST / is SES.
    strict_methods = True

    def account_of(self, headers: Headers, path: str) -> str:
        return sigv4_access_key(headers.get("authorization"))

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        params = Params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        recipients = [
            *(params.members(f"Destination.{k}Addresses") for k in ("To", "Cc", "Bcc")),
            params.members("Destinations"),
        ]
        return params.get("Source"), [a for group in recipients for a in group]

    def render(self, error: SendError) -> Response:
        # Imported here: xml.sax pulls in urllib.request, which nothing else needs at start-up.
        from xml.sax.saxutils import escape

        code = error.name or CODES.get(error.status, "InternalFailure")
        kind = "Receiver" if error.status >= 500 else "Sender"
        body = (
            f'<ErrorResponse xmlns="{NAMESPACE}">\n'
            f"  <Error>\n    <Type>{kind}</Type>\n    <Code>{escape(code)}</Code>\n"
            f"    <Message>{escape(error.message)}</Message>\n  </Error>\n"
            f"  <RequestId>{ses.request_id()}</RequestId>\n</ErrorResponse>\n"
        )
        return Response(body, status_code=error.status, media_type="text/xml")

    def rate_limited(self, message: str, retry_after: int) -> Response:
        return self.render(ses.ses_error(400, "Throttling", ses.MSG_THROTTLED))

    def too_large(self) -> SendError:
        return ses.ses_error(400, "MessageRejected", "Message length exceeds the limit.")

    def reset(self, account: str | None) -> None:
        ses.templates_of(self.inbox).reset(account)

    def handlers(self) -> dict[str, Handler]:
        return {"/": self.dispatch}

    async def dispatch(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM:  # not a query API call: what POST / was before SES
            return admin_error(405, "method_not_allowed", "POST is not allowed on /")
        body = await self.body(request)
        params = Params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = params.get("Action")
        if not action:
            raise ses.ses_error(
                400, "MissingAction", "The request is missing an action or a required parameter."
            )
        acct = ses.account(request.headers)
        handler = {
            "SendEmail": self.send_email,
            "SendRawEmail": self.send_raw_email,
            "SendTemplatedEmail": self.send_templated_email,
            "CreateTemplate": self.create_template,
        }.get(action)
        if handler is None:
            raise ses.ses_error(
                400, "InvalidAction", f"Could not find operation {action} for version {API_VERSION}"
            )
        return handler(acct, params)

    def _destination(self, params: Params) -> tuple[list[Mailbox], ...]:
        return ses.check_destination(
            *(params.members(f"Destination.{k}Addresses") for k in ("To", "Cc", "Bcc"))
        )

    def _outgoing(
        self,
        params: Params,
        subject: str | None,
        text: str | None,
        html: str | None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[Outgoing, str]:
        sender = ses.check_address(params.require("Source"))
        to, cc, bcc = self._destination(params)
        reply_to = [ses.check_address(a) for a in params.members("ReplyToAddresses")]
        tags = params.tags()
        out = Outgoing(
            sender=sender, to=to, cc=cc, bcc=bcc, reply_to=reply_to, subject=subject,
            text=text, html=html, tags=list(tags),
        )  # fmt: skip
        msg_id = ses.new_message_id(out)
        recipients = [m.email for m in (*to, *cc, *bcc)]
        out.extra = {
            **ses.ses_extra(msg_id, recipients, tags, params.get("ConfigurationSetName")),
            **(extra or {}),
        }
        if params.get("ReturnPath"):
            out.extra["return_path"] = params.get("ReturnPath")
        return out, msg_id

    def send_email(self, acct: str, params: Params) -> Response:
        subject = params.get("Message.Subject.Data")
        if subject is None:
            params.require("Message.Subject")
        out, msg_id = self._outgoing(
            params,
            subject,
            params.get("Message.Body.Text.Data"),
            params.get("Message.Body.Html.Data"),
        )
        ses.store_outgoing(self.inbox, out, acct, self.name)
        return _sent("SendEmail", msg_id)

    def send_raw_email(self, acct: str, params: Params) -> Response:
        data = params.require("RawMessage.Data")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ses.invalid_value("Invalid base64 encoding of RawMessage.Data.") from None
        source = params.get("Source")
        sender = ses.check_address(source).email if source else None
        destinations = [ses.check_address(a).email for a in params.members("Destinations")]
        msg_id = ses.store_raw(
            self.inbox,
            raw,
            acct=acct,
            source=self.name,
            sender=sender,
            destinations=destinations,
            tags=params.tags(),
            configuration_set=params.get("ConfigurationSetName"),
        )
        return _sent("SendRawEmail", msg_id)

    def send_templated_email(self, acct: str, params: Params) -> Response:
        name = params.require("Template")
        data = ses.template_data(params.require("TemplateData"))
        template = ses.templates_of(self.inbox).get(acct, name)
        if template is None:
            raise ses.ses_error(400, "TemplateDoesNotExist", f"Template {name} does not exist.")
        out, msg_id = self._outgoing(
            params,
            ses.render(template.subject, data),
            ses.render(template.text, data),
            ses.render(template.html, data),
            {"template_id": name, "template_data": data},
        )
        ses.store_outgoing(self.inbox, out, acct, self.name)
        return _sent("SendTemplatedEmail", msg_id)

    def create_template(self, acct: str, params: Params) -> Response:
        template = ses.SesTemplate(
            name=params.require("Template.TemplateName"),
            subject=params.get("Template.SubjectPart"),
            text=params.get("Template.TextPart"),
            html=params.get("Template.HtmlPart"),
        )
        ses.templates_of(self.inbox).add(acct, template)
        return _xml("CreateTemplate", "<CreateTemplateResult/>")
