"""The fault engine through real sockets: rules, HTTP actions on a minimal fake, SMTP stages."""

from __future__ import annotations

import json
import smtplib
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server


# Every HTTP action is exercised on both stacks: plain asyncio + h11 (pip install fakeservices)
# and uvloop + httptools (the `fast` extra), whose transports differ.
@pytest.fixture(
    scope="module",
    params=[("asyncio", "h11"), ("uvloop", "httptools")],
    ids=["asyncio-h11", "uvloop-httptools"],
)
def echo(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    loop, http = request.param
    with start_server(
        services=("tests.fakes.echo",), hold_seconds=1, fault_seed=7, loop=loop, http=http
    ) as s:
        yield s


@pytest.fixture
def http(echo: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=echo.url, timeout=30) as client:
        yield client
        client.delete("/__admin/faults")


def add_rule(http: httpx.Client, rule: dict[str, Any]) -> dict[str, Any]:
    r = http.post("/__admin/faults", json=rule)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def post_item(http: httpx.Client, account: str, text: str = "x") -> httpx.Response:
    return http.post("/echo/items", content=text, headers={"X-Echo-Account": account})


def items(http: httpx.Client, account: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = http.get(
        "/__admin/echo-items", params={"account": account}
    ).json()["data"]
    return data


# -- rules: CRUD and validation ----------------------------------------------------------------


def test_rule_crud(http: httpx.Client) -> None:
    rule = add_rule(http, {"service": "echo", "action": {"type": "error", "status": 503}})
    assert rule["id"].startswith("flt_")
    assert (rule["hits"], rule["times"], rule["probability"], rule["after"]) == (0, None, 1.0, 0)
    assert http.get(f"/__admin/faults/{rule['id']}").json()["id"] == rule["id"]
    listed = http.get("/__admin/faults").json()["data"]
    assert [r["id"] for r in listed] == [rule["id"]]
    assert http.delete(f"/__admin/faults/{rule['id']}").json() == {"deleted": 1}
    assert http.get(f"/__admin/faults/{rule['id']}").status_code == 404
    assert http.delete(f"/__admin/faults/{rule['id']}").status_code == 404


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"service": "nope", "action": {"type": "drop"}}, "service"),
        ({"service": "echo", "action": {"type": "delay", "ms": -5}}, "action.ms"),
        ({"service": "echo", "action": {"type": "delay"}}, "action"),
        ({"service": "echo", "action": {"type": "error", "status": 399}}, "action.status"),
        ({"service": "echo", "action": {"type": "error", "status": 600}}, "action.status"),
        ({"service": "echo", "action": {"type": "explode"}}, "action"),
        ({"service": "echo", "action": {"type": "drop"}, "times": 0}, "times"),
        ({"service": "echo", "action": {"type": "drop"}, "probability": 1.5}, "probability"),
        ({"service": "echo", "action": {"type": "drop"}, "after": -1}, "after"),
        (
            {"service": "echo", "action": {"type": "drop"}, "match": {"colour": "red"}},
            "match.colour",
        ),
        ({"service": "echo", "action": {"type": "drop"}, "bogus": 1}, "bogus"),
        ({"action": {"type": "drop"}}, "service"),
        ({"service": "echo"}, "action"),
        (
            {"service": "smtp", "action": {"type": "smtp_reply", "code": 250, "stage": "rcpt"}},
            "action.code",
        ),
        (
            {"service": "smtp", "action": {"type": "smtp_reply", "code": 451, "stage": "quit"}},
            "action.stage",
        ),
        (
            {"service": "smtp", "action": {"type": "smtp_reply", "code": 451, "enhanced": "5.1.1"}},
            "action",
        ),
        ({"service": "echo", "action": {"type": "smtp_reply", "code": 451}}, "action.type"),
        ({"service": "smtp", "action": {"type": "error", "status": 500}}, "action.type"),
        (
            {
                "service": "echo",
                "action": {
                    "type": "delay",
                    "distribution": {"uniform": {"min_ms": 5, "max_ms": 1}},
                },
            },
            "action.distribution.uniform",
        ),
    ],
)
def test_invalid_rules_get_422_naming_the_field_and_change_nothing(
    http: httpx.Client, rule: dict[str, Any], field: str
) -> None:
    before = http.get("/__admin/faults").json()["data"]
    r = http.post("/__admin/faults", json=rule)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_fault"
    assert err["field"] == field, err
    assert http.get("/__admin/faults").json()["data"] == before


def test_non_json_rule_gets_400(http: httpx.Client) -> None:
    r = http.post("/__admin/faults", content=b"{not json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


# -- firing rules ------------------------------------------------------------------------------


def test_error_renders_the_fakes_native_envelope_and_changes_nothing(
    http: httpx.Client, unique: str
) -> None:
    rule = add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": unique},
            "action": {"type": "error", "status": 503},
        },
    )
    r = post_item(http, unique)
    assert r.status_code == 503
    assert r.json()["error"]["message"].startswith(f"Injected fault {rule['id']}")
    assert items(http, unique) == []  # the fake's handler never ran
    entry = http.get("/__admin/requests", params={"account": unique}).json()["data"][-1]
    assert entry["fault"] == {"id": rule["id"], "type": "error"}
    assert entry["status"] == 503
    assert http.get(f"/__admin/faults/{rule['id']}").json()["hits"] == 1
    # Another account is untouched by an account-scoped rule.
    assert post_item(http, unique + "-other").status_code == 201


def test_error_with_a_body_and_headers(http: httpx.Client, unique: str) -> None:
    add_rule(
        http,
        {
            "service": "*",
            "match": {"account": unique},
            "action": {
                "type": "error",
                "status": 429,
                "body": {"custom": True},
                "headers": {"Retry-After": "3"},
            },
        },
    )
    r = post_item(http, unique)
    assert (r.status_code, r.json(), r.headers["retry-after"]) == (429, {"custom": True}, "3")


def test_times_and_after(http: httpx.Client, unique: str) -> None:
    rule = add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": unique},
            "action": {"type": "error", "status": 500},
            "after": 1,
            "times": 2,
        },
    )
    statuses = [post_item(http, unique, str(i)).status_code for i in range(5)]
    assert statuses == [201, 500, 500, 201, 201]
    got = http.get(f"/__admin/faults/{rule['id']}").json()
    assert (got["hits"], got["matched"], got["remaining"], got["expired"]) == (2, 3, 0, True)
    assert [i["text"] for i in items(http, unique)] == ["0", "3", "4"]


def test_method_path_glob_and_account_matching(http: httpx.Client, unique: str) -> None:
    add_rule(
        http,
        {
            "service": "echo",
            "match": {"method": "POST", "path": "/echo/it*", "account": unique},
            "action": {"type": "error", "status": 502},
        },
    )
    assert post_item(http, unique).status_code == 502
    assert http.get("/echo/items", headers={"X-Echo-Account": unique}).status_code == 405
    assert post_item(http, unique + "x").status_code == 201


def test_first_rule_in_creation_order_wins(http: httpx.Client, unique: str) -> None:
    first = add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": unique},
            "action": {"type": "error", "status": 501},
        },
    )
    add_rule(
        http,
        {"service": "*", "match": {"account": unique}, "action": {"type": "error", "status": 502}},
    )
    assert post_item(http, unique).status_code == 501
    http.delete(f"/__admin/faults/{first['id']}")
    assert post_item(http, unique).status_code == 502


def test_probability_is_reproducible_with_a_rule_seed(http: httpx.Client, unique: str) -> None:
    def pattern(account: str) -> list[int]:
        add_rule(
            http,
            {
                "service": "echo",
                "match": {"account": account},
                "action": {"type": "error", "status": 500},
                "probability": 0.5,
                "seed": 1234,
            },
        )
        return [post_item(http, account).status_code for _ in range(24)]

    a, b = pattern(unique + "a"), pattern(unique + "b")
    assert a == b
    assert 500 in a and 201 in a  # 0.5 over 24 tries: both outcomes (fixed by the seed)


def test_fixed_delay_then_normal_service(http: httpx.Client, unique: str) -> None:
    add_rule(
        http,
        {"service": "echo", "match": {"account": unique}, "action": {"type": "delay", "ms": 150}},
    )
    t0 = time.perf_counter()
    r = post_item(http, unique)
    assert r.status_code == 201
    assert time.perf_counter() - t0 >= 0.15
    entry = http.get("/__admin/requests", params={"account": unique}).json()["data"][-1]
    assert entry["fault"]["type"] == "delay" and entry["duration_ms"] >= 150


@pytest.mark.parametrize(
    ("distribution", "lo", "hi"),
    [
        ({"uniform": {"min_ms": 20, "max_ms": 60}}, 20, 60),
        ({"lognormal": {"median_ms": 30, "sigma": 0.25}}, 5, 300),
    ],
)
def test_random_delays_stay_in_their_distribution(
    http: httpx.Client, unique: str, distribution: dict[str, Any], lo: float, hi: float
) -> None:
    add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": unique},
            "action": {"type": "delay", "distribution": distribution},
            "seed": 5,
        },
    )
    for _ in range(5):
        assert post_item(http, unique).status_code == 201
    durations = [
        e["duration_ms"]
        for e in http.get("/__admin/requests", params={"account": unique}).json()["data"]
    ]
    assert len(durations) == 5
    assert all(d >= lo for d in durations), durations
    assert min(durations) < hi  # a loose upper check: the server may be slow, never fast


def test_timeout_holds_until_the_client_gives_up(
    http: httpx.Client, echo: EmbeddedServer, unique: str
) -> None:
    add_rule(http, {"service": "echo", "match": {"account": unique}, "action": {"type": "timeout"}})
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            "/echo/items",
            content="x",
            headers={"X-Echo-Account": unique},
            timeout=httpx.Timeout(5, read=0.3),
        )
    assert items(http, unique) == []
    r = http.get("/__admin/requests/wait", params={"account": unique, "timeout": 10}).json()["data"]
    assert r[0]["fault"]["type"] == "timeout"
    assert r[0]["status"] in (0, 499)


def test_timeout_closes_without_answer_after_hold_seconds(http: httpx.Client, unique: str) -> None:
    # The echo server runs with hold_seconds=1.
    add_rule(http, {"service": "echo", "match": {"account": unique}, "action": {"type": "timeout"}})
    t0 = time.perf_counter()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post_item(http, unique)
    assert time.perf_counter() - t0 >= 1.0


def raw_request(echo: EmbeddedServer, account: str) -> bytes:
    """Send one POST on a raw socket and return every byte the server answered."""
    request = (
        f"POST /echo/items HTTP/1.1\r\nHost: x\r\nX-Echo-Account: {account}\r\n"
        "Content-Length: 1\r\n\r\nx"
    ).encode()
    received = b""
    with socket.create_connection(("127.0.0.1", echo.http_port), timeout=10) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def test_drop_closes_the_connection_with_no_response_bytes(
    http: httpx.Client, echo: EmbeddedServer, unique: str
) -> None:
    add_rule(
        http,
        {"service": "echo", "match": {"account": unique}, "action": {"type": "drop"}, "times": 2},
    )
    assert raw_request(echo, unique) == b""
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post_item(http, unique)
    assert post_item(http, unique).status_code == 201  # expired after 2: serving normally
    entries = http.get("/__admin/requests", params={"account": unique}).json()["data"]
    assert [e["fault"]["type"] if e["fault"] else None for e in entries] == ["drop", "drop", None]
    assert [e["status"] for e in entries] == [0, 0, 201]


def test_malformed_sends_a_200_with_broken_json_and_closes(
    http: httpx.Client, echo: EmbeddedServer, unique: str
) -> None:
    add_rule(
        http, {"service": "echo", "match": {"account": unique}, "action": {"type": "malformed"}}
    )
    raw = raw_request(echo, unique)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in head.lower()
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    r = post_item(http, unique)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert items(http, unique) == []


def test_the_admin_api_is_never_faulted(http: httpx.Client) -> None:
    add_rule(http, {"service": "*", "match": {"path": "/__admin/*"}, "action": {"type": "drop"}})
    add_rule(http, {"service": "*", "action": {"type": "error", "status": 500}})
    assert http.get("/__admin/health").status_code == 200
    assert http.get("/__admin/faults").status_code == 200


def test_reset_faults_by_account_and_service(http: httpx.Client, unique: str) -> None:
    add_rule(http, {"service": "echo", "match": {"account": unique}, "action": {"type": "drop"}})
    keep = add_rule(
        http, {"service": "echo", "match": {"account": "x"}, "action": {"type": "drop"}}
    )
    http.post("/__admin/reset", params={"service": "faults", "account": unique})
    assert [r["id"] for r in http.get("/__admin/faults").json()["data"]] == [keep["id"]]
    http.post("/__admin/reset", params={"service": "faults"})
    assert http.get("/__admin/faults").json()["data"] == []


def test_metrics_count_faults_fired(http: httpx.Client, unique: str) -> None:
    add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": unique},
            "action": {"type": "error", "status": 500},
        },
    )
    post_item(http, unique)
    text = http.get("/__admin/metrics").text
    assert 'fakeservices_faults_fired_total{service="echo",type="error"}' in text


# -- SMTP stages ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def mail(request: pytest.FixtureRequest) -> Iterator[EmbeddedServer]:
    with start_server(hold_seconds=1, loop=request.param) as s:
        yield s


@pytest.fixture
def mail_admin(mail: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mail.url, timeout=30) as client:
        yield client
        client.delete("/__admin/faults")


MESSAGE = b"From: a@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nbody\r\n"


def stored(admin: httpx.Client, account: str) -> int:
    return len(admin.get("/__admin/emails", params={"account": account}).json()["data"])


def smtp(mail: EmbeddedServer, user: str) -> smtplib.SMTP:
    client = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10)
    client.login(user, "pw")
    return client


def test_smtp_421_at_connect(mail: EmbeddedServer, mail_admin: httpx.Client) -> None:
    add_rule(
        mail_admin,
        {
            "service": "smtp",
            "action": {
                "type": "smtp_reply",
                "code": 421,
                "enhanced": "4.3.2",
                "message": "Service not available",
                "stage": "connect",
            },
            "times": 1,
        },
    )
    with pytest.raises(smtplib.SMTPConnectError) as exc:
        smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10)
    assert exc.value.smtp_code == 421
    assert b"4.3.2 Service not available" in exc.value.smtp_error
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10) as ok:
        assert ok.noop()[0] == 250


def test_next_two_mails_to_bob_get_451(
    mail: EmbeddedServer, mail_admin: httpx.Client, unique: str
) -> None:
    bob = f"bob-{unique}@example.com"
    add_rule(
        mail_admin,
        {
            "service": "smtp",
            "match": {"to": bob.upper()},  # addresses match case-insensitively
            "action": {"type": "smtp_reply", "code": 451, "enhanced": "4.2.2", "stage": "rcpt"},
            "times": 2,
        },
    )
    with smtp(mail, unique) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
                client.sendmail("a@example.com", [bob], MESSAGE)
            assert exc.value.recipients[bob][0] == 451
        # Mail to someone else passes while the rule is live.
        client.sendmail("a@example.com", [f"carol-{unique}@example.com"], MESSAGE)
        client.sendmail("a@example.com", [bob], MESSAGE)  # third: rule expired
    assert stored(mail_admin, unique) == 2
    faulted = mail_admin.get(
        "/__admin/requests", params={"account": unique, "method": "RCPT"}
    ).json()["data"]
    assert [e["status"] for e in faulted] == [451, 451]


@pytest.mark.parametrize(
    ("stage", "code", "error"),
    [
        ("ehlo", 554, smtplib.SMTPHeloError),
        ("mail", 550, smtplib.SMTPSenderRefused),
        ("data", 552, smtplib.SMTPDataError),
        ("data", 554, smtplib.SMTPDataError),
    ],
)
def test_smtp_reply_at_each_stage_stores_nothing(
    mail: EmbeddedServer,
    mail_admin: httpx.Client,
    unique: str,
    stage: str,
    code: int,
    error: type[Exception],
) -> None:
    user = f"{unique}-{stage}"
    match = {"from": "a@example.com"} if stage != "ehlo" else {}
    add_rule(
        mail_admin,
        {
            "service": "smtp",
            "match": match,
            "action": {
                "type": "smtp_reply",
                "code": code,
                "enhanced": f"{str(code)[0]}.3.4",
                "message": "Injected",
                "stage": stage,
            },
            # smtplib falls back from EHLO to HELO: both are the greeting stage.
            "times": 2 if stage == "ehlo" else 1,
        },
    )
    client = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10)
    try:
        if stage == "ehlo":
            with pytest.raises(error):
                client.login(user, "pw")  # EHLO happens here
        else:
            client.login(user, "pw")
            with pytest.raises(error) as exc:
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            assert getattr(exc.value, "smtp_code", None) == code
            assert f"{str(code)[0]}.3.4 Injected" in str(exc.value)
    finally:
        client.close()
    assert stored(mail_admin, user) == 0


def test_smtp_delay_then_delivered(
    mail: EmbeddedServer, mail_admin: httpx.Client, unique: str
) -> None:
    add_rule(
        mail_admin,
        {"service": "smtp", "match": {"account": unique}, "action": {"type": "delay", "ms": 120}},
    )
    t0 = time.perf_counter()
    with smtp(mail, unique) as client:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert time.perf_counter() - t0 >= 0.12
    assert stored(mail_admin, unique) == 1


def test_smtp_drop_at_data(mail: EmbeddedServer, mail_admin: httpx.Client, unique: str) -> None:
    add_rule(
        mail_admin,
        {
            "service": "smtp",
            "match": {"account": unique},
            "action": {"type": "drop", "stage": "data"},
        },
    )
    client = smtp(mail, unique)
    with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionResetError)):
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    client.close()
    assert stored(mail_admin, unique) == 0
    entry = mail_admin.get("/__admin/requests", params={"account": unique}).json()["data"][-1]
    assert entry["fault"]["type"] == "drop" and entry["method"] == "DATA"
