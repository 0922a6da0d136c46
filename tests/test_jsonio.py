"""core.jsonio: orjson's output equals the stdlib's for Stripe-shaped values, and what orjson
refuses falls back to the stdlib instead of failing the request."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable

import orjson
import pytest
from starlette.responses import JSONResponse

from fakeservices.core.jsonio import (
    PIECE_CHARS,
    Frozen,
    clone,
    compact,
    compact_in_pieces,
    kept,
    pretty,
)

SAMPLE = {
    "id": "pi_1",
    "object": "payment_intent",
    "amount": 2000,
    "metadata": {"order": "42", "note": "plain ascii"},
    "charges": [{"id": "ch_1", "captured": True, "fee": None, "rate": 0.029}],
}


def test_pretty_is_the_stdlib_two_space_form() -> None:
    assert pretty(SAMPLE) == json.dumps(SAMPLE, indent=2).encode()


def test_pretty_keeps_non_ascii_as_utf8() -> None:
    assert json.loads(pretty({"name": "Zoë"})) == {"name": "Zoë"}
    assert "Zoë".encode() in pretty({"name": "Zoë"})


def test_pretty_falls_back_for_what_orjson_refuses() -> None:
    huge = {"amount": 10**30, 7: "int key"}
    assert json.loads(pretty(huge)) == {"amount": 10**30, "7": "int key"}


def test_clone_is_deep_and_equal() -> None:
    copy = clone(SAMPLE)
    assert copy == SAMPLE
    copy["charges"][0]["captured"] = False
    copy["metadata"]["order"] = "43"
    assert SAMPLE["charges"][0]["captured"] is True
    assert SAMPLE["metadata"]["order"] == "42"


def test_clone_falls_back_for_what_orjson_refuses() -> None:
    value = {"amount": 10**30, "nested": [{"a": 1}]}
    copy = clone(value)
    assert copy == value
    assert copy["nested"][0] is not value["nested"][0]


def test_compact_in_pieces_is_what_jsonresponse_sends() -> None:
    long_text = ('é"\\\n\t\u2028x😀' * 30_000) + "end"  # escapes and non-ASCII across pieces
    assert len(long_text) > 3 * PIECE_CHARS
    value = {
        "data": [
            {"id": "em_1", "text": long_text, "html": None, "n": 1, "f": 2.5, "ok": True},
            {"empty": {}, "list": [], "nested": [[long_text[:10]], {"k": long_text}]},
        ],
        "has_more": False,
        "next_after": 7,
    }
    expected = JSONResponse(value).body
    assert compact_in_pieces(value) == expected == compact(value)
    assert compact_in_pieces({1: long_text}) == JSONResponse({1: long_text}).body


def test_compact_in_pieces_refuses_what_jsonresponse_refuses() -> None:
    for bad in ({"x": float("nan")}, {"x": object()}):
        with pytest.raises((ValueError, TypeError)):
            JSONResponse(bad)
        with pytest.raises((ValueError, TypeError)):
            compact_in_pieces(bad)


@pytest.mark.parametrize(
    "value", [SAMPLE, {"amount": 10**30, "nested": [{"a": 1}]}, {"t": ("a", 1)}, [], "x", None]
)
def test_frozen_thaws_to_what_clone_gave_at_freezing(value: object) -> None:
    """What an event now keeps (frozen bytes, parsed on read) equals the eager clone it kept
    before, for what orjson takes and for what it refuses (the fallback)."""
    eager = clone(value)
    frozen = Frozen(value)
    assert frozen.thaw() == eager
    assert frozen.thaw() == frozen.thaw()


def test_frozen_ignores_later_changes_and_each_thaw_is_a_new_copy() -> None:
    for extra in ({}, {"big": 10**30}):  # the orjson path and the fallback
        obj = {"status": "requires_confirmation", "metadata": {"a": "1"}, "list": [1], **extra}
        frozen = Frozen(obj)
        obj["status"] = "succeeded"
        obj["metadata"]["a"] = "2"
        obj["list"].append(2)
        first = frozen.thaw()
        assert first == {
            "status": "requires_confirmation",
            "metadata": {"a": "1"},
            "list": [1],
            **extra,
        }
        first["metadata"]["a"] = "changed by a reader"
        first["list"].clear()
        assert frozen.thaw()["metadata"] == {"a": "1"} and frozen.thaw()["list"] == [1]


def traced_per_object(make: Callable[[], object], n: int = 500) -> float:
    """Bytes allocated and still held per object made (tracemalloc)."""
    held = []
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [make() for _ in range(n)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(held) == n
    return (after - before) / n


DOCUMENT = {"id": "pi_" + "x" * 24, "object": "payment_intent", "amount": 1000, "text": "y" * 1300}


def test_kept_bytes_hold_their_length_where_orjson_held_its_buffer() -> None:
    raw = orjson.dumps(DOCUMENT)
    # The reason for kept(): orjson's own object holds far more than its length.
    assert traced_per_object(lambda: orjson.dumps(DOCUMENT)) > 4 * len(raw)
    assert kept(raw) == raw
    assert traced_per_object(lambda: kept(orjson.dumps(DOCUMENT))) < len(raw) + 100


def test_a_frozen_value_holds_about_its_json() -> None:
    size = len(orjson.dumps(DOCUMENT))
    assert traced_per_object(lambda: Frozen(DOCUMENT)) < size + 200
    assert Frozen(DOCUMENT).thaw() == DOCUMENT
