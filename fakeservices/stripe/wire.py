"""Stripe's HTTP wire: auth, form decoding, routing to the model, JSON and error rendering.

Every ``/v1/...`` request comes through :meth:`StripeWire.handle`: it authenticates the secret
key (the account), decodes the bracket-syntax form, checks the endpoint's parameter schema,
applies Idempotency-Key replay, calls the model, expands ``expand[]`` paths and renders Stripe's
JSON (objects, list envelopes, ``{"error": {...}}`` with null keys omitted) with a
``Request-Id: req_...`` header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from fakeservices.core.disconnect import until_disconnect
from fakeservices.core.ids import alnum
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import HoldRequest, StripeError, invalid
from fakeservices.stripe.events import DEFAULT_API_VERSION, EventLog, StripeEvent
from fakeservices.stripe.model import (
    IDEMPOTENCY_KEYS_PER_ACCOUNT,
    Ctx,
    IdemRecord,
    StripeModel,
    created_filter,
    paginate,
)
from fakeservices.stripe.objects import clone, request_log_url

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


def key_from_headers(headers: Headers) -> str | None:
    """The credential sent (Bearer or Basic ``key:``), or None when there is none."""
    auth = headers.get("authorization", "").strip()
    if not auth:
        return None
    scheme, _, value = auth.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.split(":", 1)[0]
    return ""


def account_of(headers: Headers) -> str:
    key = key_from_headers(headers)
    return key if key and KEY_RE.match(key) else ""


# -- rendering ---------------------------------------------------------------------------------
def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, indent=2).encode("utf-8")


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


# -- expand ------------------------------------------------------------------------------------
EXPANDABLE: dict[str, set[str]] = {
    "payment_intent": {
        "customer",
        "payment_method",
        "latest_charge",
        "application",
        "on_behalf_of",
        "review",
        "source",
        "payment_method_configuration_details",
    },
    "charge": {
        "customer",
        "payment_intent",
        "balance_transaction",
        "application",
        "application_fee",
        "failure_balance_transaction",
        "on_behalf_of",
        "review",
        "source_transfer",
        "transfer",
        "payment_method",
    },
    "refund": {
        "charge",
        "payment_intent",
        "balance_transaction",
        "failure_balance_transaction",
        "source_transfer_reversal",
        "transfer_reversal",
    },
    "payment_method": {"customer"},
    "setup_intent": {
        "customer",
        "payment_method",
        "latest_attempt",
        "application",
        "mandate",
        "on_behalf_of",
        "single_use_mandate",
    },
    "customer": {"default_source", "invoice_settings.default_payment_method", "test_clock"},
    "balance_transaction": {"source"},
    "token": set(),
    "event": set(),
    "webhook_endpoint": set(),
    "card": {"customer"},
}


def expand(
    obj: Obj, path: list[str], lookup: Callable[[str], Obj | None], full: str, depth: int = 1
) -> None:
    if depth > 4:
        raise invalid(
            f"You cannot expand more than 4 levels of a property. Property: {full}",
            "expand",
            "property_expansion_max_depth",
        )
    head, rest = path[0], path[1:]
    if obj.get("object") == "list" and head == "data":
        if rest:
            for item in obj["data"]:
                expand(item, rest, lookup, full, depth)
        return
    kind = str(obj.get("object"))
    if (kind, head) in VIRTUAL_LISTS:
        # fields only present when expanded (charge.refunds): ``lookup`` gets "<kind>:<field>:<id>"
        found = lookup(f"{kind}:{head}:{obj['id']}")
        if found is not None:
            obj[head] = found
            if rest:
                expand(found, rest, lookup, full, depth + 1)
        return
    allowed = EXPANDABLE.get(kind, set())
    if head not in allowed and rest and f"{head}.{rest[0]}" in allowed:
        # a field inside a plain container (customer.invoice_settings.default_payment_method)
        container = obj.get(head)
        if isinstance(container, dict):
            _expand_field(container, rest[0], rest[1:], lookup, full, depth)
        return
    if head not in allowed:
        raise invalid(f"This property cannot be expanded ({head}).", "expand")
    _expand_field(obj, head, rest, lookup, full, depth)


def _expand_field(
    obj: Obj,
    name: str,
    rest: list[str],
    lookup: Callable[[str], Obj | None],
    full: str,
    depth: int,
) -> None:
    value = obj.get(name)
    if isinstance(value, str):
        found = lookup(value)
        if found is None:
            return
        value = obj[name] = clone(found)
    if rest and isinstance(value, dict):
        expand(value, rest, lookup, full, depth + 1)


#: Fields Stripe leaves out unless expanded, rendered as nested lists.
VIRTUAL_LISTS = {("charge", "refunds")}


# -- routes ------------------------------------------------------------------------------------
Handler = Callable[[Ctx, Obj, tuple[str, ...]], Any]


@dataclass
class ListPage:
    items: list[Obj]
    has_more: bool


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    schema: P.Obj
    handler: Handler
    status: int = 200


ID = r"([^/]+)"


class StripeWire:
    def __init__(self, runtime: Runtime, model: StripeModel, events: EventLog) -> None:
        self.runtime = runtime
        self.model = model
        self.events = events
        self.routes: list[Route] = []
        self._build_routes()

    # -- route table -----------------------------------------------------------------------
    def add(self, method: str, path: str, schema: P.Obj, handler: Handler) -> None:
        self.routes.append(Route(method, re.compile(f"^{path}$"), schema, handler))

    def _build_routes(self) -> None:
        m = self.model
        pages = self._page

        # payment intents
        self.add(
            "POST",
            "/v1/payment_intents",
            P.PI_CREATE,
            lambda c, p, a: m.create_payment_intent(c, p),
        )
        self.add(
            "GET",
            "/v1/payment_intents",
            P.PI_LIST,
            lambda c, p, a: pages(m.list_payment_intents(c, p)),
        )
        self.add(
            "GET",
            f"/v1/payment_intents/{ID}",
            P.ONLY_EXPAND.extend({"client_secret": P.Str()}),
            lambda c, p, a: m.retrieve_payment_intent(c, a[0]),
        )
        self.add(
            "POST",
            f"/v1/payment_intents/{ID}",
            P.PI_UPDATE,
            lambda c, p, a: m.update_payment_intent(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/payment_intents/{ID}/confirm",
            P.PI_CONFIRM,
            lambda c, p, a: m.confirm_payment_intent(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/payment_intents/{ID}/capture",
            P.PI_CAPTURE,
            lambda c, p, a: m.capture_payment_intent(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/payment_intents/{ID}/cancel",
            P.PI_CANCEL,
            lambda c, p, a: m.cancel_payment_intent(c, a[0], p),
        )
        # customers
        self.add(
            "POST", "/v1/customers", P.CUSTOMER_CREATE, lambda c, p, a: m.create_customer(c, p)
        )
        self.add(
            "GET", "/v1/customers", P.CUSTOMER_LIST, lambda c, p, a: pages(m.list_customers(c, p))
        )
        self.add(
            "GET",
            f"/v1/customers/{ID}",
            P.ONLY_EXPAND,
            lambda c, p, a: m.retrieve_customer(c, a[0]),
        )
        self.add(
            "POST",
            f"/v1/customers/{ID}",
            P.CUSTOMER_UPDATE,
            lambda c, p, a: m.update_customer(c, a[0], p),
        )
        self.add(
            "DELETE", f"/v1/customers/{ID}", P.Obj(), lambda c, p, a: m.delete_customer(c, a[0])
        )
        self.add(
            "GET",
            f"/v1/customers/{ID}/payment_methods",
            P.CUSTOMER_PMS,
            lambda c, p, a: pages(m.list_payment_methods(c, p, customer=a[0])),
        )
        # payment methods
        self.add(
            "POST",
            "/v1/payment_methods",
            P.PM_CREATE,
            lambda c, p, a: m.create_payment_method(c, p),
        )
        self.add(
            "GET",
            "/v1/payment_methods",
            P.PM_LIST,
            lambda c, p, a: pages(m.list_payment_methods(c, p)),
        )
        self.add(
            "GET",
            f"/v1/payment_methods/{ID}",
            P.ONLY_EXPAND,
            lambda c, p, a: m.retrieve_payment_method(c, a[0]),
        )
        self.add(
            "POST",
            f"/v1/payment_methods/{ID}",
            P.PM_UPDATE,
            lambda c, p, a: m.update_payment_method(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/payment_methods/{ID}/attach",
            P.PM_ATTACH,
            lambda c, p, a: m.attach_payment_method(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/payment_methods/{ID}/detach",
            P.ONLY_EXPAND,
            lambda c, p, a: m.detach_payment_method(c, a[0]),
        )
        # tokens
        self.add("POST", "/v1/tokens", P.TOKEN_CREATE, lambda c, p, a: m.create_token(c, p))
        self.add(
            "GET", f"/v1/tokens/{ID}", P.ONLY_EXPAND, lambda c, p, a: m.retrieve_token(c, a[0])
        )
        # charges
        self.add("POST", "/v1/charges", P.CHARGE_CREATE, lambda c, p, a: m.create_charge(c, p))
        self.add("GET", "/v1/charges", P.CHARGE_LIST, lambda c, p, a: pages(m.list_charges(c, p)))
        self.add(
            "GET", f"/v1/charges/{ID}", P.ONLY_EXPAND, lambda c, p, a: m.retrieve_charge(c, a[0])
        )
        self.add(
            "POST",
            f"/v1/charges/{ID}",
            P.CHARGE_UPDATE,
            lambda c, p, a: m.update_charge(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/charges/{ID}/capture",
            P.CHARGE_CAPTURE,
            lambda c, p, a: m.capture_charge(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/charges/{ID}/refunds",
            P.CHARGE_REFUND,
            lambda c, p, a: m.create_refund(c, p, charge_id=a[0]),
        )
        self.add(
            "GET",
            f"/v1/charges/{ID}/refunds",
            P.LIST,
            lambda c, p, a: pages(m.list_refunds(c, p, charge_id=a[0])),
        )
        # refunds
        self.add("POST", "/v1/refunds", P.REFUND_CREATE, lambda c, p, a: m.create_refund(c, p))
        self.add("GET", "/v1/refunds", P.REFUND_LIST, lambda c, p, a: pages(m.list_refunds(c, p)))
        self.add(
            "GET", f"/v1/refunds/{ID}", P.ONLY_EXPAND, lambda c, p, a: m.retrieve_refund(c, a[0])
        )
        self.add(
            "POST",
            f"/v1/refunds/{ID}",
            P.REFUND_UPDATE,
            lambda c, p, a: m.update_refund(c, a[0], p),
        )
        # setup intents
        self.add(
            "POST", "/v1/setup_intents", P.SI_CREATE, lambda c, p, a: m.create_setup_intent(c, p)
        )
        self.add(
            "GET", "/v1/setup_intents", P.SI_LIST, lambda c, p, a: pages(m.list_setup_intents(c, p))
        )
        self.add(
            "GET",
            f"/v1/setup_intents/{ID}",
            P.ONLY_EXPAND.extend({"client_secret": P.Str()}),
            lambda c, p, a: m.retrieve_setup_intent(c, a[0]),
        )
        self.add(
            "POST",
            f"/v1/setup_intents/{ID}",
            P.SI_UPDATE,
            lambda c, p, a: m.update_setup_intent(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/setup_intents/{ID}/confirm",
            P.SI_CONFIRM,
            lambda c, p, a: m.confirm_setup_intent(c, a[0], p),
        )
        self.add(
            "POST",
            f"/v1/setup_intents/{ID}/cancel",
            P.SI_CANCEL,
            lambda c, p, a: m.cancel_setup_intent(c, a[0], p),
        )
        # events
        self.add("GET", "/v1/events", P.EVENT_LIST, self._list_events)
        self.add("GET", f"/v1/events/{ID}", P.ONLY_EXPAND, self._get_event)
        # webhook endpoints
        self.add(
            "POST",
            "/v1/webhook_endpoints",
            P.WE_CREATE,
            lambda c, p, a: m.create_webhook_endpoint(c, p),
        )
        self.add(
            "GET",
            "/v1/webhook_endpoints",
            P.LIST,
            lambda c, p, a: pages(m.list_of(c, "webhook_endpoint", p, "webhook_endpoint")),
        )
        self.add(
            "GET",
            f"/v1/webhook_endpoints/{ID}",
            P.ONLY_EXPAND,
            lambda c, p, a: m.webhook_endpoint(c, a[0]),
        )
        self.add(
            "POST",
            f"/v1/webhook_endpoints/{ID}",
            P.WE_UPDATE,
            lambda c, p, a: m.update_webhook_endpoint(c, a[0], p),
        )
        self.add(
            "DELETE",
            f"/v1/webhook_endpoints/{ID}",
            P.Obj(),
            lambda c, p, a: m.delete_webhook_endpoint(c, a[0]),
        )
        # balance
        self.add("GET", "/v1/balance", P.ONLY_EXPAND, lambda c, p, a: m.balance(c))
        self.add(
            "GET",
            f"/v1/balance_transactions/{ID}",
            P.ONLY_EXPAND,
            lambda c, p, a: m.retrieve_balance_transaction(c, a[0]),
        )
        self.add(
            "GET",
            "/v1/balance_transactions",
            P.LIST.extend({"source": P.Str(), "type": P.Str()}),
            lambda c, p, a: pages(m.list_of(c, "balance_transaction", p, "balance transaction")),
        )

    @staticmethod
    def _page(result: tuple[list[Obj], bool]) -> ListPage:
        return ListPage(result[0], result[1])

    def _list_events(self, ctx: Ctx, p: Obj, args: tuple[str, ...]) -> ListPage:
        kind: str | None = p.get("type")
        kinds: set[str] = set(p.get("types") or [])
        if kind is not None and kinds:
            raise invalid("You may only specify one of these parameters: type, types.", "type")

        def match(e: StripeEvent) -> bool:
            if kind is not None:
                if kind.endswith(".*"):
                    return e.type.startswith(kind[:-1])
                return e.type == kind
            return not kinds or e.type in kinds

        items = self.events.newest_first(ctx.account, match)
        created = created_filter(p)
        items = [e for e in items if created(e)]
        data, more = paginate(items, p, "event")
        return ListPage([clone(e) for e in data], more)

    def _get_event(self, ctx: Ctx, p: Obj, args: tuple[str, ...]) -> Obj:
        event = self.events.get(ctx.account, args[0])
        if event is None:
            raise StripeError(
                404, f"No such event: '{args[0]}'", code="resource_missing", param="id"
            )
        return event.to_json()

    # -- request handling ------------------------------------------------------------------
    def response(
        self,
        status: int,
        body: bytes,
        req_id: str,
        request: Request,
        extra: dict[str, str] | None = None,
    ) -> Response:
        headers = {
            "Request-Id": req_id,
            "Stripe-Version": request.headers.get("stripe-version", DEFAULT_API_VERSION),
            "Cache-Control": "no-cache, no-store",
        }
        if request.method == "POST":
            idem = request.headers.get("idempotency-key")
            if idem:
                headers["Idempotency-Key"] = idem
            headers["Original-Request"] = req_id
            if status < 500:
                headers["Stripe-Should-Retry"] = "false"
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
        headers.update(extra or {})
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    def error(self, err: StripeError, req_id: str, request: Request) -> Response:
        body = error_body(err, req_id, account_of(request.headers))
        return self.response(err.status, json_bytes(body), req_id, request)

    async def read_body(self, request: Request) -> bytes | None:
        """The body, or None when it is larger than :data:`MAX_BODY_BYTES`."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return None
        chunks = bytearray()
        async for chunk in request.stream():
            chunks.extend(chunk)
            if len(chunks) > MAX_BODY_BYTES:
                return None
        return bytes(chunks)

    async def handle(self, request: Request) -> Response:
        req_id = request_id()
        method, path = request.method, request.url.path
        key = key_from_headers(request.headers)
        if key is None:
            return self.error(StripeError(401, NO_KEY), req_id, request)
        if not KEY_RE.match(key):
            return self.error(
                StripeError(401, f"Invalid API Key provided: {masked(key)}"), req_id, request
            )
        request.state.account = key
        route, args = self.match(method, path)
        if route is None:
            return self.error(
                StripeError(
                    404,
                    f"Unrecognized request URL ({method}: {path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                ),
                req_id,
                request,
            )
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
        raw_query = request.url.query
        try:
            text = body.decode("utf-8")
            raw = P.decode_form(raw_query)
            if method == "POST":
                raw.update(P.decode_form(text))
        except (UnicodeDecodeError, P.FormError) as exc:
            detail = str(exc) if isinstance(exc, P.FormError) else "the body is not UTF-8"
            return self.error(StripeError(400, f"Invalid request body: {detail}."), req_id, request)
        ctx = Ctx(
            key,
            req_id,
            request.headers.get("idempotency-key") if method == "POST" else None,
            request.headers.get("stripe-version"),
        )
        if ctx.idempotency_key is None:
            return (await self.run(request, route, raw, args, ctx))[0]
        return await self.idempotent(request, route, raw, args, ctx, method + " " + path)

    def match(self, method: str, path: str) -> tuple[Route | None, tuple[str, ...]]:
        for route in self.routes:
            if route.method != method:
                continue
            m = route.pattern.match(path)
            if m is not None:
                return route, m.groups()
        return None, ()

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
        acct = self.model.account(ctx.account)
        fingerprint = hashlib.sha256(
            (endpoint + "\n" + json.dumps(raw, sort_keys=True)).encode()
        ).hexdigest()
        record = acct.idempotency.get(key)
        if record is not None:
            if record.fingerprint != fingerprint:
                err = StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
                return self.error(err, str(ctx.request_id), request)
            return self.response(
                record.status,
                record.body,
                str(ctx.request_id),
                request,
                {"Idempotent-Replayed": "true", "Original-Request": record.request_id},
            )
        if key in acct.in_flight:
            err = StripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still going "
                f"through): {key}. Please try again later.",
                code="idempotency_key_in_use",
            )
            return self.error(err, str(ctx.request_id), request)
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
            p = route.schema.validate(raw)
            result = route.handler(ctx, p, args)
            rendered = self.render(result, p.get("expand") or [], ctx.account, request.url.path)
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
        if ctx.delay:
            await self.runtime.hold(ctx.delay)
        return self.response(200, json_bytes(rendered), req_id, request), True

    def render(self, result: Any, expands: list[str], account: str, path: str) -> Obj:
        if isinstance(result, ListPage):
            out: Obj = {
                "object": "list",
                "data": [clone(o) for o in result.items],
                "has_more": result.has_more,
                "url": path,
            }
        else:
            out = clone(result)
        lookup = self._lookup(account)
        for item in expands:
            expand(out, item.split("."), lookup, item)
        return out

    def _lookup(self, account: str) -> Callable[[str], Obj | None]:
        def lookup(obj_id: str) -> Obj | None:
            if obj_id.startswith("charge:refunds:"):
                ch_id = obj_id.rsplit(":", 1)[1]
                refunds = self.model.list_refunds(Ctx(account), {"limit": 100}, charge_id=ch_id)
                return {
                    "object": "list",
                    "data": clone(refunds[0]),
                    "has_more": refunds[1],
                    "total_count": len(refunds[0]),
                    "url": f"/v1/charges/{ch_id}/refunds",
                }
            return self.model.find(account, obj_id)

        return lookup
