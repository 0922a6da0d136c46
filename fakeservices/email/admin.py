"""Admin read-back of the inbox: ``/__admin/emails`` (list/get/wait/delete), raw, attachments.

Filters other than ``body`` read only the head of a message, so listing and waiting do not parse
bodies; rendering a message in full does (big ones in a worker thread), and ``view=summary``
lists the heads alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.email.mime import attachment_bytes
from fakeservices.email.model import Inbox, StoredEmail, email_filter, off_loop


def _filters(sources: tuple[str, ...]) -> Callable[[Query], Callable[[StoredEmail], bool] | None]:
    def read(q: Query) -> Callable[[StoredEmail], bool] | None:
        return email_filter(
            to=q.text("to"),
            from_=q.text("from"),
            subject=q.text("subject"),
            source=q.choice("source", sources),
            body=q.text("body"),
            tag=q.text("tag"),
        )

    return read


async def parse_bodies(mails: Sequence[StoredEmail]) -> None:
    """Parse the bodies about to be shown, each big one off the event loop."""
    for mail in mails:
        if not mail.parsed:
            await off_loop(mail.content.size_hint, mail.body)


def filter_params(sources: tuple[str, ...]) -> list[Param]:
    return [
        Param("to", description="a recipient (to, cc, bcc or envelope), case-insensitive exact"),
        Param("from", description="the sender (From header or envelope), case-insensitive exact"),
        Param("subject", description="case-insensitive substring of the subject"),
        Param("source", description="|".join(sources)),
        Param("body", description="case-insensitive substring of the text or HTML body"),
        Param("tag", description="one of the message's tags (categories, o:tag, Tag)"),
    ]


class EmailAdmin:
    def __init__(self, inbox: Inbox, sources: tuple[str, ...]) -> None:
        """``sources``: the values of a stored mail's ``source`` (smtp and each provider)."""
        self.inbox = inbox
        self.readback = Readback[StoredEmail](
            name="emails",
            store=inbox.store,
            filters=_filters(sources),
            to_json=StoredEmail.to_json,
            summary=StoredEmail.summary,
            filter_params=filter_params(sources),
            noun="email",
            brief=StoredEmail.head_json,
            prepare=parse_bodies,
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
        # An HTTP send is rendered on its first read (SMTP bytes are at hand).
        raw = await off_loop(message.content.size_hint, message.content.raw)
        return Response(raw, media_type="message/rfc822")

    async def attachment(self, request: Request) -> Response:
        message = self._lookup(request)
        await parse_bodies([message])
        raw_n = request.path_params["n"]
        try:
            n = int(raw_n)
        except ValueError:
            n = -1
        attachments = message.body().attachments
        if not 0 <= n < len(attachments):
            raise AdminError(
                404,
                "not_found",
                f"Email {message.id!r} has no attachment {raw_n!r} "
                f"({len(attachments)} attachments, numbered from 0)",
            )
        info = attachments[n]
        headers = {}
        if info.filename:
            safe = info.filename.replace('"', "").replace("\r", "").replace("\n", "")
            ascii_name = safe.encode("ascii", "replace").decode("ascii")
            headers["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
        data = await off_loop(message.size, lambda: attachment_bytes(message.raw, info))
        return Response(data, media_type=info.content_type, headers=headers)

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
