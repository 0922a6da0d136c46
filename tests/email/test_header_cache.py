"""The shared header objects of ``email/policies.py``: bounded, safe from threads, policy unchanged.

Equality of the parse results with and without sharing is in test_parse_equivalence.py; here are
the cache's bounds, concurrent parses through a cache small enough to be emptied all the time,
and the policies' settings, which must stay those of ``policy.default``/``SMTP``/``SMTPUTF8``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage

import pytest

from fakeservices.email import compose, mime, policies
from fakeservices.email.policies import POLICY, SMTP_POLICY, SMTPUTF8_POLICY, HeaderCache

from .test_parse_equivalence import CORPUS, reference

_SETTINGS = (
    "max_line_length",
    "linesep",
    "cte_type",
    "raise_on_defect",
    "mangle_from_",
    "message_factory",
    "utf8",
    "refold_source",
    "content_manager",
    "verify_generated_headers",  # Python 3.11.10 and later
)


@pytest.mark.parametrize(
    ("ours", "stdlib"),
    [(POLICY, policy.default), (SMTP_POLICY, policy.SMTP), (SMTPUTF8_POLICY, policy.SMTPUTF8)],
)
def test_the_policies_keep_the_stdlib_settings(ours: object, stdlib: object) -> None:
    for name in _SETTINGS:
        assert getattr(ours, name, None) == getattr(stdlib, name, None), name
    assert isinstance(ours, policies.SharingPolicy)


def test_the_cache_holds_at_most_its_entries() -> None:
    cache = HeaderCache(max_entries=4, max_chars=10_000, max_value=100)
    for i in range(50):
        cache.put("To", f"u{i}@x.example", f"u{i}@x.example")
        assert len(cache) <= 4
    assert cache.get("To", "u49@x.example") == "u49@x.example"  # the latest is kept
    assert cache.get("To", "u0@x.example") is None  # an early one is gone


def test_the_cache_holds_at_most_its_characters() -> None:
    cache = HeaderCache(max_entries=1000, max_chars=100, max_value=40)
    for i in range(200):
        cache.put("Subject", f"subject number {i:05}", "s")
        assert cache.chars <= 100
        assert len(cache) <= 100 // len("Subject" + "subject number 00000")


def test_a_long_value_is_not_kept() -> None:
    cache = HeaderCache(max_entries=10, max_chars=10_000, max_value=20)
    cache.put("Subject", "x" * 21, "parsed")
    assert len(cache) == 0 and cache.get("Subject", "x" * 21) is None
    cache.put("Subject", "x" * 20, "parsed")
    assert cache.get("Subject", "x" * 20) == "parsed"


def test_the_same_value_under_another_name_is_another_entry() -> None:
    first = POLICY.header_fetch_parse("X-Test-Name-A", "a@x.example")
    second = POLICY.header_fetch_parse("To", "a@x.example")
    assert first.name == "X-Test-Name-A" and second.name == "To"  # type: ignore[attr-defined]
    assert type(first) is not type(second)


def test_many_distinct_messages_leave_the_parse_cache_within_its_bounds() -> None:
    cache = POLICY.header_factory.fetched  # type: ignore[attr-defined]
    for i in range(400):
        raw = (
            f"From: sender{i}@x.example\r\nTo: r{i}@x.example\r\nSubject: s {i}\r\n"
            f"Message-ID: <{i}@x.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
        ).encode()
        mime.parse_message(raw)
        assert len(cache) <= policies.MAX_ENTRIES
        assert cache.chars <= policies.MAX_CHARS


def test_a_header_object_set_on_a_message_is_returned_as_set() -> None:
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = "set, not parsed"
    stored = msg._headers[0][1]  # type: ignore[attr-defined]
    assert msg["Subject"] is stored


def test_threads_parsing_at_once_through_a_cache_emptied_all_the_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight threads parse the corpus at once while a tiny cache is emptied on most inserts."""
    tiny = HeaderCache(max_entries=3, max_chars=200, max_value=120)
    monkeypatch.setattr(POLICY.header_factory, "fetched", tiny)
    raws = [raw for name, raw, _ in CORPUS if name != "huge address header"]  # slow, not shared
    expected = [reference(raw) for raw in raws]
    start = threading.Barrier(8)

    def work(k: int) -> int:
        start.wait(timeout=30)
        same = 0
        for round_ in range(3):
            for i in range(len(raws)):
                j = (i + k + round_) % len(raws)
                assert mime.parse_message(raws[j]) == expected[j], j
                same += 1
        return same

    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(work, range(8)))
    assert done == [3 * len(raws)] * 8
    assert 0 < len(tiny) <= 3 and tiny.chars <= 200  # used, and within its bounds


def test_threads_putting_and_getting_keep_the_bounds() -> None:
    cache = HeaderCache(max_entries=16, max_chars=400, max_value=30)
    start = threading.Barrier(6)
    seen: list[int] = []

    def work(k: int) -> None:
        start.wait(timeout=30)
        for i in range(3000):
            value = f"v{k}-{i % 40}"
            got = cache.get("X", value)
            assert got is None or got == value.upper()
            cache.put("X", value, value.upper())
            seen.append(len(cache))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(6)))  # re-raises a thread's failed assertion
    assert len(seen) == 6 * 3000 and max(seen) <= 16
    assert cache.chars <= 400


def test_rendering_a_send_is_unchanged_by_the_sharing() -> None:
    """A send rendered with our policies gives the stdlib policies' bytes (folding untouched)."""
    out = compose.Outgoing(
        sender=compose.Mailbox("ann@x.example", "Ann Lee"),
        to=[compose.Mailbox(f"user{i}@x.example", f"User {i}") for i in range(12)],
        subject="A subject long enough to be folded " * 3,
        text="hello\n",
        html="<p>hello</p>",
        headers=[("X-Long", "word " * 40)],
        attachments=[compose.OutAttachment(b"%PDF", "a.pdf", "application/pdf")],
        message_id="<1@x.example>",
    )
    msg = compose.build(out, date=0.0)
    assert compose.serialize(msg) == msg.as_bytes(policy=policy.SMTP)
    again = mime._parse(compose.serialize(msg))
    assert again.as_bytes(policy=SMTP_POLICY) == again.as_bytes(policy=policy.SMTP)
