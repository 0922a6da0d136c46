"""core.jsonio: orjson's output equals the stdlib's for Stripe-shaped values, and what orjson
refuses falls back to the stdlib instead of failing the request."""

from __future__ import annotations

import json

from fakeservices.core.jsonio import clone, pretty

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
