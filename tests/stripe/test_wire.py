"""Auth, form decoding, error envelopes, Request-Id, unknown routes, bad input and the journal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from fakeservices.server import EmbeddedServer
from fakeservices.stripe.wire import JSONBytesResponse, SentHeaders, query_text


def test_missing_key_gets_stripes_401(server: EmbeddedServer) -> None:
    client = stripe.StripeClient("", base_addresses={"api": server.url})
    # The SDK refuses an empty key locally; a raw request shows the server's answer.
    r = httpx.get(f"{server.url}/v1/customers")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["message"].startswith("You did not provide an API key.")
    assert "code" not in err and "param" not in err  # null keys are omitted
    assert r.headers["request-id"].startswith("req_")
    assert client is not None


@pytest.mark.parametrize("bad", ["sk_live_abcdefgh12345678", "pk_test_abcdef1234", "nonsense"])
def test_bad_key_raises_authentication_error(server: EmbeddedServer, bad: str) -> None:
    client = stripe.StripeClient(bad, base_addresses={"api": server.url})
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    assert info.value.http_status == 401
    assert info.value.user_message.startswith("Invalid API Key provided: ")
    assert info.value.user_message.endswith(bad[-4:])
    assert bad not in str(info.value)  # the key is masked


def test_masked_key_keeps_prefix_and_last4(server: EmbeddedServer) -> None:
    r = httpx.get(
        f"{server.url}/v1/customers", headers={"Authorization": "Bearer sk_live_123456789"}
    )
    assert r.json()["error"]["message"] == "Invalid API Key provided: sk_live_*****6789"


def test_global_style_and_basic_auth_see_the_same_account(
    gstripe: stripe, key: str, server: EmbeddedServer
) -> None:
    cus = gstripe.Customer.create(email="basic@example.com")
    r = httpx.get(f"{server.url}/v1/customers/{cus.id}", auth=(key, ""))
    assert r.status_code == 200
    assert r.json()["email"] == "basic@example.com"


def test_accounts_are_isolated(server: EmbeddedServer, unique: str) -> None:
    a = stripe.StripeClient(f"sk_test_a{unique}", base_addresses={"api": server.url})
    b = stripe.StripeClient(f"sk_test_b{unique}", base_addresses={"api": server.url})
    cus = a.v1.customers.create(params={"email": "iso@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        b.v1.customers.retrieve(cus.id)
    assert info.value.http_status == 404
    assert [c.id for c in a.v1.customers.list().data] == [cus.id]
    assert b.v1.customers.list().data == []


def test_every_response_has_a_request_id(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create()
    rid = cus.last_response.request_id
    assert rid.startswith("req_") and len(rid) == 18
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_missing")
    assert info.value.request_id.startswith("req_")
    assert info.value.request_id != rid
    assert str(info.value) == f"Request {info.value.request_id}: No such customer: 'cus_missing'"


def test_unknown_route_gets_unrecognized_url(server: EmbeddedServer, key: str) -> None:
    r = httpx.get(f"{server.url}/v1/foo", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "type": "invalid_request_error",
            "message": "Unrecognized request URL (GET: /v1/foo). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
            "request_log_url": r.json()["error"]["request_log_url"],
        }
    }
    r = httpx.delete(
        f"{server.url}/v1/payment_intents/pi_x", headers={"Authorization": f"Bearer {key}"}
    )
    assert (
        r.status_code == 404 and "DELETE: /v1/payment_intents/pi_x" in r.json()["error"]["message"]
    )


def test_unknown_param(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "usd", "colour": "red"})  # type: ignore[typeddict-unknown-key]
    assert (info.value.http_status, info.value.code, info.value.param) == (
        400,
        "parameter_unknown",
        "colour",
    )
    assert info.value.user_message == "Received unknown parameter: colour"
    assert info.value.error.doc_url == "https://stripe.com/docs/error-codes/parameter-unknown"


def test_unknown_nested_param_is_named_in_brackets(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_methods.create(
            params={"type": "card", "card": {"number": "4242424242424242", "colour": "x"}}
        )  # type: ignore[typeddict-unknown-key]
    assert info.value.param == "card[colour]"


def test_missing_param(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"currency": "usd"})  # type: ignore[typeddict-item]
    assert (info.value.code, info.value.param) == ("parameter_missing", "amount")
    assert info.value.user_message == "Missing required param: amount."


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        ("abc", "parameter_invalid_integer", "Invalid integer: abc"),
        ("10.5", "parameter_invalid_integer", "Invalid integer: 10.5"),
        ("-100", None, "This value must be greater than or equal to 1."),
        ("0", None, "This value must be greater than or equal to 1."),
        ("49", "amount_too_small", "Amount must be at least $0.50 usd"),
        ("100000000", "amount_too_large", "Amount must be no more than $999,999.99"),
    ],
)
def test_absurd_amounts(
    server: EmbeddedServer, key: str, amount: str, code: str | None, message: str
) -> None:
    r = httpx.post(
        f"{server.url}/v1/payment_intents",
        data={"amount": amount, "currency": "usd"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "amount"
    assert err.get("code") == code
    assert err["message"] == message
    # the server keeps serving
    assert httpx.get(f"{server.url}/v1/payment_intents", auth=(key, "")).status_code == 200


def test_unsupported_currency(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 1000, "currency": "xyz"})
    assert info.value.param == "currency"
    assert info.value.user_message.startswith(
        "Invalid currency: xyz. Stripe currently supports these currencies: usd, aed"
    )


def test_wrong_types(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "confirm": "maybe"}
        )  # type: ignore[typeddict-item]
    assert (info.value.param, info.value.user_message) == ("confirm", "Invalid boolean: maybe")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "capture_method": "later"}
        )  # type: ignore[typeddict-item]
    assert info.value.param == "capture_method"
    assert "must be one of automatic, automatic_async, or manual" in info.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"metadata": "oops"})  # type: ignore[typeddict-item]
    assert (info.value.param, info.value.user_message) == ("metadata", "Invalid hash")


def test_bracket_forms_and_curl_style_arrays(server: EmbeddedServer, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    cus = httpx.post(
        f"{server.url}/v1/customers",
        content="email=x%40example.com&metadata[order]=42&metadata[tier]=gold"
        "&preferred_locales[]=en&preferred_locales[]=fr",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    ).json()
    assert cus["metadata"] == {"order": "42", "tier": "gold"}
    assert cus["preferred_locales"] == ["en", "fr"]
    pi = httpx.post(
        f"{server.url}/v1/payment_intents",
        content=f"amount=500&currency=usd&customer={cus['id']}&payment_method_types[0]=card"
        "&expand[]=customer",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    ).json()
    assert pi["customer"]["email"] == "x@example.com"
    assert pi["payment_method_types"] == ["card"]


def test_non_sequential_array_keys(server: EmbeddedServer, key: str) -> None:
    r = httpx.post(
        f"{server.url}/v1/customers",
        content="expand[1]=default_source",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "expand"
    assert (
        "You passed the keys `1`, we expected to have a key with the value `0`." in err["message"]
    )


@pytest.mark.parametrize(
    "body",
    [b"amount[=1", b"a=1&a[b]=2", b"amount=%ff%fe", b"metadata]x[=1"],
)
def test_malformed_form_bodies(server: EmbeddedServer, key: str, body: bytes) -> None:
    r = httpx.post(
        f"{server.url}/v1/customers",
        content=body,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert httpx.post(f"{server.url}/v1/customers", auth=(key, "")).status_code == 200


def test_oversized_body(server: EmbeddedServer, key: str) -> None:
    r = httpx.post(
        f"{server.url}/v1/customers",
        content=b"description=" + b"x" * (2 * 1024 * 1024),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert httpx.get(f"{server.url}/v1/customers", auth=(key, "")).status_code == 200


def test_unknown_ids_give_resource_missing(client: stripe.StripeClient) -> None:
    cases = [
        (
            lambda: client.v1.payment_intents.retrieve("pi_nope"),
            "No such payment_intent: 'pi_nope'",
            "intent",
        ),
        (lambda: client.v1.charges.retrieve("ch_nope"), "No such charge: 'ch_nope'", "id"),
        (
            lambda: client.v1.payment_methods.retrieve("pm_nope"),
            "No such PaymentMethod: 'pm_nope'",
            "id",
        ),
        (lambda: client.v1.tokens.retrieve("tok_nope"), "No such token: 'tok_nope'", "id"),
        (lambda: client.v1.refunds.retrieve("re_nope"), "No such refund: 're_nope'", "id"),
    ]
    for call, message, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert (info.value.http_status, info.value.code) == (404, "resource_missing")
        assert (info.value.user_message, info.value.param) == (message, param)
    # an unknown id in a body param is a 400 naming that param
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "customer": "cus_nope"}
        )
    assert (info.value.http_status, info.value.param) == (400, "customer")


def test_post_headers(server: EmbeddedServer, key: str) -> None:
    r = httpx.post(
        f"{server.url}/v1/customers",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "hdr-1"},
    )
    assert r.headers["idempotency-key"] == "hdr-1"
    assert r.headers["original-request"] == r.headers["request-id"]
    assert r.headers["stripe-should-retry"] == "false"
    assert r.headers["content-type"] == "application/json"
    g = httpx.get(f"{server.url}/v1/customers", auth=(key, ""))
    assert "stripe-should-retry" not in g.headers and "original-request" not in g.headers


def test_requests_are_journaled_with_the_account(
    client: stripe.StripeClient, admin: httpx.Client, key: str
) -> None:
    client.v1.customers.create(params={"email": "j@example.com"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve("cus_gone")
    r = admin.get(
        "/__admin/requests/wait", params={"service": "stripe", "account": key, "count": 2}
    )
    assert r.status_code == 200
    entries = r.json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/customers", 200),
        ("GET", "/v1/customers/cus_gone", 404),
    ]
    assert {e["service"] for e in entries} == {"stripe"}


def test_error_response_renders_stripe_envelopes(server: EmbeddedServer) -> None:
    fake = next(s for s in server.runtime.services if s.name == "stripe")
    for status, etype, exc in [
        (500, "api_error", stripe.APIError),
        (429, "invalid_request_error", stripe.RateLimitError),
        (402, "card_error", stripe.CardError),
        (400, "invalid_request_error", stripe.InvalidRequestError),
    ]:
        resp = fake.error_response("stripe", status, "boom")
        body = resp.body
        assert resp.status_code == status
        import json

        err = json.loads(body)["error"]
        assert err["type"] == etype and err["message"] == "boom"
        assert resp.headers["request-id"].startswith("req_")
        assert exc is not None


def test_reset_one_account(server: EmbeddedServer, admin: httpx.Client, unique: str) -> None:
    a = stripe.StripeClient(f"sk_test_ra{unique}", base_addresses={"api": server.url})
    b = stripe.StripeClient(f"sk_test_rb{unique}", base_addresses={"api": server.url})
    a.v1.customers.create()
    b.v1.customers.create()
    r = admin.post("/__admin/reset", params={"service": "stripe", "account": f"sk_test_ra{unique}"})
    assert r.status_code == 200
    assert a.v1.customers.list().data == []
    assert a.v1.events.list().data == []
    assert len(b.v1.customers.list().data) == 1
    assert len(b.v1.events.list().data) == 1


UNRECOGNIZED = "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."


@pytest.mark.parametrize(
    ("call", "shown"),
    [
        # resources we do not model (yet) get Stripe's own 404, not a guess
        (lambda c: c.v1.disputes.list(), "GET: /v1/disputes"),
        # a fixed segment is never taken for an id (no "No such payment_intent: 'search'")
        (
            lambda c: c.raw_request("get", "/v1/refunds/search", query="status:'succeeded'"),
            "GET: /v1/refunds/search",
        ),
        # an id segment holding control characters is not an id
        (lambda c: c.v1.charges.retrieve("\r\nX"), "GET: /v1/charges/\r\nX"),
        # a method the path does not serve
        (lambda c: c.raw_request("delete", "/v1/charges"), "DELETE: /v1/charges"),
    ],
    ids=["disputes", "search", "control-characters", "wrong-method"],
)
def test_unsupported_routes_get_stripes_unrecognized_url(
    client: stripe.StripeClient, call: Any, shown: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        call(client)
    err = info.value
    assert (err.http_status, err.error.type, err.code) == (404, "invalid_request_error", None)
    assert err.user_message == f"Unrecognized request URL ({shown}). {UNRECOGNIZED}"


def test_a_trailing_slash_gets_stripes_hint(server: EmbeddedServer, key: str) -> None:
    r = httpx.get(f"{server.url}/v1/customers/", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        "Unrecognized request URL (GET: /v1/customers/). If you are trying to list objects, "
        "remove the trailing slash. If you are trying to retrieve an object, make sure you "
        f"passed a valid (non-empty) identifier in your code. {UNRECOGNIZED}"
    )
    journal = httpx.get(
        f"{server.url}/__admin/requests", params={"account": key, "path": "/v1/customers/"}
    ).json()["data"]
    assert [(e["service"], e["status"]) for e in journal] == [("stripe", 404)]


@pytest.mark.parametrize(
    "query",
    [
        b"",
        b"limit=3",
        b"expand[]=customer&expand[]=latest_charge",
        b"expand%5B0%5D=customer&limit=%20x",
        b"a=1#frag&b=2",
        b"a=1\tb\r\n=2",
        "q=Zo\u00eb".encode(),
    ],
)
def test_query_text_is_what_starlettes_url_gives(query: bytes) -> None:
    """The wire reads the query from the ASGI scope instead of building ``request.url`` (about
    a twentieth of a request); what it reads must not differ."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "path": "/v1/customers",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8080")],
    }
    assert query_text(scope) == Request(scope).url.query


def test_a_query_that_is_not_utf8_is_stripes_400(server: EmbeddedServer, key: str) -> None:
    r = httpx.get(f"{server.url}/v1/customers?limit=%FF", auth=(key, ""))
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_json_bytes_response_sends_what_starlettes_response_sends() -> None:
    body = b'{\n  "id": "pi_1"\n}'
    headers = {"request-id": "req_1", "stripe-version": "2026-10-28.endive"}
    ours = JSONBytesResponse(body, 402, headers)
    theirs = Response(body, status_code=402, headers=headers, media_type="application/json")
    assert ours.raw_headers == theirs.raw_headers
    assert (ours.status_code, ours.body) == (theirs.status_code, theirs.body)


def test_sent_headers_read_as_starlettes_headers_do() -> None:
    """The wire reads its three headers in one pass over the scope; each must be what
    ``request.headers.get`` gives: the first of a repeated header, latin-1, None when absent."""
    raw = [
        (b"host", b"x"),
        (b"stripe-version", b""),
        (b"authorization", b"Bearer sk_test_a\xe9"),
        (b"authorization", b"Bearer sk_test_b"),
        (b"idempotency-key", b"k1"),
        (b"idempotency-key", b"k2"),
    ]
    for headers in (raw, raw[:1], raw[2:]):
        scope: dict[str, Any] = {"type": "http", "headers": headers}
        sent = SentHeaders.of(scope)
        theirs = Headers(scope=scope)
        assert sent.authorization == theirs.get("authorization", "")
        assert sent.idempotency_key == theirs.get("idempotency-key")
        assert sent.stripe_version == theirs.get("stripe-version")
        assert SentHeaders.of(scope) is sent  # read once per request
