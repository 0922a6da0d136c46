"""The ``rate_limit`` fault through real sockets: SMTP 451/421 and HTTP 429 with ``Retry-After``.

The server runs on a :class:`ManualClock`: a window opens again because the test moves the clock
by what the refusal said (``Retry-After``, or the seconds in the SMTP reply), never by sleeping.
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from fakeservices.core.clock import ManualClock
from fakeservices.core.faults import RateWindows
from fakeservices.server import EmbeddedServer, start_server
from tests.test_faults import add_rule

CLOCK = ManualClock(1000.0)


@pytest.fixture(scope="module")
def limited() -> Iterator[EmbeddedServer]:
    with start_server(services=("tests.fakes.echo", "fakeservices.email"), time=CLOCK) as s:
        yield s


@pytest.fixture
def http(limited: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.url, timeout=30) as client:
        yield client
        client.delete("/__admin/faults")


def message(sender: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("hi")
    return msg


def seconds_in(reply: bytes) -> int:
    found = re.search(rb"try again in (\d+) s", reply)
    assert found, reply
    return int(found.group(1))


def send_with_retries(
    server: EmbeddedServer, account: str, msg: EmailMessage, attempts: int = 5
) -> list[tuple[int, bytes]]:
    """What an app's retry loop does: on a 4xx deferral wait what the server said, then retry.
    Waiting is moving the manual clock. Returns the refusals seen before the send went through."""
    refusals: list[tuple[int, bytes]] = []
    for _ in range(attempts):
        try:
            with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
                smtp.login(account, "x")
                smtp.send_message(msg)
            return refusals
        except smtplib.SMTPSenderRefused as exc:
            refusals.append((exc.smtp_code, exc.smtp_error))
            if not 400 <= exc.smtp_code < 500:  # permanent: an app would not retry
                break
            CLOCK.advance(seconds_in(exc.smtp_error))
    raise AssertionError(f"still refused after {attempts} attempts: {refusals}")


def stored(http: httpx.Client, account: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = http.get(
        "/__admin/emails", params={"account": account, "view": "summary"}
    ).json()["data"]
    return data


def test_smtp_the_third_mail_in_a_window_is_deferred_then_accepted(
    limited: EmbeddedServer, http: httpx.Client, unique: str
) -> None:
    account = f"rl-{unique}"
    rule = add_rule(
        http,
        {
            "service": "smtp",
            "match": {"account": account},
            "action": {"type": "rate_limit", "limit": 2, "per_seconds": 10},
        },
    )
    assert rule["action"]["smtp_code"] == 451
    assert rule["action"]["enhanced"] == "4.7.0"
    assert rule["action"]["stage"] == "mail"
    for i in range(2):
        assert (
            send_with_retries(limited, account, message("a@x.example", "b@x.example", f"{i}")) == []
        )
    CLOCK.advance(4)  # the window still holds both
    refusals = send_with_retries(limited, account, message("a@x.example", "b@x.example", "third"))
    [(code, text)] = refusals
    assert code == 451
    assert text.startswith(b"4.7.0 Rate limit exceeded: 2 per 10 s; try again in 6 s"), text
    assert [m["subject"] for m in stored(http, account)] == ["0", "1", "third"]
    assert http.get(f"/__admin/faults/{rule['id']}").json()["hits"] == 1
    # The refusal is in the journal as the MAIL command's reply.
    journal = http.get("/__admin/requests", params={"service": "smtp", "status": 451}).json()
    assert any(
        e["account"] == account and e["fault"]["type"] == "rate_limit" for e in journal["data"]
    )


def test_smtp_421_closes_the_connection_after_the_reply(
    limited: EmbeddedServer, http: httpx.Client, unique: str
) -> None:
    add_rule(
        http,
        {
            "service": "smtp",
            "match": {"from": f"burst-{unique}@x.example"},
            "action": {
                "type": "rate_limit",
                "limit": 1,
                "per_seconds": 60,
                "smtp_code": 421,
                "enhanced": "4.7.28",
                "message": "Our system has detected an unusual rate of mail",
            },
        },
    )
    sender = f"burst-{unique}@x.example"
    assert send_with_retries(limited, "default", message(sender, "b@x.example", "one")) == []
    with socket.create_connection((limited.smtp_host, limited.smtp_port), timeout=10) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        sock.sendall(b"HELO client\r\n")
        assert reader.readline().startswith(b"250 ")
        sock.sendall(f"MAIL FROM:<{sender}>\r\n".encode())
        assert (
            reader.readline() == b"421 4.7.28 Our system has detected an unusual rate of mail\r\n"
        )
        assert reader.readline() == b""  # closed by the server


def test_smtp_windows_per_sender(limited: EmbeddedServer, http: httpx.Client, unique: str) -> None:
    account = f"ps-{unique}"
    add_rule(
        http,
        {
            "service": "smtp",
            "match": {"account": account},
            "action": {"type": "rate_limit", "limit": 1, "per_seconds": 5, "per_sender": True},
        },
    )
    assert send_with_retries(limited, account, message("one@x.example", "b@x.example", "1")) == []
    assert send_with_retries(limited, account, message("two@x.example", "b@x.example", "2")) == []
    [(code, _)] = send_with_retries(limited, account, message("one@x.example", "b@x.example", "3"))
    assert code == 451


def test_http_429_in_the_native_envelope_with_retry_after(http: httpx.Client, unique: str) -> None:
    account = f"h-{unique}"
    rule = add_rule(
        http,
        {
            "service": "echo",
            "match": {"account": account},
            "action": {"type": "rate_limit", "limit": 3, "per_seconds": 1},
        },
    )
    headers = {"X-Echo-Account": account}
    statuses = [
        http.post("/echo/items", content="x", headers=headers).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 201]
    refused = http.post("/echo/items", content="x", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == {
        "error": {"code": "fault", "message": "Rate limit exceeded: 3 per 1 s; try again in 1 s"}
    }
    other = http.post("/echo/items", content="x", headers={"X-Echo-Account": f"other-{unique}"})
    assert other.status_code == 201  # a window per account
    CLOCK.advance(1)
    assert http.post("/echo/items", content="x", headers=headers).status_code == 201
    body = http.get(f"/__admin/faults/{rule['id']}").json()
    assert (body["hits"], body["matched"]) == (1, 5)
    [entry] = http.get("/__admin/requests", params={"service": "echo", "status": 429}).json()[
        "data"
    ][-1:]
    assert entry["fault"] == {"id": rule["id"], "type": "rate_limit"}


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "rate_limit", "limit": 0, "per_seconds": 1}, "action.limit"),
        ({"type": "rate_limit", "limit": 1, "per_seconds": 0}, "action.per_seconds"),
        (
            {"type": "rate_limit", "limit": 1, "per_seconds": 1, "smtp_code": 450},
            "action.smtp_code",
        ),
        (
            {"type": "rate_limit", "limit": 1, "per_seconds": 1, "enhanced": "5.7.0"},
            "action.enhanced",
        ),
        ({"type": "rate_limit", "per_seconds": 1}, "action.limit"),
    ],
)
def test_invalid_rate_limit_rules_name_the_field(
    http: httpx.Client, action: dict[str, Any], field: str
) -> None:
    r = http.post("/__admin/faults", json={"service": "smtp", "action": action})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


def test_windows_are_bounded_in_keys_and_length() -> None:
    windows = RateWindows(limit=2, per_seconds=10, max_keys=3)
    for i in range(10):
        assert windows.admit((f"acct-{i}", ""), 0.0) is None
    assert len(windows) == 3
    assert windows.admit(("acct-9", ""), 1.0) is None
    assert windows.admit(("acct-9", ""), 2.0) == pytest.approx(8.0)  # frees at 0.0 + 10
    assert windows.admit(("acct-9", ""), 10.0) is None  # 0.0 has left the window
    assert windows.admit(("acct-0", ""), 10.0) is None  # forgotten: a fresh window
