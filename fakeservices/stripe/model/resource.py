"""What a Stripe resource declares: its endpoints, expandable fields and sub-lists.

A resource is a class (``Customers``, ``PaymentIntents``...) built with the collaborators it
needs. Its class attributes say how the wire reaches it:

- ``endpoints``: each :class:`Endpoint` is a method, a path (``{id}`` for an id segment), the
  parameter schema and the handler, a function of the class called as
  ``handler(resource, ctx, params, *ids)``;
- ``expandable``: per object kind it owns, the fields ``expand[]`` may replace by the object;
- ``sublists``: fields of its objects that only appear when expanded (``charge.refunds``), each
  served by one of its ``GET`` endpoints whose only id is the parent's.

The wire builds its route table from the tuple of resources the model composes
(:attr:`StripeModel.resources`); nothing else lists endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Obj

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    #: ``/v1/customers/{id}/payment_methods``: ``{id}`` stands for one id segment.
    path: str
    params: P.Obj
    handler: Handler


@dataclass
class Page:
    """One page of a list endpoint, newest first; the wire renders Stripe's list envelope."""

    items: list[Obj]
    has_more: bool


class Resource:
    """Base of the resource classes: the declarations the wire reads (empty by default)."""

    endpoints: ClassVar[tuple[Endpoint, ...]] = ()
    expandable: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: ``(object kind, field) -> the GET endpoint listing it``.
    sublists: ClassVar[Mapping[tuple[str, str], Endpoint]] = {}
