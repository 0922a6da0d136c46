"""Admin read-back of the inbox: ``/__admin/emails`` (list/get/wait/delete), raw, attachments.

Filters other than ``body`` read only the head of a message, so listing and waiting do not parse
bodies; ``body`` has the bodies it reads parsed in a worker thread first; rendering a message in
full parses it (big ones in a worker thread), and ``view=summary`` lists the heads alone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query
from fakeservices.core.readback import Readback
from fakeservices.email.mime import attachment_bytes
from fakeservices.email.model import Inbox, StoredEmail, email_filter, off_loop

#: The policy of a mail's HTML as the web UI frames it: no script, no form, no plugin, no remote
#: content (its own inline images excepted); ``sandbox`` also applies when it is opened alone.
HTML_CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; form-action 'none'; "
    "base-uri 'none'; style-src 'unsafe-inline'; font-src data:; img-src {img}; "
    "frame-ancestors 'self'; sandbox"
)
LOCAL_IMAGES = "'self' data:"
REMOTE_IMAGES = "'self' data: http: https:"
_CID = re.compile(r"""(["'(])cid:([^"')\s]+)""", re.IGNORECASE)


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


def _read_texts(mails: Sequence[StoredEmail]) -> None:
    for mail in mails:
        mail.content.texts()


async def texts_off_loop(mails: Sequence[StoredEmail]) -> None:
    """Parse (in one worker thread) what a ``body`` filter reads of the mails not parsed yet."""
    todo = [m for m in mails if not m.parsed]
    if todo:
        await asyncio.to_thread(_read_texts, todo)


def _filter_prepare(q: Query) -> Callable[[Sequence[StoredEmail]], Awaitable[None]] | None:
    """Only ``body`` reads past the head: its bodies are parsed off the loop first."""
    return texts_off_loop if q.text("body") is not None else None


def _weight(mail: StoredEmail) -> int:
    """What a mail's full JSON weighs: about its size (text and HTML are decoded from it)."""
    return mail.content.size_hint


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
            filter_prepare=_filter_prepare,
            weight=_weight,
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

    async def html(self, request: Request) -> Response:
        """The HTML part alone, with a policy that blocks scripts, forms and remote images."""
        q = Query(request.query_params)
        account = q.text("account")
        remote = q.choice("remote_images", ("0", "1")) == "1"
        q.done()
        email_id = request.path_params["id"]
        message = self.inbox.get(email_id, account)
        if message is None:
            raise AdminError(404, "not_found", f"No email with id {email_id!r}")
        await parse_bodies([message])
        body = message.body()
        if body.html is None:
            raise AdminError(404, "not_found", f"Email {email_id!r} has no HTML part")
        # Inline images (cid:...) point at the mail's own attachments, relative to this URL.
        cids = {a.content_id.strip("<>"): n for n, a in enumerate(body.attachments) if a.content_id}

        def inline(m: re.Match[str]) -> str:
            n = cids.get(m.group(2))
            return m.group(0) if n is None else f"{m.group(1)}attachments/{n}"

        page = _CID.sub(inline, body.html) if cids else body.html
        csp = HTML_CSP.format(img=REMOTE_IMAGES if remote else LOCAL_IMAGES)
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Security-Policy": csp,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
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
        doc.add(
            "GET",
            "/__admin/emails/{id}/html",
            "The HTML part, under a Content-Security-Policy that blocks scripts, forms and "
            "remote images (remote_images=1 allows images from anywhere); cid: images are "
            "served from the attachments",
            [path_id, account, Param("remote_images", description="1 to load remote images")],
            {200: "text/html", 404: "No such email, or it has no HTML part"},
            schema={"type": "string"},
            response_type="text/html",
        )
        # After the readback routes: "/emails/wait" must win over "/emails/{id}".
        return [
            *routes,
            Route("/emails/{id}/html", self.html, methods=["GET"]),
            Route("/emails/{id}/raw", self.raw, methods=["GET"]),
            Route("/emails/{id}/attachments/{n}", self.attachment, methods=["GET"]),
        ]
