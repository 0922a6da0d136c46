"""The service registry: what a fake contributes to the one process.

A fake is a package with a ``plugin`` module exposing ``create(runtime) -> FakeService``. It may
contribute HTTP routes, admin read-back routes, stores (counted by health), SMTP handling, a reset
and its native error rendering (used by the fault engine). Adding a fake means adding its module
name to :data:`BUILTIN_SERVICES`; no other fake changes.

The gateway routes each HTTP request to an :class:`Endpoint`: the API the request is for, which
names it in the journal, tells its account and the addresses it sends to, and renders an injected
error natively. A fake with several APIs (the email fake's providers) returns one endpoint object
per API from :meth:`FakeService.endpoint`; a fake that is one API may instead implement the
``journal_service`` / ``account_of`` / ``addresses`` / ``error_response`` methods, which the
default :meth:`FakeService.endpoint` wraps.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from fakeservices.core.runtime import Runtime
    from fakeservices.core.store import Counted, Store

# Fakes shipped with fakeservices, in the order their routes are tried.
BUILTIN_SERVICES: tuple[str, ...] = (
    "fakeservices.sms",
    "fakeservices.email",
    "fakeservices.stripe",
)


class SmtpMessage(Protocol):
    """One SMTP transaction as handed to a fake: the envelope and the exact bytes received."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    account: str
    peer: str
    smtp_utf8: bool


class SmtpHandler(Protocol):
    async def deliver(self, message: SmtpMessage) -> str:
        """Store the message; return the SMTP reply (e.g. ``"250 2.0.0 OK: queued as ..."``)."""
        ...


class Endpoint(Protocol):
    """One API of a fake, as the gateway and the fault engine see it."""

    @property
    def name(self) -> str:
        """The journal's ``service`` and the name fault rules use for it."""
        ...

    def account_of(self, headers: Headers, path: str) -> str:
        """The tenant a request belongs to, from its credentials ("" when it has none)."""
        ...

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        """Sender and recipients of a request, for fault rules that match ``from``/``to``."""
        ...

    def error_response(self, status: int, message: str) -> Response:
        """The API's native error envelope for ``status`` (used by injected faults)."""
        ...

    def rate_limited(self, message: str, retry_after: int) -> Response:
        """The API's own refusal of a request over its rate limit (the ``rate_limit`` fault);
        the gateway adds ``Retry-After: <retry_after>`` to it."""
        ...

    def not_routed(self, status: int, method: str, path: str) -> Response:
        """The API's own answer to a path under it that no route takes (404) or a method its
        route does not take (405), and to an unexpected exception (500)."""
        ...


class ServiceEndpoint:
    """The :class:`Endpoint` of a fake that is one API: its own methods, under ``name``."""

    __slots__ = ("fake", "name")

    def __init__(self, fake: FakeService, name: str) -> None:
        self.fake = fake
        self.name = name

    def account_of(self, headers: Headers, path: str) -> str:
        return self.fake.account_of(self.name, headers, path)

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        return self.fake.addresses(self.name, headers, body)

    def error_response(self, status: int, message: str) -> Response:
        return self.fake.error_response(self.name, status, message)

    def rate_limited(self, message: str, retry_after: int) -> Response:
        return self.fake.error_response(self.name, 429, message)

    def not_routed(self, status: int, method: str, path: str) -> Response:
        return self.fake.not_routed(self.name, status, method, path)


class FakeService:
    """Base class of a fake; subclasses override what they contribute."""

    #: Name used by ``POST /__admin/reset?service=`` and in logs.
    name: str = ""
    #: Handles mail arriving on the SMTP listener, if this fake takes it.
    smtp_handler: SmtpHandler | None = None

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def http_routes(self) -> list[BaseRoute]:
        return []

    def admin_routes(self) -> list[BaseRoute]:
        """Routes mounted under ``/__admin``."""
        return []

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        """The endpoint that serves ``path``, or None if this fake does not serve it."""
        name = self.journal_service(method, path)
        return None if name is None else ServiceEndpoint(self, name)

    def journal_service(self, method: str, path: str) -> str | None:
        """The journal's ``service`` name if this fake serves ``path``, else None."""
        return None

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        """The tenant a request belongs to, from its credentials ("" when it has none)."""
        return ""

    def stores(self) -> dict[str, Store[Any]]:
        """Stores reported by health/metrics, keyed by their public name."""
        return {}

    def counted(self) -> dict[str, Counted]:
        """Other bounded collections health reports (beside :meth:`stores`), by public name."""
        return {}

    def event_views(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        """How ``/__admin/events`` shows an item of each of :meth:`stores` (by store name); a
        store without a view is announced by id alone."""
        return {}

    def reset(self, account: str | None) -> None:
        """Forget everything (or everything of one account)."""

    def fault_groups(self) -> dict[str, tuple[str, ...]]:
        """Service names fault rules may use for this fake -> the journal services each covers."""
        return {self.name: (self.name,)}

    def addresses(
        self, service: str, headers: Headers, body: bytes
    ) -> tuple[str | None, list[str]]:
        """Sender and recipients of a request, for fault rules that match ``from``/``to``."""
        return None, []

    def error_response(self, service: str, status: int, message: str) -> Response:
        """This fake's native error envelope for ``status`` (used by injected faults)."""
        return JSONResponse({"error": {"code": "fault", "message": message}}, status_code=status)

    def not_routed(self, service: str, status: int, method: str, path: str) -> Response:
        """This fake's answer to an unrouted path (404), a wrong method (405) or a bug (500) under
        its prefix: by default :meth:`error_response` with the status's reason phrase."""
        return self.error_response(service, status, default_reason(status, method, path))

    async def start(self) -> None:
        """Start background work (schedulers, webhook senders) on the running loop."""

    async def stop(self) -> None:
        """Stop background work; called once at shutdown."""


def default_reason(status: int, method: str, path: str) -> str:
    """The message of a routing error or a bug when a fake has no text of its own for it."""
    if status == 404:
        return f"No route for {method} {path}"
    if status == 405:
        return f"{method} is not allowed on {path}"
    return "Internal Server Error: fakeservices failed on this request (its log has the trace)"


ServiceFactory = Callable[["Runtime"], FakeService]
Starter = Callable[[], Awaitable[None]]


def load_services(
    runtime: Runtime, modules: tuple[str, ...] = BUILTIN_SERVICES
) -> list[FakeService]:
    """Import each fake's ``<module>.plugin`` and build it for ``runtime``."""
    services: list[FakeService] = []
    for module in modules:
        factory: ServiceFactory = importlib.import_module(f"{module}.plugin").create
        services.append(factory(runtime))
    return services
