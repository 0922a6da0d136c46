"""The SMTP listener: aiosmtpd on the server's own event loop.

The core owns the session (EHLO, AUTH, size limit, journal); the fake that takes mail (the email
inbox) only sees complete transactions through :class:`~fakeservices.core.registry.SmtpHandler`.
The SMTP AUTH username is the account; a session without AUTH lands in ``default``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from fakeservices import __version__
from fakeservices.core.registry import SmtpHandler
from fakeservices.core.runtime import Runtime

log = logging.getLogger("fakeservices.smtp")

DEFAULT_ACCOUNT = "default"


@dataclass(slots=True)
class Transaction:
    """One SMTP transaction, as a fake's :class:`SmtpHandler` receives it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    account: str
    peer: str
    smtp_utf8: bool


def session_account(session: Session) -> str:
    auth = getattr(session, "auth_data", None)
    if isinstance(auth, LoginPassword):
        login = auth.login
        return login.decode("utf-8", "replace") if isinstance(login, bytes) else str(login)
    return DEFAULT_ACCOUNT


def _accept_any(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    # Any credentials are accepted: the username names the account (API.md section 1).
    return AuthResult(success=True, auth_data=auth_data)


class SmtpGateway:
    """aiosmtpd handler hooks: journal every transaction, hand accepted mail to the fake."""

    def __init__(self, runtime: Runtime, handler: SmtpHandler | None) -> None:
        self.runtime = runtime
        self.handler = handler

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        started = time.time()
        t0 = time.perf_counter()
        data: bytes = envelope.original_content or b""
        account = session_account(session)
        peer = str(session.peer[0]) if session.peer else ""
        if self.handler is None:
            reply = "554 5.3.0 No fake takes mail in this server"
        else:
            try:
                reply = await self.handler.deliver(
                    Transaction(
                        mail_from=envelope.mail_from or "",
                        rcpt_tos=list(envelope.rcpt_tos),
                        data=data,
                        account=account,
                        peer=peer,
                        smtp_utf8=bool(envelope.smtp_utf8),
                    )
                )
            except Exception:
                log.exception("storing an SMTP message failed")
                reply = "451 4.3.0 Internal error while storing the message"
        self.record(account, reply, started, t0, envelope, data)
        return reply

    def record(
        self,
        account: str,
        reply: str,
        started: float,
        t0: float,
        envelope: Envelope,
        data: bytes,
        fault: dict[str, Any] | None = None,
    ) -> None:
        code = int(reply[:3]) if reply[:3].isdigit() else 0
        duration_ms = (time.perf_counter() - t0) * 1000
        self.runtime.journal.record(
            service="smtp",
            method="DATA",
            path="smtp",
            account=account,
            status=code,
            started_at=started,
            duration_ms=duration_ms,
            fault=fault,
            request_body=data,
            response_body=reply.encode(),
            detail={
                "mail_from": envelope.mail_from,
                "rcpt_to": list(envelope.rcpt_tos),
                "size": len(data),
            },
        )
        self.runtime.metrics.inc("fakeservices_requests_total", service="smtp", status=str(code))
        log.info("SMTP DATA %s %.1fms", code, duration_ms)


class FakeSMTP(SMTP):
    """aiosmtpd's SMTP protocol, tracking open connections so shutdown can close them."""

    def __init__(self, connections: set[FakeSMTP], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = connections

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._connections.discard(self)
        super().connection_lost(error)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.close()


class SmtpListener:
    """Serves SMTP on a pre-bound socket, on the running loop."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        handler = next((s.smtp_handler for s in runtime.services if s.smtp_handler), None)
        self.gateway = SmtpGateway(runtime, handler)
        self.connections: set[FakeSMTP] = set()
        self._server: asyncio.Server | None = None

    def protocol(self) -> FakeSMTP:
        cfg = self.runtime.config
        return FakeSMTP(
            self.connections,
            self.gateway,
            data_size_limit=cfg.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname="fakeservices",
            ident=f"fakeservices {__version__} ESMTP",
            auth_require_tls=False,
            authenticator=_accept_any,
            loop=asyncio.get_running_loop(),
        )

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self.protocol, sock=sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in tuple(self.connections):
            conn.abort()
        if self._server is not None:
            await self._server.wait_closed()
