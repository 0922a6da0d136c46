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
from typing import TYPE_CHECKING, Any, Literal

from fakeservices.core.changes import Change, ChangeFeed, ChangeKind
from fakeservices.core.clock import Clock, SystemClock, rfc3339

if TYPE_CHECKING:
    # Re-exported ("X as X") for the type checker; at run time, __getattr__ below.
    from fakeservices.core.fault_specs import Action as Action
    from fakeservices.core.fault_specs import DelayAction as DelayAction
    from fakeservices.core.fault_specs import Distribution as Distribution
    from fakeservices.core.fault_specs import DropAction as DropAction
    from fakeservices.core.fault_specs import ErrorAction as ErrorAction
    from fakeservices.core.fault_specs import FaultSpec as FaultSpec
    from fakeservices.core.fault_specs import Lognormal as Lognormal
    from fakeservices.core.fault_specs import MalformedAction as MalformedAction
    from fakeservices.core.fault_specs import Match as Match
    from fakeservices.core.fault_specs import RateLimitAction as RateLimitAction
    from fakeservices.core.fault_specs import SmtpReplyAction as SmtpReplyAction
    from fakeservices.core.fault_specs import TimeoutAction as TimeoutAction
    from fakeservices.core.fault_specs import Uniform as Uniform

SmtpStage = Literal["connect", "ehlo", "mail", "rcpt", "data"]
#: Rule service names that are not a fake of their own.
CORE_FAULT_SERVICES: dict[str, tuple[str, ...]] = {"smtp": ("smtp",)}
HTTP_ONLY = ("error", "malformed")

#: The rule's pydantic models, which live in :mod:`fakeservices.core.fault_specs`.
_SPECS = frozenset(
    {
        "Action",
        "DelayAction",
        "Distribution",
        "DropAction",
        "ErrorAction",
        "FaultSpec",
        "Lognormal",
        "MalformedAction",
        "Match",
        "RateLimitAction",
        "SmtpReplyAction",
        "TimeoutAction",
        "Uniform",
    }
)


def __getattr__(name: str) -> Any:
    """``FaultSpec``, ``DelayAction``...: imported from :mod:`~fakeservices.core.fault_specs` on
    first use. Pydantic and those models cost about a fifth of start-up, and a server that is
    given no fault rule never needs them."""
    if name in _SPECS:
        from fakeservices.core import fault_specs

        return getattr(fault_specs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        from fakeservices.core.fault_specs import RateLimitAction

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
                assert action.type == "rate_limit"
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
