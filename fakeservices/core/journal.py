"""The request journal: one entry per HTTP request to a fake and per SMTP transaction."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakeservices.core.changes import ChangeFeed
from fakeservices.core.clock import rfc3339
from fakeservices.core.store import SeqClock, Store

_ids = itertools.count(1)


def _truncate(body: bytes, cap: int) -> tuple[bytes, bool]:
    # Kept as bytes: decoding happens only when an entry is read back.
    if len(body) <= cap:
        return body, False
    return body[:cap], True


@dataclass(slots=True, eq=False)
class JournalEntry:
    service: str
    method: str
    path: str
    account: str
    status: int
    duration_ms: float
    started_at: float
    query: str = ""
    fault: dict[str, Any] | None = None
    request_body: bytes = b""
    request_truncated: bool = False
    response_body: bytes = b""
    response_truncated: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: f"jr_{next(_ids)}")
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "account": self.account,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "received_at": rfc3339(self.started_at),
            "fault": self.fault,
            "request_body": self.request_body.decode("utf-8", "replace"),
            "request_truncated": self.request_truncated,
            "response_body": self.response_body.decode("utf-8", "replace"),
            "response_truncated": self.response_truncated,
            "detail": self.detail,
        }

    def head_json(self) -> dict[str, Any]:
        """The entry without its bodies (lists and the events stream; read those one by one)."""
        data = self.to_json()
        for key in ("request_body", "response_body", "detail"):
            del data[key]
        return data

    def summary(self) -> str:
        fault = f" fault={self.fault['type']}" if self.fault else ""
        return f"{self.service} {self.method} {self.path} -> {self.status}{fault}"


class Journal:
    """A :class:`Store` of :class:`JournalEntry` plus the recording helper."""

    def __init__(
        self, capacity: int, clock: SeqClock, body_cap: int, feed: ChangeFeed | None = None
    ) -> None:
        self.store: Store[JournalEntry] = Store("requests", capacity, clock, feed)
        self.body_cap = body_cap

    def record(
        self,
        *,
        service: str,
        method: str,
        path: str,
        account: str,
        status: int,
        started_at: float,
        duration_ms: float,
        query: str = "",
        fault: dict[str, Any] | None = None,
        request_body: bytes = b"",
        response_body: bytes = b"",
        detail: dict[str, Any] | None = None,
    ) -> JournalEntry:
        req, req_cut = _truncate(request_body, self.body_cap)
        resp, resp_cut = _truncate(response_body, self.body_cap)
        return self.store.add(
            JournalEntry(
                service=service,
                method=method,
                path=path,
                account=account,
                status=status,
                duration_ms=duration_ms,
                started_at=started_at,
                query=query,
                fault=fault,
                request_body=req,
                request_truncated=req_cut,
                response_body=resp,
                response_truncated=resp_cut,
                detail=detail or {},
            )
        )


def status_matcher(spec: str) -> Callable[[int], bool]:
    """``"404"`` matches exactly; ``"4xx"`` matches a class. Raises ValueError otherwise."""
    spec = spec.strip().lower()
    if len(spec) == 3 and spec[0] in "12345" and spec[1:] == "xx":
        lo = int(spec[0]) * 100
        return lambda s: lo <= s < lo + 100
    code = int(spec)
    return lambda s: s == code


def entry_filter(
    *,
    service: str | None = None,
    method: str | None = None,
    path: str | None = None,
    status: Callable[[int], bool] | None = None,
    account: str | None = None,
) -> Callable[[JournalEntry], bool]:
    """A predicate over journal entries; ``path`` is a glob (``/v1/payment_intents*``)."""
    method_u = method.upper() if method else None

    def pred(e: JournalEntry) -> bool:
        return (
            (service is None or e.service == service)
            and (method_u is None or e.method == method_u)
            and (path is None or fnmatch.fnmatchcase(e.path, path))
            and (status is None or status(e.status))
            and (account is None or e.account == account)
        )

    return pred
