"""What a Stripe resource declares: its endpoints, expandable fields and sub-lists.

A resource is a class (``Customers``, ``PaymentIntents``...) built with the collaborators it
needs. Each handler method carries its routes::

    @endpoint("GET", "/v1/refunds/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, re_id: str) -> Obj: ...

- an :class:`Endpoint` is a method, a path (``{id}`` for an id segment), the parameter schema and
  the handler, called as ``handler(resource, ctx, params, *ids)``; the class collects its
  handlers' endpoints into ``endpoints``;
- ``sublist=(kind, field)`` on a ``GET`` endpoint whose only id is the parent's serves a field
  that only appears when expanded (``charge.refunds``);
- ``expandable``: per object kind the resource owns, the fields ``expand[]`` may replace.

The wire builds its route table from the resources the model composes
(:attr:`StripeModel.resources`); nothing else lists endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Obj

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)
#: Where :func:`endpoint` leaves its declarations on the handler function.
MARK = "__stripe_endpoints__"


@dataclass(frozen=True)
class Endpoint:
    method: str
    #: ``/v1/customers/{id}/payment_methods``: ``{id}`` stands for one id segment.
    path: str
    params: P.Obj
    handler: Handler
    #: ``(object kind, field)`` this list endpoint serves when the field is expanded.
    sublist: tuple[str, str] | None = None


def fields(names: str) -> frozenset[str]:
    """``fields("customer payment_method")``: a set of field names, for ``expandable``."""
    return frozenset(names.split())


def endpoint(
    method: str, path: str, params: P.Obj, sublist: tuple[str, str] | None = None
) -> Callable[[H], H]:
    """Declare that the decorated handler serves ``method path`` with the ``params`` schema."""

    def mark(handler: H) -> H:
        handler.__dict__.setdefault(MARK, []).append(
            Endpoint(method, path, params, handler, sublist)
        )
        return handler

    return mark


@dataclass
class Page:
    """One page of a list endpoint, newest first; the wire renders Stripe's list envelope."""

    items: list[Obj]
    has_more: bool


@dataclass
class SearchPage:
    """One page of a search endpoint; the wire renders Stripe's ``search_result`` envelope."""

    items: list[Obj]
    has_more: bool
    #: the ``page`` cursor of the next page (None on the last)
    next_page: str | None
    #: every match, rendered only when ``expand[]=total_count``
    total_count: int


class Resource:
    """Base of the resource classes: collects the endpoints its handlers declare."""

    endpoints: ClassVar[tuple[Endpoint, ...]] = ()
    expandable: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: ``(object kind, field) -> the GET endpoint listing it``.
    sublists: ClassVar[Mapping[tuple[str, str], Endpoint]] = {}
    #: ``(object kind, field) -> the name of a method (ctx, obj) -> value``: fields that only
    #: appear when expanded and are not a list (``invoice.confirmation_secret``).
    includable: ClassVar[Mapping[tuple[str, str], str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = [e for v in vars(cls).values() for e in getattr(v, MARK, ())]
        cls.endpoints = tuple(declared)
        cls.sublists = {e.sublist: e for e in declared if e.sublist is not None}
