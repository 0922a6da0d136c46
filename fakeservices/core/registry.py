"""The service registry: what a fake contributes to the one process.

A fake is a package with a ``plugin`` module exposing ``create(runtime) -> FakeService``. It may
contribute HTTP routes, admin read-back routes, stores (counted by health), SMTP handling, a reset
and its native error rendering (used by the fault engine). Adding a fake means adding its module
name to :data:`BUILTIN_SERVICES`; no other fake changes.
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

    async def start(self) -> None:
        """Start background work (schedulers, webhook senders) on the running loop."""

    async def stop(self) -> None:
        """Stop background work; called once at shutdown."""


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
