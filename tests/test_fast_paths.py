"""The shortcuts the HTTP hot path takes (issue 20) give what the code they replace gave.

Each is checked against the stdlib (or Starlette) call it stands in for, on generated inputs and
on the edge cases that send it back to that call.
"""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import UTC, datetime
from email.utils import format_datetime, getaddresses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse
from starlette.routing import Match, Mount, Route, Router

from fakeservices.app import build_app
from fakeservices.core import rfc2822
from fakeservices.core.config import Config
from fakeservices.core.http import (
    BadJson,
    FastJSONResponse,
    basic_credentials,
    loads,
    stdlib_loads,
)
from fakeservices.core.jsonio import fast_compact
from fakeservices.core.routing import REMEMBERED_PATHS, IndexedRouter, first_segment
from fakeservices.core.runtime import Runtime
from fakeservices.email.http_common import address_pairs
from fakeservices.email.mailgun import Form
from fakeservices.email.postmark import submitted_at


def starlette_body(content: Any) -> bytes:
    return bytes(JSONResponse(content).body)


# -- JSON: orjson where it writes what the stdlib writes ------------------------------------------
# Floats of the kind fast_compact is for: 0, or at least 1e-4 in magnitude, finite.
safe_floats = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-4, max_value=1e300),
    st.floats(min_value=-1e300, max_value=-1e-4),
    st.floats(min_value=0, max_value=1e6).map(lambda f: round(f, 1)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(),
    safe_floats,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_fast_compact_is_starlettes_json_byte_for_byte(value: Any) -> None:
    assert fast_compact(value) == starlette_body(value)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def test_fast_compact_falls_back_to_the_stdlib_for_what_orjson_refuses() -> None:
    class Text(str):
        pass

    for value in (
        {"big": 10**30},
        {1: "int key", "x": [1, 2]},
        {"subclass": Text("x")},
        ("a", "tuple"),
        {"deep": nested(300)},  # past orjson's depth limit
    ):
        assert fast_compact(value) == starlette_body(value)


def test_fast_compact_raises_where_starlette_raised() -> None:
    # (NaN is not among them: orjson writes null, which is why fast_compact is only for content
    # without such floats; its docstring says so and the test below pins it.)
    for value in ({"when": datetime.now(UTC)}, {"lone": "\ud800"}):
        for render in (fast_compact, starlette_body):
            try:
                render(value)
            except (TypeError, ValueError):
                continue
            raise AssertionError(f"{render.__name__} rendered {value!r}")


def test_fast_compact_differs_only_on_the_floats_its_docstring_names() -> None:
    assert fast_compact({"nan": math.nan}) == b'{"nan":null}'
    assert fast_compact(1e-05) == b"0.00001" and starlette_body(1e-05) == b"1e-05"


def test_fast_json_response_has_starlettes_headers_and_body() -> None:
    content = {"sid": "SM1", "num_segments": "1", "price": None, "ok": True, "lag": 0.3}
    fast, plain = FastJSONResponse(content, status_code=201), JSONResponse(content, 201)
    assert fast.body == plain.body
    assert fast.status_code == plain.status_code == 201
    assert fast.raw_headers == plain.raw_headers


# -- RFC 2822 dates -------------------------------------------------------------------------------
def stdlib_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC))


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=-(10**9), max_value=4 * 10**9, allow_nan=False))
def test_utc_date_is_format_datetime(ts: float) -> None:
    assert rfc2822.utc(ts) == stdlib_date(ts)


def test_utc_date_at_the_edges_of_a_second() -> None:
    # fromtimestamp rounds to microseconds: these round up into the next second.
    for ts in (1_795_560_721.9999996, 1_795_560_721.9999999, 1_795_560_722.0, 0.0, -0.5):
        assert rfc2822.utc(ts) == stdlib_date(ts)
    # The remembered second is not reused for another one.
    assert rfc2822.utc(1_795_560_721) != rfc2822.utc(1_795_560_722)
    assert rfc2822.utc(1_795_560_721.5) == stdlib_date(1_795_560_721)


# -- addresses ------------------------------------------------------------------------------------
atom = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-", min_size=1
)
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1)
plain_address = st.builds(
    lambda local, domain: ".".join(local) + "@" + ".".join(domain),
    st.lists(atom, min_size=1, max_size=3),
    st.lists(label, min_size=2, max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(plain_address, max_size=4))
def test_address_pairs_of_plain_addresses_is_getaddresses(values: list[str]) -> None:
    assert address_pairs(values) == getaddresses(values)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(plain_address, st.text(max_size=40)), max_size=4))
def test_address_pairs_of_anything_is_getaddresses(values: list[str]) -> None:
    assert address_pairs(values) == getaddresses(values)


def test_address_pairs_with_names_and_lists_is_getaddresses() -> None:
    for values in (
        ["Ann <ann@example.com>"],
        ["ann@example.com, bob@example.com"],
        ["ann@example.com (comment)"],
        [" ann@example.com"],
        ["ann@localhost"],
        ["ann..b@example.com"],
        ["ann@example..com"],
        ["ann@example.com."],
        ['"quoted"@example.com'],
        [""],
    ):
        assert address_pairs(values) == getaddresses(values)


# -- routing: the first-segment index picks the route the full router picks ----------------------
def _pick(routes: list[Any], path: str, method: str) -> tuple[str, Any]:
    """What Starlette's Router does with ``routes``: the route it hands the request to, the
    route whose match makes it redirect (slash added or removed), or nothing (404)."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return "full", route
        if match is Match.PARTIAL and partial is None:
            partial = route
    if partial is not None:
        return "partial", partial
    if path != "/":
        other = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
        for route in routes:
            if route.matches(other)[0] is not Match.NONE:
                return "redirect", route
    return "none", None


def _paths(routes: list[Any]) -> list[str]:
    samples = ["/", "", "/x", "/__admin", "/__admin/", "/v1", "/v1/", "/v3/mail/send/", "/%0A"]
    for route in routes:
        path = getattr(route, "path", "") or "/"
        for value in ("abc", "a.b", "x/y"):
            filled = re.sub(r"\{[^}]*\}", value, path)
            samples += [filled, filled + "/", filled.rstrip("/") + "/extra", filled[:-1]]
    return sorted(set(samples))


async def _endpoint(request: Any) -> Any:
    raise AssertionError("never called")


def test_indexed_router_picks_what_the_full_router_picks() -> None:
    app = build_app(Runtime(Config(http_port=0, smtp_port=0)))
    routers = [app.router]
    routers += [r.app for r in app.router.routes if isinstance(r, Mount)]
    # And a table where routes without a first segment sit between and after the others.
    routers.append(
        IndexedRouter(
            [
                Route("/a/{x}", _endpoint, methods=["GET"]),
                Route("/{any}/b", _endpoint, methods=["POST"]),
                Mount("/a", routes=[Route("/c", _endpoint)]),
                Route("/a", _endpoint),
                Route("/{rest:path}", _endpoint, methods=["DELETE"]),
            ]
        )
    )
    checked = 0
    for router in routers:
        assert isinstance(router, IndexedRouter)
        for path in _paths(router.routes):
            group = router._groups.get(path[1:].partition("/")[0], router._others)
            for method in ("GET", "POST", "DELETE"):
                assert _pick(group.routes, path, method) == _pick(router.routes, path, method)
                checked += 1
    assert checked > 500


class _Recorder:
    """An ASGI endpoint that notes in the scope which route reached it."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope["recorded"] = self.name
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _recording(routes: list[Any], indexed: bool) -> list[Any]:
    """``routes`` with every endpoint replaced by one that records the scope it is called with;
    a mount's routes likewise, under a router of the kind asked for; other route types left
    out (they are never remembered)."""
    copied: list[Any] = []
    for route in routes:
        if type(route) is Route:
            copied.append(Route(route.path, _Recorder(route.path), methods=route.methods))
        elif type(route) is Mount and isinstance(route.app, Router):
            inner = _recording(list(route.app.routes), indexed)
            app = IndexedRouter(inner) if indexed else Router(inner)
            copied.append(Mount(route.path, app=app))
    return copied


async def _call(router: Any, method: str, path: str) -> tuple[int, Any, Any, Any, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await router(scope, receive, send)
    status = sent[0]["status"]
    seen = (scope.get("path_params"), scope.get("root_path"), scope.get("app_root_path"))
    return status, scope.get("recorded"), *seen


async def test_a_remembered_route_is_handed_the_scope_the_routers_build() -> None:
    # The first request for a path resolves it and the next ones take the remembered route: both
    # reach the endpoint Starlette's own routers reach, with the same path parameters and root
    # paths, and a 404, 405 or redirect is still the routers' answer.
    app = build_app(Runtime(Config(http_port=0, smtp_port=0)))
    tables = [
        list(app.router.routes),
        [
            Route("/a/{x}", _endpoint, methods=["GET"]),
            Route("/{any}/b", _endpoint, methods=["POST"]),
            Mount("/m/{tenant}", routes=[Route("/c/{y}", _endpoint), Route("/", _endpoint)]),
            Route("/a", _endpoint),
            Route("/{rest:path}", _endpoint, methods=["DELETE"]),
        ],
    ]
    remembered = checked = 0
    for table in tables:
        plain = Router(_recording(table, indexed=False))
        ours = IndexedRouter(_recording(table, indexed=True))
        paths = [*_paths(table), "/m/t1/c/y1", "/m/t1/", "/m/t1", "/__admin/health"]
        for path in paths:
            for method in ("GET", "POST", "DELETE"):
                expected = await _call(plain, method, path)
                assert await _call(ours, method, path) == expected, (method, path)
                assert await _call(ours, method, path) == expected, (method, path)
                checked += 1
        remembered += sum(v is not None for v in ours._known.values())
    assert checked > 500 and remembered > 100


async def test_remembered_paths_stay_bounded() -> None:
    # Ids in paths make most paths unique: the memory is forgotten whole when full, never grows.
    router = IndexedRouter(_recording([Route("/items/{id}", _endpoint)], indexed=True))
    sizes = []
    for i in range(REMEMBERED_PATHS + 10):
        status, recorded, params, *_ = await _call(router, "GET", f"/items/{i}")
        assert (status, recorded, params) == (299, "/items/{id}", {"id": str(i)})
        sizes.append(len(router._known))
    assert max(sizes) == REMEMBERED_PATHS and sizes[-1] == 10


def test_first_segment_of_each_kind_of_route() -> None:
    endpoint = _endpoint
    assert first_segment(Route("/", endpoint)) == ""
    assert first_segment(Route("/health", endpoint)) == "health"
    assert first_segment(Route("/v3/{domain}/messages", endpoint)) == "v3"
    assert first_segment(Route("/{anything}", endpoint)) is None
    assert first_segment(Route("/v{n}/x", endpoint)) is None
    assert first_segment(Mount("/__admin", routes=[])) == "__admin"
    assert first_segment(Mount("", routes=[])) is None


# -- small memos ----------------------------------------------------------------------------------
def test_mailgun_form_values_follow_its_fields() -> None:
    form = Form([("to", "a@x.io"), ("subject", "s"), ("to", "b@x.io")])
    assert form.all("to") == ["a@x.io", "b@x.io"] and form.first("subject") == "s"
    form.all("to").append("mutating the answer@x.io")  # a copy: the index is not changed
    assert form.all("to") == ["a@x.io", "b@x.io"]
    form.fields.append(("to", "c@x.io"))
    assert form.all("to") == ["a@x.io", "b@x.io", "c@x.io"]
    form.fields = [("cc", "d@x.io")]
    assert form.all("to") == [] and form.all("cc") == ["d@x.io"]


def test_basic_credentials_memo_answers_as_before() -> None:
    good = "Basic " + base64.b64encode(b"api:key-1").decode()
    for _ in range(2):
        assert basic_credentials(good) == ("api", "key-1")
        assert basic_credentials("Basic !!!") is None
        assert basic_credentials("Bearer x") is None
        assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None
        assert basic_credentials(None) is None and basic_credentials("") is None


@given(st.floats(min_value=0, max_value=4_102_444_800))
def test_postmark_submitted_at_is_the_strftime_text(ts: float) -> None:
    dt = datetime.fromtimestamp(ts, UTC)
    assert submitted_at(ts) == f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond:06d}0+00:00"


# -- JSON requests: orjson where it reads what the stdlib reads --------------------------------
def decoded(fn: Any, raw: bytes) -> tuple[str, str]:
    """The outcome of ``fn(raw)`` as text: repr tells 1 from 1.0, -0.0 from 0.0, an int from the
    float orjson makes of an integer beyond 64 bits."""
    try:
        return "ok", repr(fn(raw))
    except BadJson as exc:
        return "error", exc.reason


any_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)

TRICKY_JSON = [
    b'{"a": 1, "a": 2}',
    b"-0",
    b"-0.0",
    b"1e400",
    b"NaN",
    b"-Infinity",
    b'"\\ud800"',
    b'"\\ud83d\\ude00"',
    b'"\xed\xa0\x80"',
    b'"a\x01b"',
    b"\xef\xbb\xbf{}",
    "{}".encode("utf-16"),
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775808",
    b"-9223372036854775809",
    b'{"id": "1234567890123456789"}',
    b"123456789012345678901234567890.5",
    b"2.2250738585072011e-308",
    b" \t\n{}\r ",
    b"{}\x0c",
    b"[1,]",
    b"01",
    b"1.",
    b".5",
    b'"\xff"',
    b"",
    b"[" * 60 + b"]" * 60,
]


@pytest.mark.parametrize("raw", TRICKY_JSON)
def test_loads_reads_the_tricky_documents_as_the_stdlib_does(raw: bytes) -> None:
    assert decoded(loads, raw) == decoded(stdlib_loads, raw)


def test_loads_keeps_integers_beyond_64_bits() -> None:
    assert loads(b'{"n": 18446744073709551616}') == {"n": 18446744073709551616}
    assert isinstance(loads(b"[-9223372036854775809]")[0], int)


@settings(max_examples=300, deadline=None)
@given(any_json, st.booleans())
def test_loads_reads_any_json_as_the_stdlib_does(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert decoded(loads, raw) == decoded(stdlib_loads, raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_loads_of_any_bytes_answers_as_the_stdlib_does(raw: bytes) -> None:
    assert decoded(loads, raw) == decoded(stdlib_loads, raw)
