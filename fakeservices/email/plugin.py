"""The email inbox fake: SMTP plus the SendGrid, Mailgun and Postmark send APIs, one inbox."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from fakeservices.core.registry import FakeService
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Store
from fakeservices.email import mailgun, postmark, sendgrid
from fakeservices.email.admin import EmailAdmin
from fakeservices.email.model import Inbox, StoredEmail
from fakeservices.email.smtp_inbox import SmtpInbox

#: Journal service names of the HTTP send APIs.
HTTP_SERVICES = ("sendgrid", "mailgun", "postmark")


class EmailService(FakeService):
    name = "email"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        store: Store[StoredEmail] = runtime.new_store("emails")
        self.inbox = Inbox(store)
        self.smtp_handler = SmtpInbox(self.inbox)
        limit = runtime.config.max_message_bytes
        self.sendgrid = sendgrid.SendGridApi(self.inbox, limit)
        self.mailgun = mailgun.MailgunApi(self.inbox, limit)
        self.postmark = postmark.PostmarkApi(self.inbox, limit)
        self.admin = EmailAdmin(self.inbox)

    def http_routes(self) -> list[BaseRoute]:
        return [*self.sendgrid.routes(), *self.mailgun.routes(), *self.postmark.routes()]

    def admin_routes(self) -> list[BaseRoute]:
        return self.admin.routes(self.runtime.api_doc)

    def journal_service(self, method: str, path: str) -> str | None:
        if path == sendgrid.PATH:
            return "sendgrid"
        if path in ("/email", "/email/batch"):
            return "postmark"
        if mailgun.PATH_RE.match(path):
            return "mailgun"
        return None

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        if service == "sendgrid":
            return self.sendgrid.account_of(headers)
        if service == "mailgun":
            return self.mailgun.account_of(headers)
        if service == "postmark":
            return self.postmark.account_of(headers)
        return ""

    def fault_groups(self) -> dict[str, tuple[str, ...]]:
        """``email-http`` covers every send API; each provider can also be named alone."""
        return {"email-http": HTTP_SERVICES, **{name: (name,) for name in HTTP_SERVICES}}

    def addresses(
        self, service: str, headers: Headers, body: bytes
    ) -> tuple[str | None, list[str]]:
        """Sender and recipients of a send request, for fault rules matching ``from``/``to``."""
        if service == "sendgrid":
            return sendgrid.request_addresses(body)
        if service == "mailgun":
            return mailgun.request_addresses(headers.get("content-type", ""), body)
        if service == "postmark":
            return postmark.request_addresses(body)
        return None, []

    def stores(self) -> dict[str, Store[Any]]:
        return {"emails": self.inbox.store}

    def reset(self, account: str | None) -> None:
        self.inbox.reset(account)

    def error_response(self, service: str, status: int, message: str) -> Response:
        if service == "sendgrid":
            return sendgrid.error_response(status, message)
        if service == "mailgun":
            return mailgun.error_response(status, message)
        if service == "postmark":
            return postmark.error_response(status, message)
        return JSONResponse({"error": {"code": "fault", "message": message}}, status_code=status)


def create(runtime: Runtime) -> FakeService:
    return EmailService(runtime)
