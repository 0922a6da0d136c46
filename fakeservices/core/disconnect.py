"""Noticing that an HTTP client went away, and going away from a client on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

R = TypeVar("R")

TRANSPORT_KEY = "fakeservices.transport"


async def disconnected(receive: Receive) -> None:
    """Return once the client has disconnected (reads and discards any remaining body)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def until_disconnect(receive: Receive, work: Coroutine[Any, Any, R]) -> R | None:
    """Run ``work`` unless the client disconnects first (then cancel it and return None)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(disconnected(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (watcher, task):
            if not t.done():
                t.cancel()
        await asyncio.gather(watcher, task, return_exceptions=True)
    if task.cancelled():
        return None
    return task.result()


class TransportTap:
    """Outermost ASGI wrapper: puts the connection's transport in the scope.

    ASGI gives an application no way to close a connection without answering. uvicorn's ``send``
    is a bound method of its per-request cycle object, which holds the asyncio transport (both
    the h11 and the httptools implementations); this wrapper exposes it as
    ``scope["fakeservices.transport"]`` so the fault engine can drop a connection for real.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            # uvloop's transports are not asyncio.Transport subclasses: look for abort().
            if callable(getattr(transport, "abort", None)):
                scope[TRANSPORT_KEY] = transport
        await self.app(scope, receive, send)


def reset_connection(transport: asyncio.BaseTransport) -> None:
    """Close with a TCP RST and no response bytes (SO_LINGER 0, then abort).

    A transport the client already closed is left as it is (uvloop's socket of a closed
    transport raises ValueError for its negative descriptor).
    """
    if transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError, ValueError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort = getattr(transport, "abort", None)
    if callable(abort):
        abort()
    else:
        transport.close()
