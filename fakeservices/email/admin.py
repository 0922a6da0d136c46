"""Admin read-back of the inbox: ``/__admin/emails`` (list/get/wait/delete), raw, attachments."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.email.mime import attachment_bytes
from fakeservices.email.model import SOURCES, Inbox, StoredEmail, email_filter


def _filters(q: Query) -> Callable[[StoredEmail], bool] | None:
    return email_filter(
        to=q.text("to"),
        from_=q.text("from"),
        subject=q.text("subject"),
        source=q.choice("source", SOURCES),
        body=q.text("body"),
        tag=q.text("tag"),
    )


FILTER_PARAMS = [
    Param("to", description="a recipient (to, cc, bcc or envelope), case-insensitive exact"),
    Param("from", description="the sender (From header or envelope), case-insensitive exact"),
    Param("subject", description="case-insensitive substring of the subject"),
    Param("source", description="|".join(SOURCES)),
    Param("body", description="case-insensitive substring of the text or HTML body"),
    Param("tag", description="one of the message's tags (categories, o:tag, Tag)"),
]


class EmailAdmin:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.readback = Readback[StoredEmail](
            name="emails",
            store=inbox.store,
            filters=_filters,
            to_json=StoredEmail.to_json,
            summary=StoredEmail.summary,
            filter_params=FILTER_PARAMS,
            noun="email",
        )

    def _lookup(self, request: Request) -> StoredEmail:
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        email_id = request.path_params["id"]
        message = self.inbox.get(email_id, account)
        if message is None:
            raise AdminError(404, "not_found", f"No email with id {email_id!r}")
        return message

    async def raw(self, request: Request) -> Response:
        message = self._lookup(request)
        return Response(message.raw, media_type="message/rfc822")

    async def attachment(self, request: Request) -> Response:
        message = self._lookup(request)
        raw_n = request.path_params["n"]
        try:
            n = int(raw_n)
        except ValueError:
            n = -1
        if not 0 <= n < len(message.attachments):
            raise AdminError(
                404,
                "not_found",
                f"Email {message.id!r} has no attachment {raw_n!r} "
                f"({len(message.attachments)} attachments, numbered from 0)",
            )
        info = message.attachments[n]
        headers = {}
        if info.filename:
            safe = info.filename.replace('"', "").replace("\r", "").replace("\n", "")
            ascii_name = safe.encode("ascii", "replace").decode("ascii")
            headers["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
        return Response(
            attachment_bytes(message.raw, info), media_type=info.content_type, headers=headers
        )

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        routes = self.readback.routes(doc)
        path_id = Param("id", location="path")
        account = Param("account", description="only if the email belongs to this account")
        doc.add(
            "GET",
            "/__admin/emails/{id}/raw",
            "The message as received (SMTP: byte-exact; HTTP sends: the rendered RFC 5322 message)",
            [path_id, account],
            {200: "message/rfc822 bytes", 404: "No such email"},
            schema={"type": "string", "format": "binary"},
            response_type="message/rfc822",
        )
        doc.add(
            "GET",
            "/__admin/emails/{id}/attachments/{n}",
            "The decoded bytes of attachment n (from 0), with its content type",
            [path_id, Param("n", "integer", location="path"), account],
            {200: "The attachment bytes", 404: "No such email or attachment"},
            schema={"type": "string", "format": "binary"},
            response_type="application/octet-stream",
        )
        # After the readback routes: "/emails/wait" must win over "/emails/{id}".
        return [
            *routes,
            Route("/emails/{id}/raw", self.raw, methods=["GET"]),
            Route("/emails/{id}/attachments/{n}", self.attachment, methods=["GET"]),
        ]
