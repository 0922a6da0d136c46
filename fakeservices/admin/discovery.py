"""Discovery: ``GET /`` says what this server is and how to point each SDK at it; ``GET /__admin/``
lists the admin endpoints. Both answer JSON (curl, scripts); to a browser, ``/`` redirects to the
web UI (which shows the same index) and ``/__admin/`` is a small HTML page
(:mod:`fakeservices.admin.index_page`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fakeservices import __version__
from fakeservices.admin.index_page import admin_index_html
from fakeservices.core.runtime import Runtime

#: What each fake is and how its SDKs are pointed at ``{url}`` (docs in docs/<name>.md).
FAKES: dict[str, dict[str, Any]] = {
    "stripe": {
        "title": "Payment gateway (Stripe API /v1)",
        "sdks": {
            "stripe (Python)": 'stripe.api_base = "{url}"  # or StripeClient(key, '
            'base_addresses={{"api": "{url}"}})',
            "stripe (Node)": 'new Stripe(key, {{host: "{host}", port: {port}, protocol: "http"}})',
            "curl": "curl {url}/v1/customers -u sk_test_...:",
        },
    },
    "sms": {
        "title": "SMS sink (Twilio Messages API)",
        "sdks": {
            "twilio (Python)": 'client = Client(sid, token); client.api.base_url = "{url}"',
            "curl": "curl {url}/2010-04-01/Accounts/AC.../Messages.json -u AC...:token",
        },
    },
    "email": {
        "title": "Email inbox (SMTP, SendGrid, Mailgun, Postmark)",
        "sdks": {
            "smtplib": 'smtplib.SMTP("{host}", {smtp_port})',
            "sendgrid": 'SendGridAPIClient(api_key, host="{url}")',
            "Mailgun HTTP API": "{url}/v3/{{domain}}/messages",
            "Postmark HTTP API": "{url}/email",
        },
    },
}

ADMIN_LINKS = {
    "ui": "/__admin/ui/",
    "index": "/__admin/",
    "docs": "/__admin/docs",
    "openapi": "/__admin/openapi.json",
    "health": "/__admin/health",
    "emails": "/__admin/emails",
    "sms": "/__admin/sms",
    "requests": "/__admin/requests",
    "webhook_deliveries": "/__admin/webhook-deliveries",
    "stripe_events": "/__admin/stripe/events",
    "faults": "/__admin/faults",
    "metrics": "/__admin/metrics",
    "events": "/__admin/events",
    "accounts": "/__admin/accounts",
}


def wants_html(request: Request) -> bool:
    """True when the client (a browser) prefers HTML to JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and accept.find("text/html") < _json_pos(accept)


def _json_pos(accept: str) -> int:
    pos = accept.find("application/json")
    return len(accept) + 1 if pos < 0 else pos


class Discovery:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def index_json(self, request: Request) -> dict[str, Any]:
        url = str(request.base_url).rstrip("/")
        host = request.url.hostname or self.runtime.config.host
        port = request.url.port or 80
        smtp_port = self.runtime.smtp_port
        fill = {"url": url, "host": host, "port": port, "smtp_port": smtp_port}
        fakes = []
        for service in self.runtime.services:
            known = FAKES.get(service.name, {"title": service.name, "sdks": {}})
            fakes.append(
                {
                    "name": service.name,
                    "title": known["title"],
                    "base_url": url,
                    "sdks": {k: v.format(**fill) for k, v in known["sdks"].items()},
                }
            )
        return {
            "name": "fakeservices",
            "version": __version__,
            "base_url": url,
            "smtp": {"host": host, "port": smtp_port, "url": f"smtp://{host}:{smtp_port}"},
            "fakes": fakes,
            "admin": {name: url + path for name, path in ADMIN_LINKS.items()},
        }

    async def root(self, request: Request) -> Response:
        if wants_html(request):
            # Relative, so a path prefix or port mapping in front of the server is kept.
            return RedirectResponse("__admin/ui/", status_code=307)
        return JSONResponse(self.index_json(request))

    async def admin_index(self, request: Request) -> Response:
        url = str(request.base_url).rstrip("/")
        endpoints = [
            {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
            for path, ops in sorted(self.runtime.api_doc.paths.items())
            for method, op in ops.items()
        ]
        index = {
            "name": "fakeservices admin API",
            "version": __version__,
            "ui": f"{url}/__admin/ui/",
            "docs": f"{url}/__admin/docs",
            "openapi": f"{url}/__admin/openapi.json",
            "endpoints": endpoints,
        }
        if wants_html(request):
            return HTMLResponse(admin_index_html(index))
        return JSONResponse(index)
