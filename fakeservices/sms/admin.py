"""Admin API of the SMS fake: read-back of ``/__admin/sms`` (list, get, delete, wait) via core
Readback, and ``POST /__admin/sms/{sid}/send-now`` for scheduled messages."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.core.store import Store
from fakeservices.sms.lifecycle import Lifecycle
from fakeservices.sms.model import ALL_STATUSES, Message, SmsModel
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


class SendNow:
    """``POST /__admin/sms/{sid}/send-now``: a scheduled message is sent without waiting."""

    def __init__(self, model: SmsModel, lifecycle: Lifecycle) -> None:
        self.model = model
        self.lifecycle = lifecycle

    async def send_now(self, request: Request) -> Response:
        sid: str = request.path_params["sid"]
        message = self.model.store.get(sid)
        if message is None:
            raise AdminError(404, "not_found", f"No message {sid}")
        if not self.model.send_now(message):
            raise AdminError(
                409,
                "not_scheduled",
                f"Message {sid} is {message.status}, not scheduled: only a scheduled message "
                "can be sent now",
                message_status=message.status,
            )
        self.lifecycle.wake(message)
        return JSONResponse(admin_json(message), status_code=202)

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        doc.add(
            "POST",
            "/__admin/sms/{sid}/send-now",
            "Send a scheduled message now (it then goes through its lifecycle)",
            [Param("sid", location="path")],
            {
                202: "The message, still scheduled; wait for its next status",
                404: "No such message",
                409: "The message is not scheduled",
            },
        )
        return [Route("/sms/{sid}/send-now", self.send_now, methods=["POST"])]
