"""The "fakeservices" section of a failed test's report: what arrived in the test's scope.

A red test should explain itself without a re-run: the mail, SMS, Stripe events and webhook
deliveries its scope saw, the faults that fired and the last requests the fakes served. The
section is bounded: at most :data:`MAX_ITEMS` lines per kind, each cut to :data:`MAX_LINE`
characters, the whole cut to :data:`MAX_CHARS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fakeservices.client import FakeServicesError

if TYPE_CHECKING:
    from fakeservices.pytest_plugin import Fake

MAX_ITEMS = 10
MAX_LINE = 160
MAX_CHARS = 6000
#: How many journal entries are read to pick the last ones and the faulted ones.
JOURNAL_WINDOW = 1000


def _cut(text: str, limit: int = MAX_LINE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _block(title: str, lines: Sequence[str], more: bool) -> list[str]:
    if not lines:
        return [f"{title}: none"]
    extra = " (first shown; more arrived)" if more else ""
    return [f"{title} ({len(lines)}{'+' if more else ''}){extra}:"] + [
        "  " + _cut(line) for line in lines
    ]


def _first(read: Callable[..., list[Any]], render: Callable[[Any], str]) -> tuple[list[str], bool]:
    items = read(limit=MAX_ITEMS + 1)
    return [render(i) for i in items[:MAX_ITEMS]], len(items) > MAX_ITEMS


def describe(fake: Fake) -> str:
    """The report section's text (never raises: a server that is gone is said so)."""
    try:
        return _cut_total("\n".join(_lines(fake)))
    except FakeServicesError as exc:
        return f"(could not read back from {fake.url}: {exc})"


def _lines(fake: Fake) -> list[str]:
    after = fake.cursor
    out = [
        f"server {fake.url}, smtp {fake.smtp_host}:{fake.smtp_port}; scope: this test's "
        f"accounts and shared accounts after seq {after}",
    ]
    emails, more = _first(
        lambda **kw: fake.emails.list(after=after, **kw),
        lambda m: (
            f"to={','.join(m.to or m.envelope_to) or '-'} subject={m.subject!r}"
            f" ({m.source}, {m.account})"
        ),
    )
    out += _block("emails", emails, more)
    sms, more = _first(
        lambda **kw: fake.sms.list(after=after, **kw),
        lambda m: f"to={m.to} status={m.status} body={m.body!r}",
    )
    out += _block("sms", sms, more)
    events, more = _first(
        lambda **kw: fake.stripe_events.list(after=after, **kw),
        lambda e: f"{e.type} {e.object_id or '-'} ({e.id})",
    )
    out += _block("stripe events", events, more)
    deliveries, more = _first(
        lambda **kw: fake.webhook_deliveries.list(after=after, **kw),
        lambda d: (
            f"{d.service} {d.event} -> {d.url} {d.state}"
            f" (last status {d.attempts[-1].status if d.attempts else '-'})"
        ),
    )
    out += _block("webhook deliveries", deliveries, more)
    rules = []
    for handle in fake.faults.added:
        try:
            rule = handle.refresh()
        except FakeServicesError:
            rule = handle.rule
        if rule.hits:
            rules.append(f"rule {rule.id} {rule.service} {rule.action}: {rule.hits} hits")
    journal = fake.requests.list(after=after, limit=JOURNAL_WINDOW)
    faulted = [
        f"{e.method} {e.path} -> {e.status} fault={(e.fault or {}).get('type')}"
        for e in journal
        if e.fault
    ]
    out += _block("faults that fired", (rules + faulted)[-MAX_ITEMS:], False)
    last = [
        f"{e.service} {e.method} {e.path} -> {e.status} {e.duration_ms:.1f}ms"
        for e in journal[-MAX_ITEMS:]
    ]
    out += _block("last requests", last, False)
    return out


def _cut_total(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[: MAX_CHARS - 20] + "\n... (cut)"
