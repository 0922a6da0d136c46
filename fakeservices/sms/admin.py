"""Admin read-back of sent SMS: ``/__admin/sms`` (list, get, delete, wait) via core Readback."""

from __future__ import annotations

from collections.abc import Callable

from fakeservices.core.openapi import Param
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.core.store import Store
from fakeservices.sms.model import ALL_STATUSES, Message
from fakeservices.sms.render import admin_json, summary


def sms_filters(q: Query) -> Callable[[Message], bool] | None:
    """``to``/``from`` match exactly (case-insensitive), ``body`` is a substring, ``status``."""
    to, from_, body = q.text("to"), q.text("from"), q.text("body")
    status = q.choice("status", ALL_STATUSES)
    if not (to or from_ or body or status):
        return None
    to_l = to.lower() if to else None
    from_l = from_.lower() if from_ else None
    body_l = body.lower() if body else None

    def pred(m: Message) -> bool:
        return (
            (to_l is None or m.to.lower() == to_l)
            and (from_l is None or (m.from_ or "").lower() == from_l)
            and (body_l is None or body_l in m.body.lower())
            and (status is None or m.status == status)
        )

    return pred


def sms_readback(store: Store[Message]) -> Readback[Message]:
    return Readback[Message](
        name="sms",
        store=store,
        filters=sms_filters,
        to_json=admin_json,
        summary=summary,
        filter_params=[
            Param("to", description="recipient number, exact (case-insensitive)"),
            Param("from", description="sender, exact (case-insensitive)"),
            Param("body", description="case-insensitive substring of the body"),
            Param("status", description="current status, e.g. delivered"),
        ],
        noun="message",
    )
