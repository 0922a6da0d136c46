"""The Twilio REST wire: ``/2010-04-01/Accounts/{AccountSid}/Messages...`` over Starlette.

Parses Basic auth and form bodies, calls :class:`~fakeservices.sms.model.SmsModel`, renders
Twilio's JSON and its error envelope ``{"code","message","more_info","status"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.http import BodyTooLarge, FastJSONResponse, basic_credentials, read_body
from fakeservices.core.routing import HandlerApp
from fakeservices.sms.errors import INVALID_USERNAME, NO_CREDENTIALS, TwilioError
from fakeservices.sms.lifecycle import Lifecycle
from fakeservices.sms.model import API_VERSION, ListFilter, Message, SmsModel
from fakeservices.sms.render import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    media_json,
    message_json,
    page_json,
)

log = logging.getLogger("fakeservices.sms")

PREFIX = f"/{API_VERSION}"
#: Request bodies larger than this are refused without parsing (a valid Message create is a
#: few KiB at most: 1600 body characters and ten media URLs).
MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
#: List filters the Messages list takes, in the order they are echoed into paging links.
LIST_FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")
ALLOW_COLLECTION = "GET, POST"
ALLOW_INSTANCE = "GET, POST, DELETE"

Handler = Callable[[Request], Awaitable[Response]]


def twilio_error(error: TwilioError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if error.status == 401 else None
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


def authenticate(request: Request, account: str) -> str:
    """Check Basic auth against the URL's Account SID; return the auth token (password).

    The user must be the URL's Account SID, or an API key SID (``SK...``) acting for it.
    """
    creds = basic_credentials(request.headers.get("authorization"))
    if creds is None or not all(creds):
        raise TwilioError.of(NO_CREDENTIALS)
    user, password = creds
    if user != account and not user.startswith("SK"):
        raise TwilioError.of(INVALID_USERNAME)
    return password


async def read_form(request: Request) -> dict[str, list[str]]:
    """The form parameters of a POST; a non-form body carries none (as on Twilio)."""
    try:
        raw = await read_body(request, MAX_FORM_BYTES)
    except BodyTooLarge:
        raise TwilioError.of(21617) from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE or not raw:
        return {}
    return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)


def _parse_date(name: str, raw: str) -> date | datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TwilioError(
            30400, 400, f"Parameters are not valid: {name} must be YYYY-MM-DD, got {raw!r}"
        ) from None


def _int_param(raw: str | None, default: int, lo: int, hi: int) -> int:
    if raw is None or not raw.strip().lstrip("-").isdigit():
        return default
    return min(max(int(raw), lo), hi)


class SmsWire:
    def __init__(self, model: SmsModel, lifecycle: Lifecycle) -> None:
        self.model = model
        self.lifecycle = lifecycle

    # -- plumbing --------------------------------------------------------------------------
    def _account(self, request: Request) -> tuple[str, str]:
        account: str = request.path_params["account_sid"]
        request.state.account = account
        return account, authenticate(request, account)

    def _message(self, request: Request, account: str) -> Message:
        sid: str = request.path_params["sid"]
        message = self.model.get(account, sid)
        if message is None:
            raise TwilioError.of(20404, path=request.url.path)
        return message

    def _not_allowed(self, allow: str) -> Response:
        error = TwilioError.of(20004)
        return JSONResponse(error.to_json(), status_code=error.status, headers={"Allow": allow})

    # -- endpoints -------------------------------------------------------------------------
    async def messages(self, request: Request) -> Response:
        account, token = self._account(request)
        if request.method == "POST":
            params = await read_form(request)
            message = self.model.create(account, token, params)
            self.lifecycle.begin(message)
            # Twilio's resources hold no floats (prices are strings): orjson renders them alike.
            return FastJSONResponse(message_json(message), status_code=201)
        if request.method in ("GET", "HEAD"):
            return self.list_messages(request, account)
        return self._not_allowed(ALLOW_COLLECTION)

    def list_messages(self, request: Request, account: str) -> Response:
        q = request.query_params
        filters = [(k, v) for k, v in q.multi_items() if k in LIST_FILTERS]
        pred = ListFilter(to=q.get("To"), from_=q.get("From"))
        for name, op in (("DateSent", "="), ("DateSent<", "<"), ("DateSent>", ">")):
            for raw in q.getlist(name):
                pred.date_sent.append((op, _parse_date(name, raw)))
        page_size = _int_param(q.get("PageSize"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        page = _int_param(q.get("Page"), 0, 0, 10**9)
        token = q.get("PageToken") or None
        records = self.model.newest_first(account, pred)
        start = page * page_size
        if token and len(token) > 2:
            sids = [m.sid for m in records]
            anchor = token[2:]
            if anchor in sids:
                at = sids.index(anchor)
                start = at + 1 if token.startswith("PA") else max(at - page_size, 0)
        items = records[start : start + page_size]
        more = start + page_size < len(records)
        body = page_json(
            account,
            items,
            filters=filters,
            page=page,
            page_size=page_size,
            token=token,
            next_token=f"PA{items[-1].sid}" if more and items else None,
            previous_token=f"PB{items[0].sid}" if items else None,
        )
        return FastJSONResponse(body)

    async def message(self, request: Request) -> Response:
        account, _token = self._account(request)
        message = self._message(request, account)
        if request.method in ("GET", "HEAD"):
            return FastJSONResponse(message_json(message))
        if request.method == "POST":
            params = await read_form(request)
            body = params.get("Body", [None])[0]
            status = params.get("Status", [None])[0]
            updated = self.model.update(message, body, status)
            self.lifecycle.wake(updated)  # a canceled scheduled message stops waiting
            return FastJSONResponse(message_json(updated))
        if request.method == "DELETE":
            self.model.delete(message)
            return Response(status_code=204)
        return self._not_allowed(ALLOW_INSTANCE)

    async def media(self, request: Request) -> Response:
        """``Messages/{sid}/Media.json``: the media of a message (Twilio's list envelope)."""
        account, _token = self._account(request)
        message = self._message(request, account)
        if request.method not in ("GET", "HEAD"):
            return self._not_allowed("GET")
        path = f"{PREFIX}/Accounts/{account}/Messages/{message.sid}/Media.json"
        return JSONResponse(
            {
                "end": max(len(message.media_urls) - 1, 0),
                "first_page_uri": f"{path}?PageSize=50&Page=0",
                "media_list": media_json(message),
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{path}?PageSize=50&Page=0",
            }
        )

    async def not_found(self, request: Request) -> Response:
        account = request.path_params.get("account_sid")
        if account is not None:
            self._account(request)
        raise TwilioError.of(20404, path=request.url.path)

    # -- routing ---------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        every = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        acct = f"{PREFIX}/Accounts/{{account_sid}}"

        def app(handler: Handler) -> HandlerApp:
            return HandlerApp(guarded(handler))

        return [
            Route(f"{acct}/Messages.json", app(self.messages), methods=every),
            Route(f"{acct}/Messages/{{sid}}.json", app(self.message), methods=every),
            Route(f"{acct}/Messages/{{sid}}/Media.json", app(self.media), methods=every),
            Route(f"{acct}/{{rest:path}}", app(self.not_found), methods=every),
            Route(f"{PREFIX}/{{rest:path}}", app(self.not_found), methods=every),
            Route(PREFIX, app(self.not_found), methods=every),
        ]


def guarded(handler: Handler) -> Handler:
    """Render :class:`TwilioError` (and any bug) in Twilio's envelope; the server keeps serving."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except TwilioError as error:
            return twilio_error(error)
        except Exception:
            log.exception("SMS handler failed on %s %s", request.method, request.url.path)
            return twilio_error(TwilioError.of(20500))

    return run
