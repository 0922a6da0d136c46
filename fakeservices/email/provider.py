"""The shape every HTTP email provider has: one object per provider, iterated by the plugin.

A provider (SendGrid, Mailgun, Postmark...) is a wire adapter in front of the one inbox. It is also
the :class:`~fakeservices.core.registry.Endpoint` the gateway routes its requests to: it knows its
name (the journal service and the stored mail's ``source``), the account a request belongs to, the
addresses a send names (for fault rules' ``from``/``to``) and its native error envelope.

Handlers report every failure the same way: they raise :class:`SendError` (or let a
:class:`~fakeservices.core.http.BodyTooLarge` / :class:`~fakeservices.core.http.BadJson` from the
core helpers escape), and :meth:`Provider.guard` renders it at the edge in the provider's envelope.
A bug is rendered there too, as the provider's 500, and logged.

Adding a provider is one module with one :class:`Provider` subclass, plus its line in
``fakeservices.email.plugin.PROVIDERS``.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, compile_path

from fakeservices.core.clock import Clock, SystemClock
from fakeservices.core.http import BadJson, BodyTooLarge, read_body
from fakeservices.core.routing import HandlerApp
from fakeservices.email.model import REQUEST_OFFLOAD_BYTES, Inbox, off_loop

log = logging.getLogger("fakeservices.email")

Handler = Callable[[Request], Awaitable[Response]]
R = TypeVar("R")


class SendError(Exception):
    """A request the provider refuses, rendered by :meth:`Provider.render` in its envelope.

    ``code`` is the provider's own error number where it has one (Postmark's ``ErrorCode``);
    ``name`` its error name where it uses names (Resend's ``name``, SES's ``Code``); ``items``
    are the individual problems where the provider lists several (SendGrid's ``errors``).
    Without them the provider derives them from ``status`` and ``message``. ``headers`` are
    added to the response (e.g. ``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        name: str | None = None,
        items: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.name = name
        self.items = items or []
        self.headers = headers or {}


class Provider(ABC):
    """One HTTP send API of the email fake (see the module docstring)."""

    #: The journal service name, the fault rule service name and the stored mail's ``source``.
    name: ClassVar[str]
    #: Path templates this provider serves (Starlette syntax), each taking ``POST`` unless
    #: :attr:`methods` says otherwise.
    paths: ClassVar[tuple[str, ...]]
    #: The methods of the paths that take something else than ``POST`` (e.g. a ``GET`` read).
    methods: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Whether only the methods of a path belong to this provider (a path shared with another
    #: route, like ``/``); otherwise every method of its paths is the provider's (and the router
    #: answers the ones it does not take with 405).
    strict_methods: ClassVar[bool] = False
    #: Regular expressions of the paths under this provider's API that it answers even where
    #: no route takes them: 404 (or 405 for a wrong method on one of :attr:`paths`) in its own
    #: envelope (:meth:`not_routed`) rather than the admin API's.
    prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, inbox: Inbox, max_bytes: int, clock: Clock | None = None) -> None:
        self.inbox = inbox
        self.max_bytes = max_bytes
        #: The runtime's clock (idempotency windows and the like), never ``time`` directly.
        self.clock: Clock = clock or SystemClock()
        self._patterns = [(compile_path(p)[0], self.methods_of(p)) for p in self.paths]
        self._prefixes = [re.compile(p) for p in self.prefixes]

    def methods_of(self, path: str) -> tuple[str, ...]:
        return self.methods.get(path, ("POST",))

    # -- the endpoint the gateway sees -------------------------------------------------------
    def serves(self, method: str, path: str) -> bool:
        """Whether ``method path`` is one of this provider's (a trailing slash, which the router
        redirects, counts too), or under one of its :attr:`prefixes`."""
        bare = path.removesuffix("/") or "/"
        return any(
            (p.match(path) or p.match(bare)) and (not self.strict_methods or method in methods)
            for p, methods in self._patterns
        ) or any(p.match(path) for p in self._prefixes)

    @abstractmethod
    def account_of(self, headers: Headers, path: str) -> str:
        """The tenant named by the request's credential ("" when it has none)."""

    @abstractmethod
    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        """Sender and recipients a send request names (for fault rules); never raises."""

    @abstractmethod
    def render(self, error: SendError) -> Response:
        """``error`` in this provider's error envelope."""

    def reset(self, account: str | None) -> None:
        """Forget what the provider holds beside the inbox (templates, idempotency keys), for
        everyone or one account. Most hold nothing."""
        return

    def error_response(self, status: int, message: str) -> Response:
        """The native error for ``status`` (what an injected fault answers)."""
        return self.render(SendError(status, message))

    def rate_limited(self, message: str, retry_after: int) -> Response:
        """The provider's answer past its rate limit: its 429 unless it says otherwise."""
        return self.error_response(429, message)

    def not_routed(self, status: int, method: str, path: str) -> Response:
        """404 / 405 / 500 under this provider's paths, in its envelope (:meth:`routing_error`)."""
        return self.render(self.routing_error(status, method, path))

    def routing_error(self, status: int, method: str, path: str) -> SendError:
        """The provider's error for an unknown path (404), a wrong method (405) or a bug (500);
        providers with texts of their own override this."""
        return SendError(status, HTTPStatus(status).phrase)

    # -- request plumbing --------------------------------------------------------------------
    @abstractmethod
    def handlers(self) -> dict[str, Handler]:
        """Path template -> handler, one per entry of :attr:`paths`."""

    def too_large(self) -> SendError:
        """The provider's answer to a body over ``--max-message-bytes``."""
        return SendError(413, "Request entity too large")

    def bad_json(self, error: BadJson) -> SendError:
        """The provider's answer to a body that is not acceptable JSON."""
        return SendError(400, "Bad Request")

    async def body(self, request: Request) -> bytes:
        """The request body, bounded by ``--max-message-bytes`` (raises :class:`BodyTooLarge`)."""
        return await read_body(request, self.max_bytes)

    @staticmethod
    async def validate(body: bytes, work: Callable[[], R]) -> R:
        """``work()``: parsing and validating ``body`` (may raise :class:`SendError`), in a worker
        thread when the body is over :data:`~fakeservices.email.model.REQUEST_OFFLOAD_BYTES`, so
        a long address list never holds the event loop. Storing stays on the loop."""
        return await off_loop(len(body), work, REQUEST_OFFLOAD_BYTES)

    def routes(self) -> list[BaseRoute]:
        handlers = self.handlers()
        return [
            Route(path, HandlerApp(self.guard(handlers[path])), methods=list(self.methods_of(path)))
            for path in self.paths
        ]

    def guard(self, handler: Handler) -> Handler:
        """Render what ``handler`` raises in the provider's envelope; the server keeps serving."""

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SendError as error:
                response = self.render(error)
                response.headers.update(error.headers)
                return response
            except BodyTooLarge:
                return self.render(self.too_large())
            except BadJson as error:
                return self.render(self.bad_json(error))
            except Exception:
                log.exception("%s handler failed on %s", self.name, request.url.path)
                return self.not_routed(500, request.method, request.url.path)

        return run
