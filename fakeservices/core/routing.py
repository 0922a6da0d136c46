"""A Starlette router that tries only the routes that can match a path's first segment.

Starlette's :class:`~starlette.routing.Router` tries every route's regular expression in order
until one matches: a Mailgun or Postmark send went through ten of them, and route matching was a
sixth of a health request. Most routes start with a literal first segment (``/v3/...``,
``/2010-04-01/...``, the ``/__admin`` mount), so they can only match paths under it.
:class:`IndexedRouter` groups the routes by that segment once; a request is routed by a plain
Starlette router holding that group plus the routes that might match anything (a path parameter
in the first segment, a route type it does not know), in their original order.

The answer is the one the full router gives: the routes left out cannot match the path, nor the
path with its trailing slash added or removed (the redirect check), since both have the same
first segment; what Starlette does with the candidates (first full match, else the first partial
one for a 405, else a redirect, else the 404) is its own code.

It also remembers where a path went. A request is matched against regular expressions at every
level (the ``/__admin`` mount, then the admin router's routes) although the same method and path
always end at the same route with the same path parameters: :class:`IndexedRouter` keeps, per
(method, path), the route a full match ends at and what matching adds to the scope, and hands
the next request for it straight to that route. Only full matches through plain ``Route`` and
``Mount`` (of an :class:`IndexedRouter`) steps are kept, whose matching depends on nothing but
the method, the path and the root path; anything else (a 405, a redirect, a 404, another route
type) goes through the routers every time, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

#: Paths remembered per router (then forgotten all at once: ids in paths make most unique).
REMEMBERED_PATHS = 4096
#: Longer paths are routed every time, not remembered.
REMEMBERED_PATH_CHARS = 256

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_UNKNOWN: Any = object()


class PathMemory(Generic[K, V]):
    """What was worked out for a request's (method, path...) key, remembered, bounded.

    Routing answers depend on nothing but the key, so the first answer stands for every later
    one. Paths with ids in them rarely repeat, so the memory is bounded: past ``entries`` keys it
    is forgotten all at once and refilled, and a path longer than ``path_chars`` is worked out
    every time instead of kept. ``None`` is an answer like any other (remembered too).
    """

    def __init__(self, entries: int, path_chars: int) -> None:
        self.entries = entries
        self.path_chars = path_chars
        self._known: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._known)

    def values(self) -> list[V]:
        return list(self._known.values())

    def recall(self, key: K, path: str, work_out: Callable[..., V], *args: Any) -> V:
        """The answer for ``key`` (whose path is ``path``): remembered, or ``work_out(*args)``."""
        found: V = self._known.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = work_out(*args)
            if len(path) <= self.path_chars:
                if len(self._known) >= self.entries:
                    self._known.clear()
                self._known[key] = found
        return found


def first_segment(route: BaseRoute) -> str | None:
    """The first path segment every path ``route`` matches starts with, or None if it can match
    paths under several (or if it is a kind of route this does not know)."""
    if type(route) is Route:
        literal = route.path.split("{", 1)[0]
        if "{" not in route.path:
            return literal[1:].partition("/")[0]  # a static path: itself ("" for "/")
    elif type(route) is Mount:
        literal = route.path.split("{", 1)[0] + ("/" if "{" not in route.path else "")
    else:
        return None
    segment, slash, _ = literal[1:].partition("/")
    # "/v3/{domain}" has it whole; "/{x}" or "/v{n}/..." do not.
    return segment if slash and segment else None


class IndexedRouter(Router):
    """:class:`Router` that hands each HTTP request to the sub-router for its first segment."""

    def __init__(self, routes: Sequence[BaseRoute], redirect_slashes: bool = True) -> None:
        super().__init__(routes, redirect_slashes=redirect_slashes)
        indexed = [(route, first_segment(route)) for route in self.routes]
        self._groups: dict[str, Router] = {
            name: self._sub([r for r, s in indexed if s in (name, None)])
            for name in {s for _, s in indexed if s is not None}
        }
        self._others = self._sub([r for r, s in indexed if s is None])
        # (method, path, root_path) -> (route, what routing adds to the scope), or None.
        self._known: PathMemory[tuple[str, str, str], tuple[BaseRoute, dict[str, Any]] | None] = (
            PathMemory(REMEMBERED_PATHS, REMEMBERED_PATH_CHARS)
        )

    def _sub(self, routes: list[BaseRoute]) -> Router:
        return Router(routes, redirect_slashes=self.redirect_slashes, default=self.default)

    def _group(self, scope: Scope) -> Router:
        return self._groups.get(get_route_path(scope)[1:].partition("/")[0], self._others)

    def resolve(self, scope: Scope) -> tuple[BaseRoute, dict[str, Any]] | None:
        """The route an HTTP request for ``scope`` ends at on a full match, and the scope items
        the routers on the way would set; None where that is not a chain of plain steps."""
        for route in self._group(scope).routes:
            match, child = route.matches(scope)
            if match is not Match.FULL:
                continue  # a partial match (405) counts only if no route matches fully
            if type(route) is Route:
                return route, {**child, "route": route}
            if type(route) is Mount and isinstance(route.app, IndexedRouter):
                inner = route.app.resolve({**scope, **child})
                return None if inner is None else (inner[0], {**child, **inner[1]})
            return None
        return None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        # url_for and friends look up names in scope["router"]: it stays this full router.
        if "router" not in scope:
            scope["router"] = self
        if "path_params" not in scope:  # not under a mount: the key says it all
            path: str = scope["path"]
            key = (scope["method"], path, scope.get("root_path", ""))
            known = self._known.recall(key, path, self.resolve, scope)
            if known is not None:
                route, child = known
                scope.update(child)
                scope["path_params"] = dict(child["path_params"])  # the handler's own copy
                await route.handle(scope, receive, send)
                return
        await self._group(scope).app(scope, receive, send)


class HandlerApp:
    """The ASGI app of a ``handler(request) -> response``: Starlette's ``request_response``
    without its per-request exception wrapper, which repeats the app's exception middleware (a
    guarded handler, an email provider's or Twilio's, never even reaches it). Given to a
    ``Route`` as its endpoint, it is served as an ASGI app: method checks and path parameters are
    the ``Route``'s as before; the Stripe wire's ``PrefixRoute`` serves its endpoint with it."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive, send))
        await response(scope, receive, send)
