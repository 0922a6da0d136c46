"""The web UI: plain HTML, CSS and JavaScript shipped in the package, served at ``/__admin/ui/``.

No build step and nothing from the internet. Every URL the page uses is relative, so it works
behind a path prefix or a port mapping. It reads the admin API and follows ``/__admin/events``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}

#: The page's own policy: its files and the admin API only; mail is framed from the same origin.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


@cache
def static_file(name: str) -> bytes | None:
    """A file of ``fakeservices/ui/static`` by name (no directories), or None."""
    if "/" in name or name.startswith("."):
        return None
    path = resources.files("fakeservices.ui").joinpath("static", name)
    return path.read_bytes() if path.is_file() else None


def page(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    data = static_file(name) if suffix in TYPES else None
    if data is None:
        raise AdminError(404, "not_found", f"No UI file {name!r}")
    return Response(
        data,
        media_type=TYPES[suffix],
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def index(request: Request) -> Response:
    return page("index.html")


async def asset(request: Request) -> Response:
    return page(request.path_params["name"])


async def to_slash(request: Request) -> Response:
    # Relative, so a path prefix in front of the server is kept.
    return RedirectResponse("ui/", status_code=307)


def routes(doc: ApiDoc) -> list[BaseRoute]:
    doc.add(
        "GET",
        "/__admin/ui/",
        "The web UI (HTML; live over /__admin/events)",
        schema={"type": "string"},
        response_type="text/html",
    )
    return [
        Route("/ui", to_slash, methods=["GET"]),
        Route("/ui/", index, methods=["GET"]),
        Route("/ui/{name}", asset, methods=["GET"]),
    ]
