"""One server: the HTTP listener (uvicorn + Starlette) and the SMTP listener on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from fakeservices import __version__
from fakeservices.app import build_app
from fakeservices.core.clock import Clock
from fakeservices.core.config import Config, loop_factory
from fakeservices.core.disconnect import TransportTap
from fakeservices.core.registry import BUILTIN_SERVICES
from fakeservices.core.runtime import Runtime
from fakeservices.core.smtp import SmtpListener

log = logging.getLogger("fakeservices")

R = TypeVar("R")

#: Seconds an idle HTTP keep-alive connection stays open.
KEEP_ALIVE_SECONDS = 5


class ListenError(OSError):
    """A listener could not bind: the message names the listener, the address and what to do."""

    def __init__(self, listener: str, option: str, host: str, port: int, exc: OSError) -> None:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else str(exc)
        variable = "FAKESERVICES_" + option.removeprefix("--").replace("-", "_").upper()
        super().__init__(
            exc.errno,
            f"the {listener} listener cannot bind {url_host(host)}:{port}: {reason}. Stop what "
            f"uses that port or choose another with {option} (or {variable}); 0 picks a free one",
        )

    def __str__(self) -> str:
        return str(self.strerror)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one. IPv6 hosts are accepted."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only when it does, and
    # without it every response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _Uvicorn(uvicorn.Server):
    # The owner of the loop handles signals; uvicorn must not install or re-raise its own.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Server:
    """Owns the listeners of one fakeservices instance. Start and stop it on a running loop."""

    def __init__(
        self,
        config: Config,
        services: tuple[str, ...] = BUILTIN_SERVICES,
        time: Clock | None = None,
    ) -> None:
        self.config = config
        self.runtime = Runtime(config, services, time)
        self.app = build_app(self.runtime)
        self.smtp = SmtpListener(self.runtime)
        self._uvicorn: _Uvicorn | None = None
        self._main_loop: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] = []

    @property
    def http_port(self) -> int:
        assert self.runtime.http_port is not None, "server not started"
        return self.runtime.http_port

    @property
    def smtp_port(self) -> int:
        assert self.runtime.smtp_port is not None, "server not started"
        return self.runtime.smtp_port

    @property
    def url(self) -> str:
        return f"http://{url_host(self.config.host)}:{self.http_port}"

    def banner(self) -> str:
        host = url_host(self.config.host)
        return f"fakeservices {__version__} {self.url} smtp://{host}:{self.smtp_port}"

    async def start(self) -> None:
        """Bind both listeners and serve; returns once both accept connections."""
        cfg = self.config
        try:
            http_sock = bind(cfg.host, cfg.http_port)
        except OSError as exc:
            raise ListenError("HTTP", "--http-port", cfg.host, cfg.http_port, exc) from exc
        try:
            smtp_sock = bind(cfg.host, cfg.smtp_port)
        except OSError as exc:
            http_sock.close()
            raise ListenError("SMTP", "--smtp-port", cfg.host, cfg.smtp_port, exc) from exc
        self._sockets = [http_sock, smtp_sock]
        self.runtime.http_port = http_sock.getsockname()[1]
        self.runtime.smtp_port = smtp_sock.getsockname()[1]
        uv_config = uvicorn.Config(
            TransportTap(self.app),
            lifespan="off",
            http=self.config.http,
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=1,
            # uvicorn's default: an idle client connection (an SDK that retried without reading
            # the first answer, say) is closed after 5 s instead of keeping its process alive.
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        uv_config.load()
        server = _Uvicorn(uv_config)
        server.lifespan = uv_config.lifespan_class(uv_config)
        self._uvicorn = server
        await self.runtime.start()
        await server.startup(sockets=[http_sock])
        await self.smtp.start(smtp_sock)
        self._main_loop = asyncio.create_task(server.main_loop(), name="uvicorn-main-loop")

    async def stop(self) -> None:
        """Release held requests and waiters, close both listeners and open connections."""
        await self.runtime.stop()
        await self.smtp.stop()
        server = self._uvicorn
        if server is not None:
            server.should_exit = True
            if self._main_loop is not None:
                await self._main_loop
            await server.shutdown(sockets=[self._sockets[0]])
        for sock in self._sockets:
            sock.close()


class EmbeddedServer:
    """A :class:`Server` running on its own event loop in a background thread."""

    def __init__(
        self,
        config: Config,
        services: tuple[str, ...] = BUILTIN_SERVICES,
        time: Clock | None = None,
    ) -> None:
        self.config = config
        self._services = services
        self._time = time
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._run, name="fakeservices", daemon=True)

    @property
    def server(self) -> Server:
        assert self._server is not None, "server not started"
        return self._server

    @property
    def runtime(self) -> Runtime:
        return self.server.runtime

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def http_port(self) -> int:
        return self.server.http_port

    @property
    def smtp_host(self) -> str:
        return self.config.host

    @property
    def smtp_port(self) -> int:
        return self.server.smtp_port

    def start(self) -> EmbeddedServer:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def _run(self) -> None:
        try:
            factory = loop_factory(self.config.loop)
        except ImportError as exc:
            self._error = exc
            self._ready.set()
            return
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self._server = Server(self.config, self._services, self._time)
            await self._server.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self._server.stop()

    def run(self, coro: Coroutine[Any, Any, R], timeout: float | None = None) -> R:
        """Run a coroutine on the server's loop from another thread and return its result."""
        assert self._loop is not None, "server not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self, timeout: float = 10) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_server(
    http_port: int = 0,
    smtp_port: int = 0,
    host: str = "127.0.0.1",
    services: tuple[str, ...] = BUILTIN_SERVICES,
    time: Clock | None = None,
    **settings: Any,
) -> EmbeddedServer:
    """Start an embedded server in a background thread; returns once it accepts connections.

    ``services`` names the fakes to load (all built-in ones by default); ``time`` is the clock
    rate-limit windows are measured on (a :class:`~fakeservices.core.clock.ManualClock` lets a
    test move it forward instead of sleeping); extra keyword arguments are
    :class:`~fakeservices.core.config.Config` fields.
    """
    config = Config(host=host, http_port=http_port, smtp_port=smtp_port, **settings)
    return EmbeddedServer(config, services, time).start()
