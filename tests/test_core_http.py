"""The core HTTP helpers: credentials, the bounded body read and the guarded JSON decoder."""

from __future__ import annotations

import base64
import json

import pytest

from fakeservices.core.http import (
    MAX_JSON_DEPTH,
    BadJson,
    basic_credentials,
    bearer_token,
    loads,
)


def _basic(user_pass: bytes) -> str:
    return "Basic " + base64.b64encode(user_pass).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer SG.abc", "SG.abc"),
        ("bearer  SG.abc  ", "SG.abc"),
        ("Basic SG.abc", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_bearer_token(header: str | None, expected: str) -> None:
    assert bearer_token(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (_basic(b"api:key-1"), ("api", "key-1")),
        (_basic(b"AC1:tok:en"), ("AC1", "tok:en")),
        (_basic(b"api:"), ("api", "")),
        (_basic("jörg:pässword".encode()), ("jörg", "pässword")),
        (_basic(b"no-colon"), None),
        (_basic(b"\xff\xfe:x"), None),  # not UTF-8
        ("Basic !!!not-base64", None),
        ("Bearer x", None),
        (None, None),
    ],
)
def test_basic_credentials(header: str | None, expected: tuple[str, str] | None) -> None:
    assert basic_credentials(header) == expected


def test_loads_decodes_what_json_decodes() -> None:
    doc = {"a": [1, 2.5, None, True, {"b": "ü"}], "nested": [[[["ok"]]]]}
    assert loads(json.dumps(doc).encode()) == doc
    assert loads(json.dumps(doc)) == doc
    assert loads("\ufeff{}".encode()) == {}  # a UTF-8 BOM, as json.loads(bytes) allows
    # Brackets inside strings do not count as nesting.
    assert loads(json.dumps({"s": "[" * 10_000})) == {"s": "[" * 10_000}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "invalid JSON"),
        (b"", "invalid JSON"),
        (b'{"a": "\xff\xfe"}', "not valid UTF-8"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "nested deeper"),
        (b"[" * 100_000, "nested deeper"),  # would be a RecursionError in json.loads
        (b"1" * 5000, "invalid JSON"),  # int longer than Python converts
    ],
)
def test_loads_refuses_with_one_typed_error(data: bytes, reason: str) -> None:
    with pytest.raises(BadJson) as exc:
        loads(data)
    assert reason in exc.value.reason


def test_loads_limits_depth_and_size_as_told() -> None:
    assert loads(b"[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(BadJson, match="deeper than 2"):
        loads(b"[[[1]]]", max_depth=2)
    with pytest.raises(BadJson, match="larger than 4 bytes"):
        loads(b"[1, 2]", max_bytes=4)


def test_recursion_error_never_escapes_even_below_the_depth_check() -> None:
    # A depth limit above Python's own recursion limit: the decoder's RecursionError is caught.
    with pytest.raises(BadJson, match="too deeply"):
        loads(b"[" * 100_000 + b"]" * 100_000, max_depth=10**6)
