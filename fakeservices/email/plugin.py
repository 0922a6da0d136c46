"""The email inbox fake: SMTP plus the HTTP send APIs of :data:`PROVIDERS`, one inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute

from fakeservices.core.registry import FakeService
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Store
from fakeservices.email.admin import EmailAdmin
from fakeservices.email.mailgun import MailgunApi
from fakeservices.email.model import Inbox, StoredEmail
from fakeservices.email.postmark import PostmarkApi
from fakeservices.email.provider import Provider
from fakeservices.email.resend import ResendApi
from fakeservices.email.sendgrid import SendGridApi
from fakeservices.email.ses import SesV1Api
from fakeservices.email.sesv2 import SesV2Api
from fakeservices.email.smtp_inbox import SmtpInbox

#: The HTTP send APIs, in the order their paths are tried. A new provider is one module with a
#: :class:`~fakeservices.email.provider.Provider` subclass and its line here.
PROVIDERS: tuple[type[Provider], ...] = (
    SendGridApi,
    MailgunApi,
    PostmarkApi,
    ResendApi,
    SesV2Api,
    SesV1Api,
)

#: The fault rule service name covering every provider (each can also be named alone).
HTTP_GROUP = "email-http"


class EmailService(FakeService):
    name = "email"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        store: Store[StoredEmail] = runtime.new_store("emails")
        self.inbox = Inbox(store)
        self.smtp_handler = SmtpInbox(self.inbox)
        limit = runtime.config.max_message_bytes
        self.providers: tuple[Provider, ...] = tuple(
            p(self.inbox, limit, runtime.time) for p in PROVIDERS
        )
        names = tuple(p.name for p in self.providers)
        self.admin = EmailAdmin(self.inbox, sources=("smtp", *names))

    def provider(self, name: str) -> Provider:
        """The provider called ``name`` (KeyError if there is none)."""
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)

    def http_routes(self) -> list[BaseRoute]:
        return [route for p in self.providers for route in p.routes()]

    def admin_routes(self) -> list[BaseRoute]:
        return self.admin.routes(self.runtime.api_doc)

    def endpoint(self, method: str, path: str) -> Provider | None:
        for provider in self.providers:
            if provider.serves(method, path):
                return provider
        return None

    def fault_groups(self) -> dict[str, tuple[str, ...]]:
        """``email-http`` covers every send API; each provider can also be named alone."""
        names = tuple(p.name for p in self.providers)
        return {HTTP_GROUP: names, **{name: (name,) for name in names}}

    def stores(self) -> dict[str, Store[Any]]:
        return {"emails": self.inbox.store}

    def event_views(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        # The head only: announcing a mail must not parse its body.
        return {"emails": StoredEmail.head_json}

    def reset(self, account: str | None) -> None:
        self.inbox.reset(account)
        for provider in self.providers:
            provider.reset(account)


def create(runtime: Runtime) -> FakeService:
    return EmailService(runtime)
