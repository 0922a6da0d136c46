"""Stripe's HTTP wire: auth, form decoding, routing to the model, JSON and error rendering.

Every ``/v1/...`` request comes through :meth:`StripeWire.handle`: it authenticates the secret
key (the account), decodes the bracket-syntax form, checks the endpoint's parameter schema,
applies Idempotency-Key replay, calls the model, expands ``expand[]`` paths and renders Stripe's
JSON (objects, list envelopes, ``{"error": {...}}`` with null keys omitted) with a
``Request-Id: req_...`` header.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from fakeservices.core.disconnect import until_disconnect
from fakeservices.core.http import BodyTooLarge, basic_credentials, bearer_token, read_body
from fakeservices.core.ids import alnum
from fakeservices.core.jsonio import pretty
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import (
    HoldRequest,
    StripeError,
    idempotency_in_flight,
    idempotency_mismatch,
)
from fakeservices.stripe.events import DEFAULT_API_VERSION
from fakeservices.stripe.expand import Expander
from fakeservices.stripe.model import (
    IDEMPOTENCY_KEYS_PER_ACCOUNT,
    Ctx,
    IdemRecord,
    Page,
    SearchPage,
    StripeModel,
)
from fakeservices.stripe.objects import clone, request_log_url
from fakeservices.stripe.routing import Route, RouteTable

if TYPE_CHECKING:
    from fakeservices.core.runtime import Runtime

Obj = dict[str, Any]

#: Largest request body accepted (Stripe requests are small forms).
MAX_BODY_BYTES = 1024 * 1024
KEY_RE = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def request_id() -> str:
    return f"req_{alnum(14)}"


def masked(key: str) -> str:
    """``sk_test_********************1234``: prefix kept, middle starred, last 4 shown."""
    m = re.match(r"^([a-z]{2,3}_(?:test|live)_)", key)
    prefix = m.group(1) if m else ""
    rest = key[len(prefix) :]
    if len(rest) <= 4:
        return prefix + rest
    return prefix + "*" * (len(rest) - 4) + rest[-4:]


@dataclass(slots=True)
class SentHeaders:
    """The request headers the wire reads, taken from the ASGI scope in one pass.

    Each ``request.headers.get`` scans every header; the wire asks for these five times per
    request. Values are what ``request.headers.get`` gives (the first of a repeated header).
    """

    authorization: str = ""
    idempotency_key: str | None = None
    stripe_version: str | None = None

    @staticmethod
    def of(scope: Scope) -> SentHeaders:
        """The request's, read once and kept in its scope."""
        found: SentHeaders | None = scope.get(_SENT_HEADERS)
        if found is None:
            found = scope[_SENT_HEADERS] = SentHeaders()
            auth = idem = version = None
            for name, value in scope["headers"]:
                if name == b"authorization":
                    auth = value.decode("latin-1") if auth is None else auth
                elif name == b"idempotency-key":
                    idem = value.decode("latin-1") if idem is None else idem
                elif name == b"stripe-version":
                    version = value.decode("latin-1") if version is None else version
            found.authorization = auth or ""
            found.idempotency_key = idem
            found.stripe_version = version
        return found


#: Where :meth:`SentHeaders.of` keeps its result in the scope.
_SENT_HEADERS = "fakeservices.stripe.headers"


def key_from_headers(headers: Headers) -> str | None:
    """The credential sent (Bearer, or Basic ``key:`` as ``curl -u`` sends it), None when there
    is none, "" when it is unreadable (both answered with Stripe's 401)."""
    return key_from_authorization(headers.get("authorization", ""))


def key_from_authorization(auth: str) -> str | None:
    """:func:`key_from_headers` given the ``Authorization`` header's value."""
    if not auth.strip():
        return None
    token = bearer_token(auth)
    if token:
        return token
    creds = basic_credentials(auth)
    return creds[0] if creds else ""


def unrecognized(method: str, path: str) -> StripeError:
    """Stripe's 404 for a path or method it does not serve (including ones we do not model)."""
    hint = (
        " If you are trying to list objects, remove the trailing slash. If you are trying to "
        "retrieve an object, make sure you passed a valid (non-empty) identifier in your code."
        if path.endswith("/")
        else ""
    )
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}).{hint} Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def query_text(scope: Scope) -> str:
    """The query string as ``request.url.query`` gives it, without building the URL (urllib
    drops tab, CR and LF and ends the query at ``#``); UnicodeDecodeError if it is not UTF-8."""
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return ""
    text = raw.decode("utf-8")
    if "\t" in text or "\r" in text or "\n" in text:
        text = text.replace("\t", "").replace("\r", "").replace("\n", "")
    return text.partition("#")[0]


def account_of(headers: Headers) -> str:
    key = key_from_headers(headers)
    return key if key and KEY_RE.match(key) else ""


# -- rendering ---------------------------------------------------------------------------------
def json_bytes(obj: Any) -> bytes:
    return pretty(obj)


def _same(obj: Obj) -> Obj:
    return obj


def error_body(err: StripeError, req_id: str, account: str = "") -> Obj:
    body = err.error_object()
    body["request_log_url"] = request_log_url(account, req_id)
    return {"error": body}


def envelope_for_status(status: int, message: str) -> Obj:
    """Stripe's error envelope for a bare status (used for injected faults)."""
    if status >= 500:
        err = StripeError(status, message, type="api_error")
    elif status == 429:
        err = StripeError(status, message, code="rate_limit")
    elif status == 402:
        err = StripeError(
            status,
            message,
            type="card_error",
            code="card_declined",
            decline_code="generic_decline",
        )
    elif status == 404:
        err = StripeError(status, message, code="resource_missing")
    elif status == 409:
        err = StripeError(status, message, code="lock_timeout")
    else:
        err = StripeError(status, message)
    return {"error": err.error_object()}


class JSONBytesResponse(Response):
    """A Starlette response of JSON bytes, its headers (lower-case names) encoded directly.

    What ``Response(body, status, headers, media_type="application/json")`` sends, byte for byte
    (the given headers, then ``content-length`` and ``content-type``), without its generic
    header handling: every Stripe response is one of these.
    """

    media_type = "application/json"

    def __init__(self, body: bytes, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
        raw.append((b"content-type", b"application/json"))
        self.raw_headers = raw


# -- the pipeline ------------------------------------------------------------------------------
class StripeWire:
    """Auth, decode, route, idempotency, call the model, expand and render."""

    def __init__(self, runtime: Runtime, model: StripeModel) -> None:
        self.runtime = runtime
        self.model = model
        self.routes = RouteTable(model.resources)
        self.expander = Expander(model.resources)

    def response(
        self,
        status: int,
        body: bytes,
        req_id: str,
        request: Request,
        extra: dict[str, str] | None = None,
    ) -> Response:
        sent = SentHeaders.of(request.scope)
        headers = {
            "request-id": req_id,
            "stripe-version": (
                DEFAULT_API_VERSION if sent.stripe_version is None else sent.stripe_version
            ),
            "cache-control": "no-cache, no-store",
        }
        if request.method == "POST":
            idem = sent.idempotency_key
            if idem:
                headers["idempotency-key"] = idem
            headers["original-request"] = req_id
            if status < 500:
                headers["stripe-should-retry"] = "false"
        if status == 401:
            headers["www-authenticate"] = 'Basic realm="Stripe"'
        for name, value in (extra or {}).items():
            headers[name.lower()] = value
        return JSONBytesResponse(body, status, headers)

    def error(self, err: StripeError, req_id: str, request: Request) -> Response:
        body = error_body(err, req_id, account_of(request.headers))
        return self.response(err.status, json_bytes(body), req_id, request)

    async def read_body(self, request: Request) -> bytes | None:
        """The body, or None when it is larger than :data:`MAX_BODY_BYTES`."""
        try:
            return await read_body(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            return None

    async def handle(self, request: Request) -> Response:
        req_id = request_id()
        # The raw path: ``request.url`` drops CR/LF/tab (urllib's URL cleaning).
        method, path = request.method, str(request.scope["path"])
        sent = SentHeaders.of(request.scope)
        key = key_from_authorization(sent.authorization)
        if key is None:
            return self.error(StripeError(401, NO_KEY), req_id, request)
        if not KEY_RE.match(key):
            return self.error(
                StripeError(401, f"Invalid API Key provided: {masked(key)}"), req_id, request
            )
        request.state.account = key
        found = self.routes.match(method, path)
        if found is None:
            return self.error(unrecognized(method, path), req_id, request)
        route, args = found
        body = await self.read_body(request)
        if body is None:
            return self.error(
                StripeError(
                    413,
                    f"Request body too large: the limit is {MAX_BODY_BYTES} bytes.",
                    code="request_too_large",
                ),
                req_id,
                request,
            )
        try:
            text = body.decode("utf-8")
            raw = P.decode_form(query_text(request.scope))
            if method == "POST":
                raw.update(P.decode_form(text))
        except (UnicodeDecodeError, P.FormError) as exc:
            detail = str(exc) if isinstance(exc, P.FormError) else "the body is not UTF-8"
            return self.error(StripeError(400, f"Invalid request body: {detail}."), req_id, request)
        ctx = self.model.accounts.context(
            key,
            req_id,
            sent.idempotency_key if method == "POST" else None,
            sent.stripe_version,
            lambda: str(request.base_url).rstrip("/"),
        )
        if ctx.idempotency_key is None:
            return (await self.run(request, route, raw, args, ctx))[0]
        return await self.idempotent(request, route, raw, args, ctx, method + " " + path)

    async def idempotent(
        self,
        request: Request,
        route: Route,
        raw: Obj,
        args: tuple[str, ...],
        ctx: Ctx,
        endpoint: str,
    ) -> Response:
        key = str(ctx.idempotency_key)
        acct = self.model.accounts.open(ctx.account)
        fingerprint = hashlib.sha256(
            (endpoint + "\n" + json.dumps(raw, sort_keys=True)).encode()
        ).hexdigest()
        record = acct.idempotency.get(key)
        if record is not None:
            if record.fingerprint != fingerprint:
                return self.error(idempotency_mismatch(key), str(ctx.request_id), request)
            return self.response(
                record.status,
                record.body,
                str(ctx.request_id),
                request,
                {"Idempotent-Replayed": "true", "Original-Request": record.request_id},
            )
        if key in acct.in_flight:
            return self.error(idempotency_in_flight(key), str(ctx.request_id), request)
        acct.in_flight.add(key)
        try:
            response, save = await self.run(request, route, raw, args, ctx)
        finally:
            acct.in_flight.discard(key)
        if save:
            acct.idempotency[key] = IdemRecord(
                fingerprint, response.status_code, bytes(response.body), str(ctx.request_id)
            )
            while len(acct.idempotency) > IDEMPOTENCY_KEYS_PER_ACCOUNT:
                acct.idempotency.popitem(last=False)
        return response

    async def run(
        self, request: Request, route: Route, raw: Obj, args: tuple[str, ...], ctx: Ctx
    ) -> tuple[Response, bool]:
        """Validate, call the model and render; also whether an Idempotency-Key saves it."""
        req_id = str(ctx.request_id)
        try:
            p = route.endpoint.params.validate(raw)
            result = route(ctx, p, args)
            # Rendered to bytes now, before any await below: the object is not copied, so
            # these bytes are its state at the end of this request's model call.
            body = json_bytes(
                self.render(result, p.get("expand") or [], ctx, request.scope["path"])
            )
        except HoldRequest:
            # Held (no CPU) until the client gives up, shutdown, or --hold-seconds pass.
            await until_disconnect(
                request.receive, self.runtime.hold(self.runtime.config.hold_seconds)
            )
            timeout = StripeError(
                504,
                "The request timed out: fakeservices held it (timeout test card) and nothing "
                "was charged.",
                type="api_error",
            )
            return self.error(timeout, req_id, request), False
        except StripeError as err:
            return self.error(err, req_id, request), err.saved
        if ctx.in_order is not None:
            await self.runtime.outbound.send_in_order(ctx.in_order, ctx.account)
        if ctx.delay:
            await self.runtime.hold(ctx.delay)
        return self.response(200, body, req_id, request), True

    def render(
        self, result: Obj | Page | SearchPage, expands: list[str], ctx: Ctx, path: str
    ) -> Obj:
        """The JSON body: an object, a list or a search envelope, then ``expand[]`` applied
        (``total_count`` is the search envelope's own expansion).

        Expanding replaces fields, so the objects are copied first when there is anything to
        expand; otherwise the stored objects themselves are returned, to be serialized at once
        (a copy per response was a tenth of a create's time).
        """
        copy = clone if expands else _same
        out: Obj
        if isinstance(result, SearchPage):
            out = {
                "object": "search_result",
                "data": [copy(o) for o in result.items],
                "has_more": result.has_more,
                "next_page": result.next_page,
                "url": path,
            }
            if "total_count" in expands:
                out["total_count"] = result.total_count
                expands = [e for e in expands if e != "total_count"]
        elif isinstance(result, Page):
            out = {
                "object": "list",
                "data": [copy(o) for o in result.items],
                "has_more": result.has_more,
                "url": path,
            }
        else:
            out = copy(result)
        if expands:
            accounts = self.model.accounts
            self.expander.apply(
                out, expands, ctx, lambda obj_id: accounts.find(ctx.account, obj_id)
            )
        return out
