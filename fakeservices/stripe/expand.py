"""``expand[]``: ids in a rendered object replaced by the objects, as the resources allow.

Each resource declares, per object kind, the fields that may be expanded (a dotted name reaches
into a plain container: ``invoice_settings.default_payment_method``) and its sub-lists, fields
that only appear when expanded (``charge.refunds``), served by one of its list endpoints.
"""

from __future__ import annotations

from collections.abc import Callable

from fakeservices.stripe.errors import invalid
from fakeservices.stripe.model import Ctx, Endpoint, Obj, Page, Resource
from fakeservices.stripe.objects import clone

#: Stripe's limit on how deep ``expand[]`` may reach.
MAX_DEPTH = 4
#: Items of a sub-list rendered when it is expanded.
SUBLIST_LIMIT = 100

Find = Callable[[str], "Obj | None"]


class Expander:
    def __init__(self, resources: list[Resource] | tuple[Resource, ...]) -> None:
        self.expandable: dict[str, frozenset[str]] = {}
        self.sublists: dict[tuple[str, str], tuple[Endpoint, Resource]] = {}
        self.includable: dict[tuple[str, str], tuple[str, Resource]] = {}
        for resource in resources:
            for key, method in resource.includable.items():
                self.includable[key] = (method, resource)
            for kind, fields in resource.expandable.items():
                self.expandable[kind] = self.expandable.get(kind, frozenset()) | fields
            for key, endpoint in resource.sublists.items():
                self.sublists[key] = (endpoint, resource)

    def apply(self, out: Obj, paths: list[str], ctx: Ctx, find: Find) -> None:
        """Expand each dotted path of ``expand[]`` in ``out`` (a rendered object or list)."""
        for item in paths:
            _Expansion(self, ctx, find, item).expand(out, item.split("."), 1)

    def sublist(self, ctx: Ctx, kind: str, name: str, parent_id: str) -> Obj | None:
        served = self.sublists.get((kind, name))
        if served is None:
            return None
        endpoint, resource = served
        page: Page = endpoint.handler(resource, ctx, {"limit": SUBLIST_LIMIT}, parent_id)
        return {
            "object": "list",
            "data": clone(page.items),
            "has_more": page.has_more,
            "total_count": len(page.items),
            "url": endpoint.path.replace("{id}", parent_id),
        }


class _Expansion:
    """One ``expand[]`` path being applied (for its error messages)."""

    def __init__(self, expander: Expander, ctx: Ctx, find: Find, full: str) -> None:
        self.expander = expander
        self.ctx = ctx
        self.find = find
        self.full = full

    def expand(self, obj: Obj, path: list[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. "
                f"Property: {self.full}",
                "expand",
                "property_expansion_max_depth",
            )
        head, rest = path[0], path[1:]
        if obj.get("object") in ("list", "search_result") and head == "data":
            if rest:
                for item in obj["data"]:
                    self.expand(item, rest, depth)
            return
        kind = str(obj.get("object"))
        included = self.expander.includable.get((kind, head))
        if included is not None:
            method, resource = included
            value = getattr(resource, method)(self.ctx, obj)
            obj[head] = value
            if rest and isinstance(value, dict):
                self.expand(value, rest, depth + 1)
            return
        if (kind, head) in self.expander.sublists:
            found = self.expander.sublist(self.ctx, kind, head, obj["id"])
            if found is not None:
                obj[head] = found
                if rest:
                    self.expand(found, rest, depth + 1)
            return
        allowed = self.expander.expandable.get(kind, frozenset())
        if head not in allowed and rest and f"{head}.{rest[0]}" in allowed:
            # a field inside a plain container (customer.invoice_settings.default_payment_method)
            container = obj.get(head)
            if isinstance(container, dict):
                self._field(container, rest[0], rest[1:], depth)
            return
        if head not in allowed:
            raise invalid(f"This property cannot be expanded ({head}).", "expand")
        self._field(obj, head, rest, depth)

    def _field(self, obj: Obj, name: str, rest: list[str], depth: int) -> None:
        value = obj.get(name)
        if isinstance(value, str):
            found = self.find(value)
            if found is None:
                return
            value = obj[name] = clone(found)
        if rest and isinstance(value, dict):
            self.expand(value, rest, depth + 1)
