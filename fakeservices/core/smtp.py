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

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session, syntax

from fakeservices import __version__
from fakeservices.core.disconnect import reset_connection
from fakeservices.core.faults import FaultContext, FaultRule, SmtpStage
from fakeservices.core.logs import info_line
from fakeservices.core.registry import SmtpHandler
from fakeservices.core.runtime import Runtime
from fakeservices.core.smtp_address import plain_angle_addr
from fakeservices.core.smtp_data import DataReader, DataState

log = logging.getLogger("fakeservices.smtp")

DEFAULT_ACCOUNT = "default"
#: Recipients one transaction takes; each RCPT past it gets :data:`TOO_MANY_RECIPIENTS` (a
#: transient reply: the client sends the rest in another transaction, RFC 5321 4.5.3.1.10).
#: RFC 5321 asks for at least 100; 1,000 matches the HTTP send APIs' limits.
MAX_RECIPIENTS = 1000
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
#: The most bytes one read of the DATA phase takes: everything the connection has buffered (the
#: stream reader holds far less; it pauses the socket past twice its line limit).
DATA_READ_BYTES = 1 << 30


class _NoLoginDataWarning(logging.Filter):
    # aiosmtpd 1.4 itself sets the deprecated Session.login_data after every successful AUTH
    # and warns about it; with the `authenticator` API we use there is nothing to change.
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_NoLoginDataWarning())


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
    # Any credentials are accepted: the username names the account (docs/isolation.md).
    return AuthResult(success=True, auth_data=auth_data)


class SmtpGateway:
    """aiosmtpd handler hooks: journal every transaction, hand accepted mail to the fake."""

    def __init__(self, runtime: Runtime, handler: SmtpHandler | None) -> None:
        self.runtime = runtime
        self.handler = handler

    # -- fault points ------------------------------------------------------------------------
    async def fault(
        self,
        server: FakeSMTP,
        stage: SmtpStage,
        session: Session,
        sender: str | None,
        recipients: list[str],
    ) -> str | None:
        """Apply the rule that fires at ``stage``, if any: the reply to send instead, or None.

        A delay returns None after waiting (the command then proceeds normally); drop and timeout
        close the connection and return a reply nobody will read.
        """
        faults = self.runtime.faults
        if not faults.rules:
            return None
        account = session_account(session)
        ctx = FaultContext(
            "smtp", account, stage=stage, sender=sender, recipients=tuple(recipients)
        )
        rule = faults.pick(ctx)
        if rule is None:
            return None
        self.runtime.metrics.inc(
            "fakeservices_faults_fired_total", service="smtp", type=rule.spec.action.type
        )
        # The rule models (pydantic) are imported with the first rule, not at start-up.
        from fakeservices.core.faults import (
            DelayAction,
            DropAction,
            RateLimitAction,
            SmtpReplyAction,
            TimeoutAction,
        )

        t0 = time.perf_counter()
        started = time.time()
        action = rule.spec.action
        reply: str | None
        if isinstance(action, SmtpReplyAction):
            reply = action.reply()
        elif isinstance(action, RateLimitAction):
            reply = action.smtp_reply(ctx.retry_after)
            if action.smtp_code == 421:  # 421: the server closes the channel after replying
                asyncio.get_running_loop().call_soon(server.close_after_reply)
        elif isinstance(action, DelayAction):
            await self.runtime.hold(action.seconds(rule.rng))
            reply = None
        elif isinstance(action, TimeoutAction):
            await server.hold_open(self.runtime.hold(self.runtime.config.hold_seconds))
            server.abort()
            reply = "421 4.4.2 Connection timed out"
        elif isinstance(action, DropAction):
            server.abort()
            reply = "421 4.4.2 Connection dropped"
        else:  # HTTP-only actions never match an SMTP stage
            return None
        dropped = isinstance(action, (TimeoutAction, DropAction))
        self.record_fault(rule, stage, account, sender, recipients, reply, dropped, started, t0)
        return reply

    def record_fault(
        self,
        rule: FaultRule,
        stage: SmtpStage,
        account: str,
        sender: str | None,
        recipients: list[str],
        reply: str | None,
        dropped: bool,
        started: float,
        t0: float,
    ) -> None:
        code = 0 if dropped or reply is None else int(reply[:3])
        self.runtime.journal.record(
            service="smtp",
            method=stage.upper(),
            path="smtp",
            account=account,
            status=code,
            started_at=started,
            duration_ms=(time.perf_counter() - t0) * 1000,
            fault=rule.brief(),
            response_body=(reply or "").encode() if not dropped else b"",
            detail={"mail_from": sender, "rcpt_to": recipients},
        )

    # -- aiosmtpd handler hooks ----------------------------------------------------------------
    async def handle_EHLO(
        self,
        server: FakeSMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        reply = await self.fault(server, "ehlo", session, None, [])
        if reply is not None:
            return [reply]
        session.host_name = hostname
        return responses

    async def handle_HELO(
        self, server: FakeSMTP, session: Session, envelope: Envelope, hostname: str
    ) -> Any:
        # HELO is the same greeting stage as EHLO (smtplib falls back to it when EHLO fails).
        reply = await self.fault(server, "ehlo", session, None, [])
        return MISSING if reply is None else reply

    async def handle_MAIL(
        self,
        server: FakeSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> Any:
        reply = await self.fault(server, "mail", session, address, [])
        return MISSING if reply is None else reply

    async def handle_RCPT(
        self,
        server: FakeSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> Any:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        reply = await self.fault(server, "rcpt", session, envelope.mail_from, [address])
        return MISSING if reply is None else reply

    async def handle_DATA(self, server: FakeSMTP, session: Session, envelope: Envelope) -> str:
        reply = await self.fault(
            server, "data", session, envelope.mail_from, list(envelope.rcpt_tos)
        )
        if reply is not None:
            return reply
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
        head_end = data.find(b"\r\n\r\n")  # (a ``split`` would copy the body too)
        self.runtime.journal.record(
            service="smtp",
            method="DATA",
            path="smtp",
            account=account,
            status=code,
            started_at=started,
            duration_ms=duration_ms,
            fault=fault,
            # The header block only: the whole message is in the inbox, and a journal copy of
            # every body would double the memory each stored email costs.
            request_body=data if head_end < 0 else data[:head_end],
            response_body=reply.encode(),
            detail={
                "mail_from": envelope.mail_from,
                "rcpt_to": list(envelope.rcpt_tos),
                "size": len(data),
            },
        )
        self.runtime.metrics.inc("fakeservices_requests_total", service="smtp", status=str(code))
        if log.isEnabledFor(logging.INFO):
            info_line(log, f"SMTP DATA {code} {duration_ms:.1f}ms")


class FakeSMTP(SMTP):
    """aiosmtpd's SMTP protocol, tracking open connections so shutdown can close them."""

    def __init__(
        self, connections: set[FakeSMTP], gateway: SmtpGateway, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(gateway, *args, **kwargs)
        self._connections = connections
        self._gateway = gateway
        self._hung_up = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._connections.discard(self)
        self._hung_up.set()
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        # The "connect" fault point: before the greeting.
        assert self.session is not None
        reply = await self._gateway.fault(self, "connect", self.session, None, [])
        if reply is not None:
            if self.transport is not None and not self.transport.is_closing():
                await self.push(reply)
                self.transport.close()
            return
        await super()._handle_client()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address reading, with a fast path for ``<a@x.example>`` (see
        :mod:`~fakeservices.core.smtp_address` for why)."""
        plain = plain_angle_addr(arg, self.local_part_limit) if arg else None
        if plain is not None:
            return plain
        return super()._getaddr(arg)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA command, reading the message in chunks instead of line by line.

        Everything else is aiosmtpd 1.4's ``smtp_DATA``: the same checks and replies before
        354, 552 past ``data_size_limit`` and 500 for a line past ``line_length_limit`` (both
        after the whole message is read), the ``handle_DATA`` hook with ``envelope.content`` and
        ``original_content`` set, and the envelope reset after. The reading is
        :class:`~fakeservices.core.smtp_data.DataReader` (why: its module docstring).
        """
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        data = DataReader(self.data_size_limit, self.line_length_limit)
        while self.transport is not None:
            try:
                # All the reader has buffered; eof_received cancels this coroutine, so an empty
                # read (end of stream) only comes if the peer half-closed mid-message.
                chunk = await self._reader.read(DATA_READ_BYTES)
            except asyncio.CancelledError:
                log.info("Connection lost during DATA")
                self._writer.close()
                raise
            if not chunk:
                self._writer.close()
                return
            rest = data.feed(chunk)
            if rest is not None:
                # Commands the client pipelined after the data: the reader is empty now (this
                # read took all it held), so feeding them back keeps their order.
                if rest and not self._reader.at_eof():
                    self._reader.feed_data(rest)
                break
        if not data.done:
            return
        if data.state is DataState.TOO_LONG:
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._after_data()
            return
        if data.state is DataState.TOO_MUCH:
            await self.push("552 Error: Too much mail data")
            self._after_data()
            return
        original_content = data.content()
        content: str | bytes = original_content
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original_content.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original_content.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original_content
        status = await self._call_handler_hook("DATA")
        self._after_data()
        await self.push("250 OK" if status is MISSING else status)

    def _after_data(self) -> None:
        """A fresh envelope for the next transaction (aiosmtpd's post-DATA state)."""
        self._set_post_data_state()  # type: ignore[no-untyped-call]

    async def hold_open(self, hold: Any) -> None:
        """Wait for ``hold`` (a coroutine) or for the client to hang up, whichever is first."""
        task = asyncio.ensure_future(hold)
        closed = asyncio.ensure_future(self._hung_up.wait())
        try:
            await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (task, closed):
                t.cancel()
            await asyncio.gather(task, closed, return_exceptions=True)

    def close_after_reply(self) -> None:
        """Close the connection once what is queued (a 421 reply) is written."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Close at once, with a TCP RST."""
        if self.transport is not None:
            reset_connection(self.transport)


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
