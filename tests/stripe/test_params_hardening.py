"""The bracket-form decoder under hostile input: bounded depth and size, ASCII integers, no 500.

The wire tests go through real sockets (httpx for bodies no SDK would send, stripe-python where it
can send them); the property tests drive :func:`decode_form` directly with Hypothesis.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeservices.server import EmbeddedServer
from fakeservices.stripe import params as P
from fakeservices.stripe.params import MAX_DEPTH, FormError, decode_form

#: 100 in Arabic-Indic digits (U+0661 U+0660 U+0660).
ARABIC_100 = "\u0661\u0660\u0660"


def post(server: EmbeddedServer, key: str, path: str, body: bytes | str) -> httpx.Response:
    return httpx.post(
        f"{server.url}{path}",
        content=body,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=30,
    )


def assert_stripe_400(r: httpx.Response, *, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == 400, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["message"]
    if code is not None:
        assert err["code"] == code
    return err


def test_metadata_nested_500_levels_is_a_stripe_400(server: EmbeddedServer, key: str) -> None:
    name = "metadata" + "[b]" * 500
    err = assert_stripe_400(post(server, key, "/v1/customers", f"{name}=x"))
    assert f"nested more than {MAX_DEPTH} levels deep" in err["message"]


def test_deep_nesting_in_the_query_string_is_a_stripe_400(server: EmbeddedServer, key: str) -> None:
    r = httpx.get(
        f"{server.url}/v1/customers?" + "expand" + "[0]" * 2000 + "=x",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert_stripe_400(r)


def test_nesting_at_the_limit_reaches_the_schema(server: EmbeddedServer, key: str) -> None:
    """32 levels decode; the schema then refuses them the way Stripe does (not a hash of
    strings), and the message stays short."""
    name = "metadata" + "[b]" * (MAX_DEPTH - 1)
    err = assert_stripe_400(post(server, key, "/v1/customers", f"{name}=x"))
    assert err["param"] == "metadata[b]"
    assert len(err["message"]) < 400


def test_arabic_indic_digits_are_parameter_invalid_integer(
    client: stripe.StripeClient, server: EmbeddedServer, key: str
) -> None:
    r = post(
        server, key, "/v1/payment_intents", urlencode({"amount": ARABIC_100, "currency": "usd"})
    )
    err = assert_stripe_400(r, code="parameter_invalid_integer")
    assert err["param"] == "amount"
    assert err["message"] == f"Invalid integer: {ARABIC_100}"
    five_hundred: Any = "\u0665\u0660\u0660"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": five_hundred, "currency": "usd"})
    assert info.value.code == "parameter_invalid_integer"


def test_non_utf8_body_is_a_stripe_400(server: EmbeddedServer, key: str) -> None:
    assert_stripe_400(post(server, key, "/v1/customers", b"email=%ff%fe"))
    assert_stripe_400(post(server, key, "/v1/customers", b"email=\xff\xfe"))


# -- properties of the decoder -----------------------------------------------------------------
_SEGMENT = st.text(
    alphabet=st.characters(blacklist_characters="[]&=%+#", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=6,
)
_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_decodes_or_raises_form_error(raw: str) -> None:
    """Whatever the text, the decoder returns a dict of dicts and strings or raises FormError."""
    try:
        out = decode_form(raw)
    except FormError:
        return
    stack: list[Any] = [out]
    while stack:
        node = stack.pop()
        assert isinstance(node, dict)
        for value in node.values():
            if isinstance(value, dict):
                stack.append(value)
            else:
                assert isinstance(value, str)


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.tuples(_SEGMENT, st.lists(_SEGMENT, max_size=4), _VALUE), max_size=8))
def test_flat_encoding_round_trips(entries: list[tuple[str, list[str], str]]) -> None:
    """A set of leaf paths with no path a prefix of another encodes and decodes to itself."""
    leaves: dict[tuple[str, ...], str] = {}
    for head, rest, value in entries:
        path = (head, *rest)
        if any(p[: len(path)] == path or path[: len(p)] == p for p in leaves):
            continue
        leaves[path] = value
    raw = urlencode([(P.encode_name(path), value) for path, value in leaves.items()])
    decoded = decode_form(raw)
    for path, value in leaves.items():
        node: Any = decoded
        for seg in path:
            node = node[seg]
        assert node == value


@settings(max_examples=50, derandomize=True)
@given(st.integers(min_value=MAX_DEPTH, max_value=5000))
def test_any_depth_over_the_limit_is_refused(depth: int) -> None:
    with pytest.raises(FormError, match="nested more than"):
        decode_form("a" + "[x]" * depth + "=1")


@settings(max_examples=50, derandomize=True)
@given(st.integers(min_value=1, max_value=MAX_DEPTH - 1))
def test_any_depth_under_the_limit_decodes(depth: int) -> None:
    node: Any = decode_form("a" + "[x]" * depth + "=1")["a"]
    for _ in range(depth - 1):
        node = node["x"]
    assert node == {"x": "1"}


@settings(max_examples=200, derandomize=True)
@given(st.text(alphabet=st.characters(whitelist_categories=("Nd",)), min_size=1, max_size=5))
def test_only_ascii_digits_are_integers(digits: str) -> None:
    field = P.Int()
    if all("0" <= c <= "9" for c in digits):
        assert field.check(digits, ("amount",)) == int(digits)
    else:
        with pytest.raises(Exception, match="Invalid integer"):
            field.check(digits, ("amount",))


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("a=1&a=2", {"a": "2"}),
        ("a=1&b[c]=2&d=", {"a": "1", "b": {"c": "2"}, "d": ""}),
        ("a[b]=1&a[c]=2", {"a": {"b": "1", "c": "2"}}),
        ("a=x&a[b]=1", None),
        ("a[b]=1&a=x", None),
        ("=x", None),
        ("a]=1", None),
    ],
)
def test_plain_names_decode_as_bracketed_ones_do(raw: str, decoded: dict[str, Any] | None) -> None:
    """Plain names take a shortcut past the bracket parser; it keeps its rules (a later value
    wins, a name is never both a value and a hash, an empty or half-bracketed name is refused)."""
    if decoded is None:
        with pytest.raises(FormError):
            decode_form(raw)
    else:
        assert decode_form(raw) == decoded


@settings(max_examples=400, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="ab=&+%[]0 ", max_size=12),
            st.sampled_from(["%zz", "%C3%A9", "%ff", "%e9", "a+b", "==", "&&", "%2"]),
        ),
        max_size=8,
    ).map("".join)
)
def test_form_pairs_is_parse_qsl(raw: str) -> None:
    """The decoder's own splitter gives exactly what urllib's ``parse_qsl`` gave, errors too."""
    try:
        expected: list[tuple[str, str]] | type[Exception] = parse_qsl(
            raw, keep_blank_values=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        expected = type(exc)
    if isinstance(expected, list):
        assert P.form_pairs(raw) == expected
    else:
        with pytest.raises(expected):
            P.form_pairs(raw)


@pytest.mark.parametrize(
    ("form", "items"),
    [
        ("a[0]=x&a[1]=y", ["x", "y"]),
        ("a[1]=y&a[0]=x", ["x", "y"]),
        ("a[]=x&a[]=y", ["x", "y"]),
        ("a[0]=x", ["x"]),
    ],
)
def test_arrays_in_order_or_not_check_alike(form: str, items: list[str]) -> None:
    assert P.Obj({"a": P.Arr(P.Str())}).validate(decode_form(form)) == {"a": items}
