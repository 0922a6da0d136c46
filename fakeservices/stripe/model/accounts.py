"""The Stripe fake's bounded store: accounts (one per secret key) and the objects each owns.

Memory is bounded twice: at most ``max_accounts`` accounts (the least recently used is forgotten)
and at most ``max_objects`` objects per account, plus what one request creates: the oldest objects
are evicted first, with everything kept about them, when the account is next opened. So one key
creating objects forever cannot grow the process without bound. Both evictions are counted:
:class:`Accounts` reports the accounts and :attr:`Accounts.objects` the objects, as health and
metrics read them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fakeservices.core.clock import SYSTEM_CLOCK, Clock
from fakeservices.stripe.cards import CardSpec

Obj = dict[str, Any]

#: Idempotency keys remembered per account (Stripe keeps them at least 24 h).
IDEMPOTENCY_KEYS_PER_ACCOUNT = 10_000
#: Objects kept per account unless configured (``--max-stripe-objects``).
DEFAULT_MAX_OBJECTS = 10_000
#: Kinds evicted only when nothing else is left: losing a webhook endpoint would silently stop
#: the account's webhooks.
KEPT_KINDS = frozenset({"webhook_endpoint"})


@dataclass
class Ctx:
    """Who is asking, for which request, and when (events record it)."""

    account: str
    request_id: str | None = None
    idempotency_key: str | None = None
    #: The Stripe-Version the request named (events carry it as api_version).
    api_version: str | None = None
    #: Set by slow cards: the wire answers only after this many seconds.
    delay: float = 0.0
    #: The clock of this context: the account's, or a test clock's (:meth:`at`).
    clock: Clock = SYSTEM_CLOCK
    #: Events to deliver in order before the response (a test clock's advance), or None: deliver
    #: in the background as usual. Shared by the contexts :meth:`at` derives.
    in_order: list[Any] | None = None
    #: Where the request reached us (``http://host:port``, from its Host header), or how to
    #: work it out: read it as :attr:`base_url`. A function because few requests need it (the
    #: wire's costs more than a PaymentIntent create's own validation).
    origin: str | Callable[[], str] = ""

    @property
    def base_url(self) -> str:
        """The base of the URLs we hand out (a Checkout Session's ``url``), so that they work
        through port mappings."""
        if not isinstance(self.origin, str):
            self.origin = self.origin()
        return self.origin

    def now(self) -> int:
        """ "Now" in this context, in whole Unix seconds as Stripe's timestamps are."""
        return int(self.clock.now())

    def at(self, clock: Clock) -> Ctx:
        """This request's context on another clock (a test clock's objects follow its time)."""
        return self if clock is self.clock else replace(self, clock=clock)


@dataclass
class IdemRecord:
    fingerprint: str
    status: int
    body: bytes
    request_id: str


class ObjectCount:
    """The objects of every account, as health and metrics report them (``stripe_objects``)."""

    def __init__(self) -> None:
        self.held = 0
        self.added = 0
        #: Objects evicted by the per-account cap or with an account forgotten by its cap.
        self.evicted = 0

    def __len__(self) -> int:
        return self.held


@dataclass
class Account:
    """Everything one secret key owns."""

    key: str
    clock: Clock
    max_objects: int
    counts: ObjectCount
    #: Objects by id, oldest first. An OrderedDict because :meth:`trim` takes from the front of
    #: a full account on every request: a plain dict's iteration first skips every slot freed
    #: since it was last rebuilt (O(n) per trim), an OrderedDict's starts at its first live key.
    objects: dict[str, Obj] = field(default_factory=OrderedDict)
    #: Card behaviour behind a PaymentMethod / Token / Card id.
    specs: dict[str, CardSpec] = field(default_factory=dict)
    #: Ids of deleted objects -> their kind (retrieve answers ``deleted: true``), oldest first.
    deleted: OrderedDict[str, str] = field(default_factory=OrderedDict)
    secrets: dict[str, str] = field(default_factory=dict)
    #: Intents whose 3DS challenge succeeded (admin authenticate).
    authenticated: set[str] = field(default_factory=set)
    #: PaymentMethods set up for off-session use by a SetupIntent.
    set_up: set[str] = field(default_factory=set)
    return_urls: dict[str, str] = field(default_factory=dict)
    #: The PaymentIntent collecting each invoice, and back (Billing).
    invoice_intents: dict[str, str] = field(default_factory=dict)
    intent_invoices: dict[str, str] = field(default_factory=dict)
    #: What happened to an object that its JSON does not show (a trial's warning sent...).
    notes: dict[str, set[str]] = field(default_factory=dict)
    #: Account-wide settings the Dashboard holds on Stripe (``billing.after_retries``).
    settings: dict[str, str] = field(default_factory=dict)
    #: What Checkout keeps beside a session and does not show in it: ``line_items`` (served by
    #: their own list), ``intent_data`` (its ``payment_intent_data``), the ``email`` entered.
    checkout: dict[str, Obj] = field(default_factory=dict)
    #: The Checkout Session an intent pays for (its 3DS outcome completes the session).
    checkout_of: dict[str, str] = field(default_factory=dict)
    idempotency: OrderedDict[str, IdemRecord] = field(default_factory=OrderedDict)
    in_flight: set[str] = field(default_factory=set)
    #: ``objects`` by kind, in the same order: listing one kind (and finding the webhook endpoints
    #: for every event) must not scan every object the account ever made.
    by_kind: dict[str, dict[str, Obj]] = field(default_factory=dict)

    def put(self, obj: Obj) -> Obj:
        """Store a new object (the cap applies when the account is next opened)."""
        self.objects[obj["id"]] = obj
        self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj
        self.counts.held += 1
        self.counts.added += 1
        return obj

    def trim(self) -> None:
        """Evict the oldest objects beyond the cap, with everything kept about them.

        Called between requests, never during one, so that an operation never sees an object
        it has just looked up disappear.
        """
        excess = len(self.objects) - self.max_objects
        if excess <= 0:
            return
        victims: list[str] = []
        for obj_id, obj in self.objects.items():
            if obj["object"] not in KEPT_KINDS:
                victims.append(obj_id)
                if len(victims) == excess:
                    break
        if len(victims) < excess:  # nothing but kept kinds left: they go too
            victims += [i for i in self.objects if i not in victims][: excess - len(victims)]
        for obj_id in victims:
            self.remove(obj_id)
        self.counts.evicted += len(victims)

    def remove(self, obj_id: str) -> None:
        """Forget an object and everything kept about it."""
        obj = self.objects.pop(obj_id)
        self.counts.held -= 1
        self.by_kind.get(obj["object"], {}).pop(obj_id, None)
        self.specs.pop(obj_id, None)
        self.secrets.pop(obj_id, None)
        self.return_urls.pop(obj_id, None)
        self.notes.pop(obj_id, None)
        pi_id = self.invoice_intents.pop(obj_id, None)
        if pi_id is not None:
            self.intent_invoices.pop(pi_id, None)
        self.checkout.pop(obj_id, None)
        self.checkout_of.pop(obj_id, None)
        self.authenticated.discard(obj_id)
        self.set_up.discard(obj_id)

    def mark_deleted(self, obj_id: str, kind: str) -> None:
        self.deleted[obj_id] = kind
        while len(self.deleted) > self.max_objects:
            self.deleted.popitem(last=False)

    def of_kind(self, kind: str) -> list[Obj]:
        """Objects of one kind, newest first."""
        return list(reversed(self.by_kind.get(kind, {}).values()))


class Accounts:
    """Accounts by secret key, least recently used first (health's ``stripe_accounts``)."""

    def __init__(
        self,
        max_accounts: int = 1000,
        max_objects: int = DEFAULT_MAX_OBJECTS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._by_key: OrderedDict[str, Account] = OrderedDict()
        self.max_accounts = max_accounts
        self.max_objects = max_objects
        self.clock = clock
        self.added = 0
        self.evicted = 0
        self.objects = ObjectCount()

    def __len__(self) -> int:
        return len(self._by_key)

    def keys(self) -> list[str]:
        return list(self._by_key)

    def get(self, key: str) -> Account | None:
        """The account of ``key`` if it exists (not touched: reading does not keep it alive)."""
        return self._by_key.get(key)

    def open(self, key: str) -> Account:
        """The account of ``key``, created on first use and marked most recently used."""
        acct = self._by_key.get(key)
        if acct is None:
            acct = Account(key, self.clock, self.max_objects, self.objects)
            self._by_key[key] = acct
            self.added += 1
            while len(self._by_key) > self.max_accounts:
                _, gone = self._by_key.popitem(last=False)
                self.objects.held -= len(gone.objects)
                self.objects.evicted += len(gone.objects)
                self.evicted += 1
        else:
            self._by_key.move_to_end(key)
            acct.trim()
        return acct

    def context(
        self,
        key: str,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        api_version: str | None = None,
        base_url: str | Callable[[], str] = "",
    ) -> Ctx:
        """A request's context on ``key``'s account, with that account's clock; ``base_url``
        (a string or a function giving it) is read as :attr:`Ctx.base_url`."""
        return Ctx(
            key,
            request_id,
            idempotency_key,
            api_version,
            clock=self.open(key).clock,
            origin=base_url,
        )

    def reset(self, key: str | None) -> None:
        """Forget every account, or one (not an eviction: nothing is counted as evicted)."""
        gone = list(self._by_key.values()) if key is None else [self._by_key.get(key)]
        for acct in gone:
            if acct is not None:
                self.objects.held -= len(acct.objects)
                del self._by_key[acct.key]

    def owner(self, obj_id: str) -> str | None:
        """The key of the account holding ``obj_id`` (a page reached by an id alone)."""
        for key, acct in self._by_key.items():
            if obj_id in acct.objects:
                return key
        return None

    def find(self, key: str, obj_id: str) -> Obj | None:
        acct = self._by_key.get(key)
        return None if acct is None else acct.objects.get(obj_id)
