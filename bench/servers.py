"""Server processes for the benchmarks: fakeservices itself and the baselines it is compared with.

Run by bench/run.py inside the bench venv, one process each:

    python bench/servers.py fakes [--uvloop] [--httptools] -- serve --http-port 0 ...
    python bench/servers.py starlette --port N [--uvloop] [--httptools]
    python bench/servers.py smtp --port N [--uvloop]
    python bench/servers.py localstripe --port N --preload K

Each prints one line (the fakeservices banner, or ``ready PORT``) once it listens.
``--httptools`` / ``--uvloop`` select uvicorn's optional parsers and the event loop explicitly, so
that the default (h11, asyncio) is what ``pip install fakeservices`` gives, even though the bench
venv has both installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import string
import sys
import uuid
from typing import Any
from urllib.parse import parse_qsl


def pick_flavour(use_uvloop: bool, use_httptools: bool) -> None:
    import uvicorn.config

    impl = "httptools_impl:HttpToolsProtocol" if use_httptools else "h11_impl:H11Protocol"
    uvicorn.config.HTTP_PROTOCOLS["auto"] = f"uvicorn.protocols.http.{impl}"
    if use_uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _rid(prefix: str, n: int = 24) -> str:
    return prefix + "".join(random.choices(string.ascii_letters + string.digits, k=n))


# -- bare Starlette: the same uvicorn settings as fakeservices.server.Server, comparable bodies ----
# Each route does what any handler must (decode the form with the stdlib ``parse_qsl``, or the JSON
# body) and answers a body of the provider's shape and about the fake's size (run.py records the
# mean response size of both), so the ratio is the cost of what the fake does beyond that.
def _pi_body(pi_id: str, status: str) -> dict[str, Any]:
    # Field for field the size of a Stripe PaymentIntent as the fake renders it (~1.6 KB, indented).
    body: dict[str, Any] = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": 1000,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 1000 if status == "succeeded" else 0,
        "client_secret": pi_id + "_secret_" + _rid("", 25),
        "capture_method": "automatic_async",
        "confirmation_method": "automatic",
        "created": 1795560722,
        "currency": "usd",
        "latest_charge": _rid("ch_") if status == "succeeded" else None,
        "livemode": False,
        "metadata": {},
        "payment_method": _rid("pm_"),
        "payment_method_options": {
            "card": {"installments": None, "network": None, "request_three_d_secure": "automatic"}
        },
        "payment_method_types": ["card"],
        "status": status,
    }
    nulls = (
        "application application_fee_amount automatic_payment_methods canceled_at "
        "cancellation_reason customer description invoice last_payment_error next_action "
        "on_behalf_of processing receipt_email review setup_future_usage shipping source "
        "statement_descriptor statement_descriptor_suffix transfer_data transfer_group"
    )
    for key in nulls.split():
        body[key] = None
    return body


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    class Indented(JSONResponse):
        def render(self, content: Any) -> bytes:
            return json.dumps(content, indent=2).encode()

    health = {
        "status": "ok",
        "version": "0.1.0",
        "http_port": 0,
        "smtp_port": 0,
        "seq": 0,
        "counts": dict.fromkeys(
            ("requests", "webhook_deliveries", "sms", "emails", "stripe_events"), 0
        ),
        "evicted": dict.fromkeys(
            ("requests", "webhook_deliveries", "sms", "emails", "stripe_events"), 0
        ),
    }

    async def get_health(request: Request) -> Response:
        return JSONResponse(health)

    async def form(request: Request) -> dict[str, str]:
        # Starlette's request.form() needs python-multipart; the fakes parse urlencoded bodies
        # themselves, so the baseline does the same stdlib parse.
        return dict(parse_qsl((await request.body()).decode()))

    async def pi_create(request: Request) -> Response:
        fields = await form(request)
        status = "succeeded" if fields.get("confirm") == "true" else "requires_confirmation"
        return Indented(_pi_body(_rid("pi_"), status))

    async def pi_confirm(request: Request) -> Response:
        await form(request)
        return Indented(_pi_body(request.path_params["pi"], "succeeded"))

    async def sms_create(request: Request) -> Response:
        fields = await form(request)
        sid = "SM" + "".join(random.choices("0123456789abcdef", k=32))
        acct = request.path_params["sid"]
        return JSONResponse(
            {
                "account_sid": acct,
                "api_version": "2010-04-01",
                "body": fields.get("Body"),
                "date_created": "Tue, 24 Nov 2026 22:52:01 +0000",
                "date_sent": None,
                "date_updated": "Tue, 24 Nov 2026 22:52:01 +0000",
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": fields.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": f"/2010-04-01/Accounts/{acct}/Messages/{sid}/Media"},
                "to": fields.get("To"),
                "uri": f"/2010-04-01/Accounts/{acct}/Messages/{sid}.json",
            },
            status_code=201,
        )

    async def sendgrid(request: Request) -> Response:
        await request.json()
        return Response(status_code=202, headers={"X-Message-Id": _rid("", 22)})

    async def mailgun(request: Request) -> Response:
        await form(request)
        return JSONResponse(
            {
                "id": f"<{_rid('', 20)}@{request.path_params['domain']}>",
                "message": "Queued. Thank you.",
            }
        )

    async def postmark(request: Request) -> Response:
        data = await request.json()
        return JSONResponse(
            {
                "To": data.get("To", ""),
                "SubmittedAt": "2026-11-24T22:52:01.1234567Z",
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        )

    return Starlette(
        routes=[
            Route("/__admin/health", get_health),
            Route("/v1/payment_intents", pi_create, methods=["POST"]),
            Route("/v1/payment_intents/{pi}/confirm", pi_confirm, methods=["POST"]),
            Route("/2010-04-01/Accounts/{sid}/Messages.json", sms_create, methods=["POST"]),
            Route("/v3/mail/send", sendgrid, methods=["POST"]),
            Route("/v3/{domain}/messages", mailgun, methods=["POST"]),
            Route("/email", postmark, methods=["POST"]),
        ]
    )


def bare_bind(host: str, port: int) -> socket.socket:
    """fakeservices.server.bind, copied: importing it would load fakeservices (pydantic, the app)
    into the bare baseline and count that in its start-up time."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve_starlette(port: int) -> None:
    import uvicorn

    sock = bare_bind("127.0.0.1", port)
    config = uvicorn.Config(
        starlette_app(),
        lifespan="off",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    print("ready", sock.getsockname()[1], flush=True)
    await server.serve(sockets=[sock])


# -- bare aiosmtpd: a handler that stores into a list ---------------------------------------------
async def serve_smtp(port: int) -> None:
    from aiosmtpd.smtp import SMTP, AuthResult

    from fakeservices.server import bind

    class ListHandler:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope.original_content)
            if len(self.messages) > 10000:  # the fake keeps --max-messages (10000) too
                del self.messages[:1000]
            return "250 OK"

    def accept(*_args: Any) -> AuthResult:
        return AuthResult(success=True)

    handler = ListHandler()
    loop = asyncio.get_running_loop()
    sock = bind("127.0.0.1", port)

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=10 * 1024 * 1024,
            enable_SMTPUTF8=True,
            hostname="bare",
            auth_require_tls=False,
            authenticator=accept,
            loop=loop,
        )

    server = await loop.create_server(protocol, sock=sock)
    print("ready", sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


# -- localstripe, with PaymentIntents preloaded in-process ----------------------------------------
def serve_localstripe(port: int, preload: int) -> None:
    import socket

    from aiohttp import web
    from localstripe import resources, server

    os.environ.setdefault("TMPDIR", "/tmp")
    resources.store.clear()
    # Preloading through HTTP would take hours: localstripe pickles its whole store to disk on
    # every write. Build the same objects in-process with that dump switched off, then dump once.
    real_dump = resources.Store.dump_to_disk
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    for _ in range(preload):
        resources.PaymentIntent(
            amount=1000,
            currency="usd",
            payment_method="pm_card_visa",
            payment_method_types=["card"],
        )
    resources.Store.dump_to_disk = real_dump  # type: ignore[method-assign]
    resources.store.dump_to_disk()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    print("ready", port, len(resources.store), flush=True)
    # localstripe's own start() logs each request to stderr (run.py discards it); so do we.
    web.run_app(server.app, sock=sock, print=None)


def main() -> None:
    argv = sys.argv[1:]
    rest: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["fakes", "starlette", "smtp", "localstripe"])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--preload", type=int, default=0)
    p.add_argument("--uvloop", action="store_true")
    p.add_argument("--httptools", action="store_true")
    args = p.parse_args(argv)
    if args.kind == "localstripe":
        serve_localstripe(args.port, args.preload)
        return
    pick_flavour(args.uvloop, args.httptools)
    if args.kind == "fakes":
        from fakeservices.cli import cli

        # fakeservices picks its own loop and parser ("auto" would take uvloop and httptools,
        # which the bench venv has): name them, so that the default flavour is asyncio + h11.
        stack = [
            "--loop",
            "uvloop" if args.uvloop else "asyncio",
            "--http",
            "httptools" if args.httptools else "h11",
        ]
        cli.main(args=[*rest, *stack], prog_name="fakeservices")
    elif args.kind == "starlette":
        asyncio.run(serve_starlette(args.port))
    else:
        asyncio.run(serve_smtp(args.port))


if __name__ == "__main__":
    main()
