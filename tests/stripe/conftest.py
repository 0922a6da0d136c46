"""Fixtures for the Stripe fake: a fresh secret key (account) per test, both SDK styles."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from fakeservices.server import EmbeddedServer

#: Confirming server-side with automatic payment methods needs a return_url (as on Stripe);
#: most tests simply restrict the intent to cards.
CARD = {"payment_method_types": ["card"]}
EXP_YEAR = time.gmtime().tm_year + 2


@pytest.fixture
def key(unique: str) -> str:
    return f"sk_test_{unique}"


@pytest.fixture
def client(server: EmbeddedServer, key: str) -> stripe.StripeClient:
    """The modern style: ``StripeClient(key, base_addresses={"api": url})``."""
    return stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)


@pytest.fixture
def gstripe(server: EmbeddedServer, key: str) -> Iterator[Any]:
    """The global style: ``stripe.api_key`` / ``stripe.api_base`` set for this test only."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = key, server.url, 0
    try:
        yield stripe
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records webhook POSTs."""

    url: str
    received: list[Received] = field(default_factory=list)
    #: Status codes to answer, in order; once used up, 200.
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            rec = state["r"]
            with rec.lock:
                rec.received.append(Received(self.path, dict(self.headers.items()), body))
                status = rec.statuses.pop(0) if rec.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(f"http://127.0.0.1:{httpd.server_address[1]}/hooks")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Landing:
    """A tiny shop front on 127.0.0.1: answers every GET with a page naming the URL it got."""

    url: str
    visits: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[str]:
        with self.lock:
            return list(self.visits)


@pytest.fixture
def landing() -> Iterator[Landing]:
    state: dict[str, Landing] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            shop = state["l"]
            with shop.lock:
                shop.visits.append(self.path)
            body = f"<html><body><h1 id='landed'>Shop page {self.path}</h1></body></html>"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["l"] = Landing(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["l"]
    finally:
        httpd.shutdown()
        httpd.server_close()
