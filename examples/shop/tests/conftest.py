"""Run the shop for real (uvicorn on a free port) with settings pointing at fakeservices.

The ``fake`` fixture comes from the fakeservices pytest plugin: fresh credentials per test, so
this suite also runs under ``pytest -n 2`` against one shared sidecar.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from shop.app import create_app
from shop.settings import Settings

from fakeservices.pytest_plugin import Fake


@dataclass
class Shop:
    url: str
    http: httpx.Client
    settings: Settings

    def register(self, name: str, email: str, phone: str | None = None) -> httpx.Response:
        return self.http.post("/users", json={"name": name, "email": email, "phone": phone})

    def checkout(self, user_id: int, items: list[dict[str, object]]) -> httpx.Response:
        return self.http.post("/checkout", json={"user_id": user_id, "items": items})

    def order(self, user_id: int, amount: int, payment_method: str) -> httpx.Response:
        return self.http.post(
            "/orders",
            json={"user_id": user_id, "amount": amount, "payment_method": payment_method},
        )


def shop_env(fake: Fake, database: Path, webhook_secret: str, url: str) -> dict[str, str]:
    """The environment a deployment of the shop would get, aimed at fakeservices."""
    return {
        "SHOP_DATABASE": str(database),
        "SHOP_PUBLIC_URL": url,
        "STRIPE_API_KEY": fake.stripe_key,
        "STRIPE_API_BASE": fake.stripe_api_base,
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_TIMEOUT": "2",
        "STRIPE_MAX_RETRIES": "0",
        "SMTP_HOST": fake.smtp_host,
        "SMTP_PORT": str(fake.smtp_port),
        "SMTP_USER": fake.smtp_user,
        "SMTP_PASSWORD": fake.smtp_password,
        "TWILIO_ACCOUNT_SID": fake.twilio_sid,
        "TWILIO_AUTH_TOKEN": fake.twilio_token,
        "TWILIO_API_BASE": fake.url,
    }


@pytest.fixture
def shop(fake: Fake, tmp_path: Path) -> Iterator[Shop]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Stripe sends this account's events to the shop, signed with the endpoint's secret.
    endpoint = fake.stripe_client().v1.webhook_endpoints.create(
        params={
            "url": f"{url}/webhooks/stripe",
            "enabled_events": ["payment_intent.succeeded", "checkout.session.completed"],
        }
    )
    env = shop_env(fake, tmp_path / "shop.sqlite3", endpoint.secret or "", url)
    settings = Settings.from_env(env)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    )
    ready = threading.Event()

    async def serve() -> None:
        await server.startup(sockets=[sock])
        ready.set()
        await server.main_loop()
        await server.shutdown(sockets=[sock])

    server.config.load()
    server.lifespan = server.config.lifespan_class(server.config)
    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "shop did not start"
    with httpx.Client(base_url=url, timeout=30) as http:
        yield Shop(url, http, settings)
    server.should_exit = True
    thread.join(10)
    sock.close()
