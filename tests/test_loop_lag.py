"""Heavy inputs do not hold the event loop: the server's own loop-lag probe, read from health.

The probe (core/looplag.py) is a task on the server's loop that sleeps 10 ms at a time and
records how late it wakes: any work done on the loop shows up as lateness. This module runs every
input that used to stall the loop (issue 14: a Mailgun send to 10,000 recipients held it 5-7 s;
an SMTP ``To:`` header of 10,000 addresses about 2 s; reading such a message back parses it
again) against a server of its own, then asserts the probe's worst lateness since start.

Why the bound cannot flake and still catches the bug: the goal is under 50 ms, and on an idle
machine the worst gap here is tens of milliseconds (heavy parses run in worker threads, which
hand the GIL back every 5 ms). But CI shares two cores with other jobs, and there a worker
thread's GIL hand-offs can keep the loop waiting far longer (1.4-1.8 s measured at load 8), so
no fixed wall-clock bound is safe. The bound is therefore the larger of 1 s and half the wall
time of the shortest heavy step (the SMTP delivery, the read-back that parses it): work done on
the loop makes the worst gap about as long as its step (6.1 s measured, over 90% of it), while
work in a thread leaves it a small fraction of the step however slow the machine is, since the
step stretches with the same starvation.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server

BOUND_MS = 1000.0


def addresses(n: int, domain: str = "lag.example") -> list[str]:
    return [f"user{i}@{domain}" for i in range(n)]


@pytest.fixture(scope="module")
def lagged() -> Iterator[EmbeddedServer]:
    with start_server() as s:
        yield s


def test_heavy_inputs_keep_the_loop_serving(lagged: EmbeddedServer, unique: str) -> None:
    url = lagged.url
    many = addresses(10_000)
    with httpx.Client(base_url=url, timeout=120) as http:
        mailgun = http.post(
            "/v3/lag.example/messages",
            auth=("api", f"key-{unique}"),
            data={"from": "a@lag.example", "to": ",".join(many), "text": "x"},
        )
        assert mailgun.status_code == 400
        assert mailgun.json() == {"message": "Too many recipients, max is 1000"}

        postmark = http.post(
            "/email",
            headers={"X-Postmark-Server-Token": unique},
            json={"From": "a@lag.example", "To": ",".join(many), "TextBody": "x"},
        )
        assert postmark.status_code == 422
        assert postmark.json()["Message"] == "Too many recipients. The maximum is 50."

        sendgrid = http.post(
            "/v3/mail/send",
            headers={"Authorization": f"Bearer {unique}"},
            json={
                "from": {"email": "a@lag.example"},
                "subject": "s",
                "content": [{"type": "text/plain", "value": "x"}],
                "personalizations": [{"to": [{"email": a} for a in many]}],
            },
        )
        assert sendgrid.status_code == 400
        assert "limit of 1000 total recipients" in sendgrid.text

        # Accepted at the limit: 1,000 Mailgun recipients is one stored message.
        ok = http.post(
            "/v3/lag.example/messages",
            auth=("api", f"key-{unique}"),
            data={"from": "a@lag.example", "to": ",".join(many[:1000]), "text": "x"},
        )
        assert ok.status_code == 200

        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", lagged.smtp_port, timeout=120) as smtp:
            smtp.login(unique, "x")
            header = "From: a@lag.example\r\nTo: " + ",\r\n ".join(many) + "\r\nSubject: lag\r\n"
            refused = smtp.sendmail("a@lag.example", many[:1001], header + "\r\nbody\r\n")
            assert refused == {many[1000]: (452, b"4.5.3 Too many recipients")}
        steps = [time.perf_counter() - started]

        # Reading both back parses them (in full) for the first time.
        for source, account in (("smtp", unique), ("mailgun", f"key-{unique}")):
            started = time.perf_counter()
            got = http.get("/__admin/emails", params={"account": account, "source": source})
            if source == "smtp":
                steps.append(time.perf_counter() - started)
            assert got.status_code == 200
            data = got.json()["data"]
            assert len(data) == 1
            assert len(data[0]["to"]) == (10_000 if source == "smtp" else 1000)

        lag = http.get("/__admin/health").json()["loop_lag"]
    assert lag["samples"] > 0
    bound = max(BOUND_MS, 500 * min(steps))
    assert lag["max_ms"] < bound, (lag, steps)


def test_loop_lag_is_in_health_and_metrics(server: EmbeddedServer) -> None:
    health = httpx.get(f"{server.url}/__admin/health").json()["loop_lag"]
    assert set(health) == {"max_ms", "recent_max_ms", "p99_ms", "samples"}
    assert 0 <= health["p99_ms"] <= health["recent_max_ms"] <= health["max_ms"]
    metrics = httpx.get(f"{server.url}/__admin/metrics").text
    assert 'fakeservices_event_loop_lag_seconds{quantile="0.99"} ' in metrics
    assert "fakeservices_event_loop_lag_max_seconds " in metrics
