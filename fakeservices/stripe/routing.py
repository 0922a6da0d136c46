"""The Stripe route table, built from the endpoints the resources declare.

Paths are matched segment by segment: a fixed segment is tried before an ``{id}`` in the same
place, so ``GET /v1/customers/search`` can never be taken by ``GET /v1/customers/{id}``, however
the resources are ordered. An id segment is printable ASCII (no spaces or control characters)
and not one of Stripe's fixed names (:data:`NOT_IDS`); anything else is an unrecognized URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fakeservices.stripe.model import Ctx, Endpoint, Resource

ID_SEGMENT = re.compile(r"[\x21-\x7e]+")
#: Names Stripe uses as fixed segments beside ``{id}`` (``/v1/customers/search``): never an id,
#: so they stay unrecognized URLs until the resource that serves them exists.
NOT_IDS = frozenset({"search"})
PARAM = "{id}"


@dataclass(frozen=True)
class Route:
    """An endpoint bound to the resource that serves it."""

    endpoint: Endpoint
    resource: Resource

    def __call__(self, ctx: Ctx, params: dict[str, Any], ids: tuple[str, ...]) -> Any:
        return self.endpoint.handler(self.resource, ctx, params, *ids)


@dataclass
class _Node:
    fixed: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    methods: dict[str, Route] = field(default_factory=dict)


class RouteTable:
    def __init__(self, resources: list[Resource] | tuple[Resource, ...]) -> None:
        self._root = _Node()
        #: ``(method, path)`` of the endpoints whose path has no ``{id}``: the walk below finds
        #: these first anyway (fixed segments win), so a dict lookup answers them directly.
        self._exact: dict[tuple[str, str], Route] = {}
        for resource in resources:
            for endpoint in resource.endpoints:
                route = Route(endpoint, resource)
                self._add(route)
                if PARAM not in endpoint.path:
                    self._exact[(endpoint.method, endpoint.path)] = route

    def _add(self, route: Route) -> None:
        node = self._root
        for seg in route.endpoint.path.strip("/").split("/"):
            if seg == PARAM:
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.fixed.setdefault(seg, _Node())
        method = route.endpoint.method
        if method in node.methods:
            raise ValueError(f"two endpoints for {method} {route.endpoint.path}")
        node.methods[method] = route

    def match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
        """The route for ``method path`` and the ids in the path, or None (unrecognized)."""
        exact = self._exact.get((method, path))
        if exact is not None:
            return exact, ()
        if not path.startswith("/"):
            return None
        return self._walk(self._root, path[1:].split("/"), 0, method, ())

    def _walk(
        self, node: _Node, segs: list[str], i: int, method: str, ids: tuple[str, ...]
    ) -> tuple[Route, tuple[str, ...]] | None:
        if i == len(segs):
            route = node.methods.get(method)
            return None if route is None else (route, ids)
        head = segs[i]
        fixed = node.fixed.get(head)
        if fixed is not None:
            found = self._walk(fixed, segs, i + 1, method, ids)
            if found is not None:
                return found
        if node.param is not None and head not in NOT_IDS and ID_SEGMENT.fullmatch(head):
            return self._walk(node.param, segs, i + 1, method, (*ids, head))
        return None
