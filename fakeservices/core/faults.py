"""The fault engine: one set of rules that every fake consults at one point.

HTTP fakes are consulted by the gateway before the fake's handler runs; SMTP at connect, EHLO,
MAIL, RCPT and DATA. A rule names a service (or ``*``), what to match, an action, and how often it
fires (``times``, ``after``, ``probability``). Rules apply in creation order; the first that fires
wins. Randomness (probabilities, random delays) comes from a seeded generator, so a test that sets
``--fault-seed`` or a rule ``seed`` is reproducible.

``rate_limit`` is the one action that depends on time: it lets ``limit`` matching requests through
per sliding window of ``per_seconds`` (per account, or per account and sender) and fires only for
the ones past that, telling the caller (through :attr:`FaultContext.retry_after`) when the window
lets the next one through. Its windows are read on the engine's injected
:class:`~fakeservices.core.clock.Clock`.

The rules are published on the runtime's change feed like a store's items, as store ``faults``:
``insert`` (a rule added), ``update`` (a rule fired: the change's item is a :class:`FaultFired`
naming the request, its account the request's), ``delete`` and ``reset``, each with the next
``seq`` of the shared clock. So the events stream and the web UI follow faults with no second
mechanism.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fakeservices.core.changes import Change, ChangeFeed, ChangeKind
from fakeservices.core.clock import Clock, SystemClock, rfc3339

SmtpStage = Literal["connect", "ehlo", "mail", "rcpt", "data"]
#: Rule service names that are not a fake of their own.
CORE_FAULT_SERVICES: dict[str, tuple[str, ...]] = {"smtp": ("smtp",)}
HTTP_ONLY = ("error", "malformed")


class _Strict(BaseModel):
    # defer_build: the validators are built on the first rule posted, not at import (building
    # them took about a twentieth of start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Match(_Strict):
    method: str | None = None
    path: str | None = Field(None, description="glob, e.g. /v1/payment_intents*")
    account: str | None = None
    to: str | None = Field(None, description="recipient address or phone number")
    from_: str | None = Field(None, alias="from", description="sender address or phone number")


class Uniform(_Strict):
    min_ms: float = Field(ge=0)
    max_ms: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max_ms < self.min_ms:
            raise ValueError("max_ms must be >= min_ms")
        return self


class Lognormal(_Strict):
    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0, le=10)


class Distribution(_Strict):
    uniform: Uniform | None = None
    lognormal: Lognormal | None = None

    @model_validator(mode="after")
    def _one(self) -> Distribution:
        if (self.uniform is None) == (self.lognormal is None):
            raise ValueError("give exactly one of uniform or lognormal")
        return self


class ErrorAction(_Strict):
    type: Literal["error"]
    status: int = Field(ge=400, le=599)
    body: dict[str, Any] | list[Any] | str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class DelayAction(_Strict):
    type: Literal["delay"]
    ms: float | None = Field(None, ge=0, le=3_600_000)
    distribution: Distribution | None = None
    stage: SmtpStage = "data"

    @model_validator(mode="after")
    def _one(self) -> DelayAction:
        if (self.ms is None) == (self.distribution is None):
            raise ValueError("give exactly one of ms or distribution")
        return self

    def seconds(self, rng: random.Random) -> float:
        if self.ms is not None:
            return self.ms / 1000
        dist = self.distribution
        assert dist is not None
        if dist.uniform is not None:
            return rng.uniform(dist.uniform.min_ms, dist.uniform.max_ms) / 1000
        assert dist.lognormal is not None
        ln = dist.lognormal
        return min(rng.lognormvariate(math.log(ln.median_ms), ln.sigma), 3_600_000) / 1000


class TimeoutAction(_Strict):
    type: Literal["timeout"]
    stage: SmtpStage = "data"


class DropAction(_Strict):
    type: Literal["drop"]
    stage: SmtpStage = "data"


class MalformedAction(_Strict):
    type: Literal["malformed"]


class SmtpReplyAction(_Strict):
    type: Literal["smtp_reply"]
    code: int = Field(ge=400, le=599)
    enhanced: str | None = Field(None, pattern=r"^[45]\.\d{1,3}\.\d{1,3}$")
    message: str = Field("Injected fault", max_length=500)
    stage: SmtpStage = "rcpt"

    @model_validator(mode="after")
    def _class_matches(self) -> SmtpReplyAction:
        if self.enhanced is not None and self.enhanced[0] != str(self.code)[0]:
            raise ValueError("enhanced status class must match the reply code (4.x.x for 4xx)")
        if "\r" in self.message or "\n" in self.message:
            raise ValueError("message must be one line")
        return self

    def reply(self) -> str:
        enhanced = f"{self.enhanced} " if self.enhanced else ""
        return f"{self.code} {enhanced}{self.message}"


class RateLimitAction(_Strict):
    """Refuse what goes past ``limit`` matching requests in any ``per_seconds`` window.

    HTTP: the endpoint's native rate-limit answer (429 in most envelopes) with ``Retry-After``.
    SMTP: ``smtp_code`` (451 defers the message, 421 also closes the connection) with the
    enhanced code, at ``stage`` (``mail`` by default: one count per message).
    """

    type: Literal["rate_limit"]
    limit: int = Field(ge=1, le=100_000)
    per_seconds: float = Field(gt=0, le=86_400)
    per_sender: bool = Field(False, description="a window per (account, sender), not per account")
    smtp_code: Literal[421, 451] = 451
    enhanced: str = Field("4.7.0", pattern=r"^4\.\d{1,3}\.\d{1,3}$")
    message: str | None = Field(None, max_length=500)
    stage: SmtpStage = "mail"

    @model_validator(mode="after")
    def _one_line(self) -> RateLimitAction:
        if self.message is not None and ("\r" in self.message or "\n" in self.message):
            raise ValueError("message must be one line")
        return self

    def describe(self, retry_after: int) -> str:
        """The refusal's text (the SMTP reply text and the HTTP error message)."""
        if self.message is not None:
            return self.message
        return (
            f"Rate limit exceeded: {self.limit} per {self.per_seconds:g} s; "
            f"try again in {retry_after} s"
        )

    def smtp_reply(self, retry_after: int) -> str:
        return f"{self.smtp_code} {self.enhanced} {self.describe(retry_after)}"


Action = Annotated[
    ErrorAction
    | DelayAction
    | TimeoutAction
    | DropAction
    | MalformedAction
    | SmtpReplyAction
    | RateLimitAction,
    Field(discriminator="type"),
]


#: Distinct windows (accounts, or account and sender pairs) one rate_limit rule keeps; past this the
#: least recently used is forgotten, so memory stays bounded whatever the traffic.
MAX_WINDOWS = 1000


class RateWindows:
    """Sliding windows of admitted request times, one per key, bounded in keys and length."""

    def __init__(self, limit: int, per_seconds: float, max_keys: int = MAX_WINDOWS) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self.max_keys = max_keys
        self._windows: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def admit(self, key: tuple[str, str], now: float) -> float | None:
        """Count a request at ``now`` and return None, or (over the limit) return the seconds
        until the window admits the next one, counting nothing."""
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
            if len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        horizon = now - self.per_seconds
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) < self.limit:
            window.append(now)
            return None
        return window[0] + self.per_seconds - now

    def __len__(self) -> int:
        return len(self._windows)


class FaultSpec(_Strict):
    """A fault rule as posted to ``POST /__admin/faults``."""

    service: str
    # model_construct: the same all-default Match as Match(), without building Match's validator
    # at import (the fault models are built on first use; see _Strict).
    match: Match = Match.model_construct()
    action: Action
    times: int | None = Field(None, ge=1)
    probability: float = Field(1.0, ge=0, le=1)
    after: int = Field(0, ge=0)
    seed: int | None = None


class FaultError(ValueError):
    """A rule that validates as JSON but makes no sense; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_ids = itertools.count(1)


@dataclass(eq=False)
class FaultRule:
    spec: FaultSpec
    rng: random.Random
    id: str = field(default_factory=lambda: f"flt_{next(_ids)}")
    created_at: float = field(default_factory=time.time)
    #: requests that matched (including those skipped by `after` or `probability`)
    matched: int = 0
    #: times it fired
    hits: int = 0
    #: the sliding windows of a rate_limit rule (None for other actions)
    windows: RateWindows | None = None

    def __post_init__(self) -> None:
        action = self.spec.action
        if isinstance(action, RateLimitAction):
            self.windows = RateWindows(action.limit, action.per_seconds)

    @property
    def expired(self) -> bool:
        return self.spec.times is not None and self.hits >= self.spec.times

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.model_dump(by_alias=True, exclude_none=True),
            "times": self.spec.times,
            "hits": self.hits,
            "matched": self.matched,
            "remaining": None if self.spec.times is None else self.spec.times - self.hits,
            "expired": self.expired,
            "created_at": rfc3339(self.created_at),
        }

    def brief(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.spec.action.type}


def _addr_eq(pattern: str, values: Iterable[str]) -> bool:
    p = pattern.strip().lower()
    return any(v.strip().lower() == p for v in values)


@dataclass(slots=True)
class FaultContext:
    """What a rule is matched against."""

    service: str
    account: str
    method: str = ""
    path: str = ""
    stage: SmtpStage | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    #: Set by :meth:`FaultEngine.pick` when a ``rate_limit`` rule fires: whole seconds until the
    #: window lets the next request through (what ``Retry-After`` says).
    retry_after: int = 0


@dataclass(slots=True, eq=False)
class FaultFired:
    """A rule that fired, and where: the item of a ``faults`` ``update`` change."""

    rule: FaultRule
    ctx: FaultContext
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "rule": self.rule.to_json(),
            "service": ctx.service,
            "account": ctx.account,
            "method": ctx.method or None,
            "path": ctx.path or None,
            "stage": ctx.stage,
            "at": rfc3339(self.at),
        }


#: The store name fault rules are published under on the change feed.
FEED_STORE = "faults"


class FaultEngine:
    def __init__(
        self,
        seed: int | None,
        groups: dict[str, tuple[str, ...]],
        feed: ChangeFeed | None = None,
        seq: Callable[[], int] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``groups`` maps each rule service name to the journal service names it covers;
        ``feed`` and ``seq`` (the shared clock's ``next``) publish the rules' changes; ``clock``
        is what rate-limit windows are measured on (the real clock by default)."""
        self.clock: Clock = clock or SystemClock()
        self.groups = {**CORE_FAULT_SERVICES, **groups}
        self.rng = random.Random(seed)
        self.rules: dict[str, FaultRule] = {}
        self.fired = 0
        self.feed = feed
        self._seq = seq if seq is not None else itertools.count(1).__next__

    def _publish(
        self, kind: ChangeKind, rule_id: str | None, account: str | None, item: object = None
    ) -> None:
        if self.feed is not None and self.feed.listening(FEED_STORE):
            self.feed.publish(Change(self._seq(), FEED_STORE, kind, rule_id, account, item))

    @property
    def services(self) -> tuple[str, ...]:
        return (*sorted(self.groups), "*")

    def add(self, spec: FaultSpec) -> FaultRule:
        """Install a rule (after its last check: the service exists and takes the action)."""
        if spec.service != "*" and spec.service not in self.groups:
            raise FaultError(
                "service", f"unknown service {spec.service!r}; one of {', '.join(self.services)}"
            )
        kind = spec.action.type
        if spec.service == "smtp" and kind in HTTP_ONLY:
            raise FaultError("action.type", f"{kind!r} does not apply to smtp; use smtp_reply")
        if spec.service not in ("smtp", "*") and kind == "smtp_reply":
            raise FaultError(
                "action.type", f"smtp_reply only applies to service smtp, not {spec.service!r}"
            )
        rng = random.Random(spec.seed) if spec.seed is not None else self.rng
        rule = FaultRule(spec, rng)
        self.rules[rule.id] = rule
        self._publish("insert", rule.id, spec.match.account, rule)
        return rule

    def get(self, rule_id: str) -> FaultRule | None:
        return self.rules.get(rule_id)

    def delete(self, rule_id: str) -> bool:
        rule = self.rules.pop(rule_id, None)
        if rule is None:
            return False
        self._publish("delete", rule.id, rule.spec.match.account, rule)
        return True

    def reset(self, account: str | None = None) -> int:
        """Remove every rule, or the rules that match only ``account``."""
        before = len(self.rules)
        if account is None:
            self.rules.clear()
        else:
            self.rules = {k: r for k, r in self.rules.items() if r.spec.match.account != account}
        self._publish("reset", None, account)
        return before - len(self.rules)

    def needs_addresses(self, service: str) -> bool:
        """Whether a live rule for ``service`` matches on to/from or keeps a window per sender
        (so the body must be read)."""
        return any(
            (r.spec.match.to or r.spec.match.from_ or getattr(r.spec.action, "per_sender", False))
            and self._covers(r.spec.service, service)
            for r in self.rules.values()
            if not r.expired
        )

    def _covers(self, rule_service: str, service: str) -> bool:
        return rule_service == "*" or service in self.groups.get(rule_service, ())

    def _matches(self, rule: FaultRule, ctx: FaultContext) -> bool:
        spec, m = rule.spec, rule.spec.match
        if not self._covers(spec.service, ctx.service):
            return False
        action = spec.action
        if ctx.stage is None:
            if action.type == "smtp_reply":
                return False
        else:
            if action.type in HTTP_ONLY or getattr(action, "stage", None) != ctx.stage:
                return False
        if m.account is not None and m.account != ctx.account:
            return False
        if m.method is not None and m.method.upper() != ctx.method.upper():
            return False
        if m.path is not None and not fnmatch.fnmatchcase(ctx.path, m.path):
            return False
        if m.from_ is not None and (ctx.sender is None or not _addr_eq(m.from_, [ctx.sender])):
            return False
        return m.to is None or _addr_eq(m.to, ctx.recipients)

    def pick(self, ctx: FaultContext) -> FaultRule | None:
        """The first rule that fires for ``ctx`` (and count it), or None."""
        for rule in tuple(self.rules.values()):
            if rule.expired or not self._matches(rule, ctx):
                continue
            rule.matched += 1
            if rule.matched <= rule.spec.after:
                continue
            p = rule.spec.probability
            if p < 1 and rule.rng.random() >= p:
                continue
            if rule.windows is not None:
                action = rule.spec.action
                assert isinstance(action, RateLimitAction)
                sender = (ctx.sender or "").strip().lower() if action.per_sender else ""
                wait = rule.windows.admit((ctx.account, sender), self.clock.monotonic())
                if wait is None:  # within the limit: counted, and served
                    continue
                ctx.retry_after = max(1, math.ceil(wait))
            rule.hits += 1
            self.fired += 1
            self._publish("update", rule.id, ctx.account, FaultFired(rule, ctx))
            return rule
        return None
