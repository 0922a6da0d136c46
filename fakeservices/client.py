"""Python client of the admin API: ``FakeServices`` (sync) and ``AsyncFakeServices``.

Both expose the same methods; each call is described once (method, path, parameters, how to read
the answer) and run by the sync or the async transport::

    fake = FakeServices("http://127.0.0.1:4010")
    mail = fake.emails.wait(to="john@example.com", subject="Welcome")[0]
    with fake.faults.add("smtp", {"type": "smtp_reply", "code": 451, "stage": "rcpt"}):
        ...  # the rule is removed on exit

A plain client sees every account. ``fake.scoped(accounts=[...], after=seq)`` is the same API
seeing only those accounts and, of the shared ones, what arrived after ``seq``
(docs/isolation.md).
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from fakeservices.schemas import (
    Email,
    FaultRule,
    Health,
    Request,
    Sms,
    StripeEvent,
    WebhookDelivery,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

DEFAULT_WAIT_SECONDS = 10.0
URL_VARIABLE = "FAKESERVICES_URL"


class FakeServicesError(Exception):
    """The admin API answered an error: ``status``, ``code`` and ``message`` as it sent them."""

    def __init__(self, status: int, code: str, message: str, body: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class FakeServicesUnreachable(FakeServicesError, ConnectionError):
    """No fakeservices server answers at the client's URL (nothing listens, or a wrong address)."""

    def __init__(self, url: str, reason: str) -> None:
        message = (
            f"Cannot reach the fakeservices server at {url} ({reason}). Start one with "
            f"`fakeservices serve`, or set {URL_VARIABLE} to the URL of the one you run."
        )
        super().__init__(0, "unreachable", message)
        self.url = url

    def __str__(self) -> str:
        return self.message


class WaitTimeout(FakeServicesError, AssertionError):
    """A wait ended before ``count`` items matched. ``matched`` says how many did; ``recent``
    summarises the last items that did not match (the usual explanation of a failing test)."""

    def __init__(self, message: str, matched: int, recent: list[dict[str, Any]], body: Any) -> None:
        super().__init__(408, "wait_timeout", message, body)
        self.matched = matched
        self.recent = recent

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Call(Generic[T]):
    """One admin API request and how to turn its answer into a result."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    timeout: float | None = None


@dataclass(frozen=True)
class Scope:
    """What a scoped client adds to every read-back call: ``account`` (repeated) and
    ``shared_after``. An explicit ``account=`` on a call replaces the scope for that call."""

    accounts: tuple[str, ...] = ()
    after: int | None = None

    def apply(self, filters: dict[str, Any]) -> dict[str, Any]:
        if filters.get("account") is not None:
            return filters
        out = dict(filters)
        if self.accounts:
            out["account"] = list(self.accounts)
        if self.after is not None:
            out["shared_after"] = self.after
        return out


EVERYTHING = Scope()


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        err = body["error"]
        code, message = str(err.get("code", "error")), str(err.get("message", response.text))
    except (ValueError, KeyError, TypeError, AttributeError):
        body, code, message = response.text, "error", response.text
    if response.status_code == 408 and code == "wait_timeout":
        raise WaitTimeout(message, int(err.get("matched", 0)), list(err.get("recent", [])), body)
    raise FakeServicesError(response.status_code, code, message, body)


def _params(filters: dict[str, Any]) -> dict[str, Any]:
    """Filters as query parameters: ``from_`` is sent as ``from``; None values are dropped."""
    return {k.rstrip("_"): v for k, v in filters.items() if v is not None}


def _json(response: httpx.Response) -> Any:
    return response.json()


def _data_of(model: type[M]) -> Callable[[httpx.Response], list[M]]:
    return lambda r: [model.model_validate(item) for item in r.json()["data"]]


def _one(model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda r: model.model_validate(r.json())


def _deleted(response: httpx.Response) -> int:
    return int(response.json()["deleted"])


def _content(response: httpx.Response) -> bytes:
    return response.content


@dataclass(frozen=True)
class Collection(Generic[M]):
    """The calls of one read-back collection (``/__admin/<name>``)."""

    name: str
    model: type[M]

    def list(self, filters: dict[str, Any]) -> Call[builtins.list[M]]:
        return Call("GET", f"/__admin/{self.name}", _data_of(self.model), _params(filters))

    def get(self, item_id: str) -> Call[M]:
        return Call("GET", f"/__admin/{self.name}/{item_id}", _one(self.model))

    def delete(self, filters: dict[str, Any]) -> Call[int]:
        return Call("DELETE", f"/__admin/{self.name}", _deleted, _params(filters))

    def wait(self, count: int, timeout: float, filters: dict[str, Any]) -> Call[builtins.list[M]]:
        params = _params({**filters, "count": count, "timeout": timeout})
        return Call(
            "GET", f"/__admin/{self.name}/wait", _data_of(self.model), params, timeout=timeout + 10
        )


EMAILS = Collection("emails", Email)
SMS = Collection("sms", Sms)
REQUESTS = Collection("requests", Request)
DELIVERIES = Collection("webhook-deliveries", WebhookDelivery)
STRIPE_EVENTS = Collection("stripe/events", StripeEvent)


# The remaining calls, described once for both clients.
def health_call() -> Call[Health]:
    return Call("GET", "/__admin/health", _one(Health))


def reset_call(service: str | None, account: str | None) -> Call[Any]:
    return Call("POST", "/__admin/reset", _json, _params({"service": service, "account": account}))


def authenticate_call(payment_intent: str, outcome: str) -> Call[Any]:
    path = f"/__admin/stripe/payment_intents/{payment_intent}/authenticate"
    return Call("POST", path, _json, json={"outcome": outcome})


def complete_checkout_call(
    session_id: str,
    payment_method: str,
    email: str | None,
    three_d_secure: str | None,
    delayed: bool = False,
) -> Call[Any]:
    body: dict[str, Any] = {"payment_method": payment_method}
    if delayed:
        body["delayed"] = True
    if email is not None:
        body["email"] = email
    if three_d_secure is not None:
        body["three_d_secure"] = three_d_secure
    path = f"/__admin/stripe/checkout/sessions/{session_id}/complete"
    return Call("POST", path, _json, json=body)


def settle_checkout_call(session_id: str, outcome: str) -> Call[Any]:
    path = f"/__admin/stripe/checkout/sessions/{session_id}/async_payment"
    return Call("POST", path, _json, json={"outcome": outcome})


def expire_checkout_call(session_id: str) -> Call[Any]:
    return Call("POST", f"/__admin/stripe/checkout/sessions/{session_id}/expire", _json)


def send_now_call(sid: str) -> Call[Sms]:
    return Call("POST", f"/__admin/sms/{sid}/send-now", _one(Sms))


def raw_call(email_id: str) -> Call[bytes]:
    return Call("GET", f"/__admin/emails/{email_id}/raw", _content)


def attachment_call(email_id: str, index: int) -> Call[bytes]:
    return Call("GET", f"/__admin/emails/{email_id}/attachments/{index}", _content)


def add_fault_call(rule: dict[str, Any]) -> Call[FaultRule]:
    return Call("POST", "/__admin/faults", _one(FaultRule), json=rule)


def list_faults_call(account: str | None) -> Call[list[FaultRule]]:
    return Call("GET", "/__admin/faults", _data_of(FaultRule), _params({"account": account}))


def get_fault_call(rule_id: str) -> Call[FaultRule]:
    return Call("GET", f"/__admin/faults/{rule_id}", _one(FaultRule))


def remove_fault_call(rule_id: str) -> Call[Any]:
    return Call("DELETE", f"/__admin/faults/{rule_id}", _json)


def clear_faults_call(account: str | None) -> Call[int]:
    return Call("DELETE", "/__admin/faults", _deleted, _params({"account": account}))


def fault_rule(
    service: str,
    action: dict[str, Any],
    match: dict[str, Any] | None,
    times: int | None,
    probability: float | None,
    after: int | None,
    seed: int | None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"service": service, "action": action}
    for key, value in (
        ("match", match),
        ("times", times),
        ("probability", probability),
        ("after", after),
        ("seed", seed),
    ):
        if value is not None:
            rule[key] = value
    return rule


# -- sync ----------------------------------------------------------------------------------------


class _SyncBase:
    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def _run(self, call: Call[T]) -> T:
        kwargs: dict[str, Any] = {"params": call.params}
        if call.json is not None:
            kwargs["json"] = call.json
        if call.timeout is not None:
            kwargs["timeout"] = call.timeout
        try:
            response = self._http.request(call.method, call.path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise FakeServicesUnreachable(str(self._http.base_url).rstrip("/"), str(exc)) from None
        _raise_for(response)
        return call.parse(response)


class Items(_SyncBase, Generic[M]):
    """Read-back of one kind of item: ``list``, ``get``, ``wait``, ``delete``."""

    def __init__(self, http: httpx.Client, spec: Collection[M], scope: Scope = EVERYTHING) -> None:
        super().__init__(http)
        self._spec = spec
        self.scope = scope

    def list(self, **filters: Any) -> builtins.list[M]:
        """Items matching the filters (e.g. ``to=``, ``account=``, ``after=``, ``limit=``)."""
        return self._run(self._spec.list(self.scope.apply(filters)))

    def get(self, item_id: str) -> M:
        return self._run(self._spec.get(item_id))

    def wait(
        self, count: int = 1, timeout: float = DEFAULT_WAIT_SECONDS, **filters: Any
    ) -> builtins.list[M]:
        """Block until ``count`` items match; raise :class:`WaitTimeout` after ``timeout`` s."""
        return self._run(self._spec.wait(count, timeout, self.scope.apply(filters)))

    def delete(self, **filters: Any) -> int:
        return self._run(self._spec.delete(self.scope.apply(filters)))


class Emails(Items[Email]):
    def raw(self, email_id: str) -> bytes:
        """The message as received (``message/rfc822``)."""
        return self._run(raw_call(email_id))

    def attachment(self, email_id: str, index: int) -> bytes:
        return self._run(attachment_call(email_id, index))


class SmsItems(Items[Sms]):
    def send_now(self, sid: str) -> Sms:
        """Send a scheduled message now instead of at its ``SendAt``; returns it (still
        ``scheduled``: wait for its next status)."""
        return self._run(send_now_call(sid))


class FaultHandle:
    """An installed fault rule; as a context manager it removes the rule on exit."""

    def __init__(self, faults: Faults, rule: FaultRule) -> None:
        self._faults = faults
        self.rule = rule
        self.id = rule.id

    def refresh(self) -> FaultRule:
        self.rule = self._faults.get(self.id)
        return self.rule

    @property
    def hits(self) -> int:
        return self.refresh().hits

    def remove(self) -> None:
        try:
            self._faults.remove(self.id)
        except FakeServicesError as exc:
            if exc.status != 404:
                raise

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


class Faults(_SyncBase):
    def add(
        self,
        service: str,
        action: dict[str, Any],
        match: dict[str, Any] | None = None,
        *,
        times: int | None = None,
        probability: float | None = None,
        after: int | None = None,
        seed: int | None = None,
    ) -> FaultHandle:
        """Install a rule (docs/admin-api.md, "Faults"); use the result in ``with`` to scope it."""
        rule = fault_rule(service, action, match, times, probability, after, seed)
        created = self._run(add_fault_call(rule))
        return FaultHandle(self, created)

    def list(self, account: str | None = None) -> builtins.list[FaultRule]:
        return self._run(list_faults_call(account))

    def get(self, rule_id: str) -> FaultRule:
        return self._run(get_fault_call(rule_id))

    def remove(self, rule_id: str) -> None:
        self._run(remove_fault_call(rule_id))

    def clear(self, account: str | None = None) -> int:
        return self._run(clear_faults_call(account))


class FakeServices(_SyncBase):
    """Synchronous client of a fakeservices server's admin API."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = True
        self._wire(httpx.Client(base_url=self.base_url, timeout=timeout), EVERYTHING)

    def _wire(self, http: httpx.Client, scope: Scope) -> None:
        super().__init__(http)
        self.scope = scope
        self.emails = Emails(http, EMAILS, scope)
        self.sms = SmsItems(http, SMS, scope)
        self.requests = Items(http, REQUESTS, scope)
        self.webhook_deliveries = Items(http, DELIVERIES, scope)
        self.stripe_events = Items(http, STRIPE_EVENTS, scope)
        self.faults = Faults(http)

    def scoped(self, accounts: Iterable[str] = (), after: int | None = None) -> FakeServices:
        """The same API (sharing this connection) whose read-back sees only ``accounts`` and,
        of shared accounts (``default``, credentials not issued per test), items with
        ``seq > after``. An explicit ``account=`` on a call overrides it for that call."""
        view = copy.copy(self)
        view._owns_http = False
        view._wire(self._http, Scope(tuple(accounts), after))
        return view

    def health(self) -> Health:
        return self._run(health_call())

    def reset(self, service: str | None = None, account: str | None = None) -> None:
        """Forget state: everything, one service (stripe|email|sms|faults|journal), one account."""
        self._run(reset_call(service, account))

    def authenticate_payment(self, payment_intent: str, outcome: str = "succeed") -> Any:
        """Complete (or fail) the 3-D Secure step of a Stripe PaymentIntent in requires_action."""
        return self._run(authenticate_call(payment_intent, outcome))

    def complete_checkout(
        self,
        session_id: str,
        payment_method: str = "pm_card_visa",
        email: str | None = None,
        three_d_secure: str | None = None,
        delayed: bool = False,
    ) -> Any:
        """Pay an open Stripe Checkout Session as its hosted page does; the session (a dict).

        A decline raises :class:`FakeServicesError` (402, the decline code) and leaves the session
        open; a 3DS card is authenticated unless ``three_d_secure`` is ``"fail"`` or
        ``"pending"`` (then :meth:`authenticate_payment` finishes it). ``delayed=True`` pays as a
        bank debit would: complete but ``unpaid`` until :meth:`settle_checkout`.
        """
        call = complete_checkout_call(session_id, payment_method, email, three_d_secure, delayed)
        return self._run(call)

    def settle_checkout(self, session_id: str, outcome: str = "succeed") -> Any:
        """Settle a delayed Checkout payment: ``checkout.session.async_payment_succeeded`` (or
        ``_failed`` with ``outcome="fail"``)."""
        return self._run(settle_checkout_call(session_id, outcome))

    def expire_checkout(self, session_id: str) -> Any:
        """Expire an open Stripe Checkout Session (``checkout.session.expired`` is sent)."""
        return self._run(expire_checkout_call(session_id))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> FakeServices:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- async ---------------------------------------------------------------------------------------


class _AsyncBase:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def _run(self, call: Call[T]) -> T:
        kwargs: dict[str, Any] = {"params": call.params}
        if call.json is not None:
            kwargs["json"] = call.json
        if call.timeout is not None:
            kwargs["timeout"] = call.timeout
        try:
            response = await self._http.request(call.method, call.path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise FakeServicesUnreachable(str(self._http.base_url).rstrip("/"), str(exc)) from None
        _raise_for(response)
        return call.parse(response)


class AsyncItems(_AsyncBase, Generic[M]):
    def __init__(
        self, http: httpx.AsyncClient, spec: Collection[M], scope: Scope = EVERYTHING
    ) -> None:
        super().__init__(http)
        self._spec = spec
        self.scope = scope

    async def list(self, **filters: Any) -> builtins.list[M]:
        return await self._run(self._spec.list(self.scope.apply(filters)))

    async def get(self, item_id: str) -> M:
        return await self._run(self._spec.get(item_id))

    async def wait(
        self, count: int = 1, timeout: float = DEFAULT_WAIT_SECONDS, **filters: Any
    ) -> builtins.list[M]:
        return await self._run(self._spec.wait(count, timeout, self.scope.apply(filters)))

    async def delete(self, **filters: Any) -> int:
        return await self._run(self._spec.delete(self.scope.apply(filters)))


class AsyncEmails(AsyncItems[Email]):
    async def raw(self, email_id: str) -> bytes:
        return await self._run(raw_call(email_id))

    async def attachment(self, email_id: str, index: int) -> bytes:
        return await self._run(attachment_call(email_id, index))


class AsyncSmsItems(AsyncItems[Sms]):
    async def send_now(self, sid: str) -> Sms:
        return await self._run(send_now_call(sid))


class AsyncFaultHandle:
    """An installed fault rule; ``async with`` removes it on exit."""

    def __init__(self, faults: AsyncFaults, rule: FaultRule) -> None:
        self._faults = faults
        self.rule = rule
        self.id = rule.id

    async def refresh(self) -> FaultRule:
        self.rule = await self._faults.get(self.id)
        return self.rule

    async def hits(self) -> int:
        """How many times the rule fired so far (read from the server)."""
        return (await self.refresh()).hits

    async def remove(self) -> None:
        try:
            await self._faults.remove(self.id)
        except FakeServicesError as exc:
            if exc.status != 404:
                raise

    async def __aenter__(self) -> AsyncFaultHandle:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.remove()


class AsyncFaults(_AsyncBase):
    async def add(
        self,
        service: str,
        action: dict[str, Any],
        match: dict[str, Any] | None = None,
        *,
        times: int | None = None,
        probability: float | None = None,
        after: int | None = None,
        seed: int | None = None,
    ) -> AsyncFaultHandle:
        rule = fault_rule(service, action, match, times, probability, after, seed)
        created = await self._run(add_fault_call(rule))
        return AsyncFaultHandle(self, created)

    async def list(self, account: str | None = None) -> builtins.list[FaultRule]:
        return await self._run(list_faults_call(account))

    async def get(self, rule_id: str) -> FaultRule:
        return await self._run(get_fault_call(rule_id))

    async def remove(self, rule_id: str) -> None:
        await self._run(remove_fault_call(rule_id))

    async def clear(self, account: str | None = None) -> int:
        return await self._run(clear_faults_call(account))


class AsyncFakeServices(_AsyncBase):
    """Asynchronous twin of :class:`FakeServices`."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = True
        self._wire(httpx.AsyncClient(base_url=self.base_url, timeout=timeout), EVERYTHING)

    def _wire(self, http: httpx.AsyncClient, scope: Scope) -> None:
        super().__init__(http)
        self.scope = scope
        self.emails = AsyncEmails(http, EMAILS, scope)
        self.sms = AsyncSmsItems(http, SMS, scope)
        self.requests = AsyncItems(http, REQUESTS, scope)
        self.webhook_deliveries = AsyncItems(http, DELIVERIES, scope)
        self.stripe_events = AsyncItems(http, STRIPE_EVENTS, scope)
        self.faults = AsyncFaults(http)

    def scoped(self, accounts: Iterable[str] = (), after: int | None = None) -> AsyncFakeServices:
        """See :meth:`FakeServices.scoped`."""
        view = copy.copy(self)
        view._owns_http = False
        view._wire(self._http, Scope(tuple(accounts), after))
        return view

    async def health(self) -> Health:
        return await self._run(health_call())

    async def reset(self, service: str | None = None, account: str | None = None) -> None:
        await self._run(reset_call(service, account))

    async def authenticate_payment(self, payment_intent: str, outcome: str = "succeed") -> Any:
        return await self._run(authenticate_call(payment_intent, outcome))

    async def complete_checkout(
        self,
        session_id: str,
        payment_method: str = "pm_card_visa",
        email: str | None = None,
        three_d_secure: str | None = None,
        delayed: bool = False,
    ) -> Any:
        call = complete_checkout_call(session_id, payment_method, email, three_d_secure, delayed)
        return await self._run(call)

    async def settle_checkout(self, session_id: str, outcome: str = "succeed") -> Any:
        return await self._run(settle_checkout_call(session_id, outcome))

    async def expire_checkout(self, session_id: str) -> Any:
        return await self._run(expire_checkout_call(session_id))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncFakeServices:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
