"""Idempotency keys: the first answer to a key is replayed for every retry that sends it again.

A key belongs to a scope (the account and the operation); a retry with the same key and the same
request gets the stored answer, one with a different request is a conflict. Entries expire after
``ttl`` seconds of the injected clock and the cache holds at most ``capacity`` of them (the
oldest go first), so memory stays bounded.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from fakeservices.core.clock import Clock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Replay(Generic[T]):
    """What a key already answered: ``value``, or ``conflict`` if the request differs."""

    value: T | None
    conflict: bool


class IdempotencyCache(Generic[T]):
    def __init__(self, clock: Clock, ttl: float = 86_400, capacity: int = 10_000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], tuple[float, str, T]] = OrderedDict()

    @staticmethod
    def fingerprint(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()

    def lookup(self, scope: str, key: str, body: bytes) -> Replay[T] | None:
        """The answer already given to ``key`` in ``scope`` (None: a first request)."""
        entry = self._entries.get((scope, key))
        if entry is None:
            return None
        at, fingerprint, value = entry
        if self.clock.monotonic() - at >= self.ttl:
            del self._entries[(scope, key)]
            return None
        if fingerprint != self.fingerprint(body):
            return Replay(None, conflict=True)
        return Replay(value, conflict=False)

    def remember(self, scope: str, key: str, body: bytes, value: T) -> None:
        self._entries[(scope, key)] = (self.clock.monotonic(), self.fingerprint(body), value)
        self._entries.move_to_end((scope, key))
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def reset(self, scope_prefix: str | None = None) -> None:
        """Forget every key, or those whose scope starts with ``scope_prefix``."""
        if scope_prefix is None:
            self._entries.clear()
            return
        for entry in [k for k in self._entries if k[0].startswith(scope_prefix)]:
            del self._entries[entry]

    def __len__(self) -> int:
        return len(self._entries)
