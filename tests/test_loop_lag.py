"""Heavy inputs do not hold the event loop: the server's own loop probe, read from health.

The probe (core/looplag.py) is a task on the server's loop that sleeps 10 ms at a time. For each
interval it records how late it woke (``max_ms``) and how much CPU time the loop's own thread used
meanwhile (``busy_max_ms``). This module runs every input that used to stall the loop (issue 14: a
Mailgun send to 10,000 recipients held it 5-7 s; an SMTP ``To:`` header of 10,000 addresses about 2
s, then 90-180 ms from a worker thread; a ``body=`` filter parsed every body on the loop, 0.9 s
over 1,000 mails; a 10 MB SMTP message, read line by line at DATA (50-60 ms) and rendered as one
JSON call on read-back (30-70 ms)) against a ``fakeservices serve`` process of its own, then
asserts the goal: no interval in which the loop's thread worked 50 ms or more.

Why this bound is the goal and still cannot flake on a loaded 2-core CI machine: wall-clock
lateness counts waits as well as work: for a CPU the machine gives to other jobs, and for the GIL
while a worker thread holds it (a C call or a collector pass there; 1.4-1.8 s measured at load 8).
Neither is the loop doing work, and neither shows in the thread's CPU time, which the kernel counts
only while the thread runs. CPU time for the same work barely moves with load, so the margin is
what the work costs: the worst interval here measured 21-25 ms (this 2-core machine under a
benchmark; stepwise, the 300 small mails' burst, while the 10 MB message's ingest reached 12 ms and
its read-back added nothing), against 930 ms for the old ``body=`` filter, 60-72 ms with the 10 MB
message read line by line and rendered in one call, and 50 ms for one garbage-collector pass over
the heap of an embedded server (which is why the server is its own process, and ``serve`` freezes
its start-up heap). ``busy`` sums every callback run in an interval, so it bounds the longest one
from above. The wall-clock lateness is shown when the assertion fails, not asserted.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.core.looplag import LoopLag
from fakeservices.server import EmbeddedServer
from tests.test_cli import serve, urls

GOAL_MS = 50.0
STORED = 300  # mails a body= filter reads (1,000 in the measurements, CHANGELOG.md)
LINES = 1000  # lines in each: together about 0.3 s of parsing on this 2-core machine
#: A message just under the default --max-message-bytes (10 MiB): 76-byte lines, each starting
#: with a dot, so DATA carries 130,000 dot-stuffed lines.
BIG_LINE = "." + "x" * 73 + "\r\n"
BIG_LINES = 10_000_000 // len(BIG_LINE)


def addresses(n: int, domain: str = "lag.example") -> list[str]:
    return [f"user{i}@{domain}" for i in range(n)]


@pytest.fixture(scope="module")
def process() -> Iterator[tuple[str, int]]:
    with serve("--http-port", "0", "--smtp-port", "0") as (_proc, banner):
        http_url, _host, smtp_port = urls(banner)
        yield http_url, smtp_port


def test_heavy_inputs_keep_the_loop_serving(process: tuple[str, int], unique: str) -> None:
    url, smtp_port = process
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

        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=120) as smtp:
            smtp.login(unique, "x")
            header = "From: a@lag.example\r\nTo: " + ",\r\n ".join(many) + "\r\nSubject: lag\r\n"
            refused = smtp.sendmail("a@lag.example", many[:1001], header + "\r\nbody\r\n")
            assert refused == {many[1000]: (452, b"4.5.3 Too many recipients")}
            # A 10 MB message: read at DATA in chunks, not line by line.
            big = "Subject: big\r\n\r\n" + BIG_LINE * BIG_LINES
            assert smtp.sendmail("a@lag.example", ["big@lag.example"], big) == {}
            # Mails a body= filter reads: only the last one says "needle".
            for i in range(STORED):
                word = "needle" if i == STORED - 1 else "hay"
                text = f"Subject: m{i}\r\n\r\n" + f"{word} {i}\r\n" * LINES
                smtp.sendmail("a@lag.example", ["b@lag.example"], text)

        # Reading both big ones back parses them (in full) for the first time.
        smtp_mail = http.get("/__admin/emails", params={"account": unique, "subject": "lag"})
        (stored,) = smtp_mail.json()["data"]
        assert stored["to"] == many[:1000]  # read as addresses up to the per-header bound
        assert stored["bcc"] == []  # every envelope recipient is named in To
        assert any("TooManyAddresses" in e for e in stored["parse_errors"])
        assert stored["headers"]["To"][0].endswith(many[-1])  # the header is kept whole
        mailgun_mail = http.get(
            "/__admin/emails", params={"account": f"key-{unique}", "source": "mailgun"}
        )
        assert len(mailgun_mail.json()["data"][0]["to"]) == 1000

        # The 10 MB message read back, alone and in a list: rendered off the loop, in pieces.
        (head,) = http.get(
            "/__admin/emails", params={"account": unique, "to": "big@lag.example"}
        ).json()["data"]
        one = http.get(f"/__admin/emails/{head['id']}")
        assert one.json()["text"] == BIG_LINE.replace("\r\n", "\n") * BIG_LINES
        listed = http.get("/__admin/emails", params={"account": unique, "subject": "big"})
        assert listed.json()["data"] == [one.json()]

        found = http.get(
            "/__admin/emails", params={"account": unique, "body": "NEEDLE", "view": "summary"}
        )
        assert [m["subject"] for m in found.json()["data"]] == [f"m{STORED - 1}"]

        lag = http.get("/__admin/health").json()["loop_lag"]
    print("loop_lag after the heavy inputs:", lag)  # shown with -s: the numbers behind the bound
    assert lag["samples"] > 0
    assert lag["busy_max_ms"] < GOAL_MS, lag
    assert lag["gc_max_ms"] < GOAL_MS, lag


def test_loop_lag_is_in_health_and_metrics(server: EmbeddedServer) -> None:
    url = server.url
    health = httpx.get(f"{url}/__admin/health").json()["loop_lag"]
    assert set(health) == {
        "max_ms",
        "recent_max_ms",
        "p99_ms",
        "busy_max_ms",
        "gc_max_ms",
        "samples",
    }
    assert 0 <= health["p99_ms"] <= health["recent_max_ms"] <= health["max_ms"]
    assert health["busy_max_ms"] >= 0
    metrics = httpx.get(f"{url}/__admin/metrics").text
    assert 'fakeservices_event_loop_lag_seconds{quantile="0.99"} ' in metrics
    assert "fakeservices_event_loop_lag_max_seconds " in metrics
    assert "fakeservices_event_loop_busy_max_seconds " in metrics
    assert "fakeservices_gc_pause_max_seconds " in metrics


def test_recent_figures_follow_new_samples() -> None:
    """Health reads max and p99 of the window; they are cached per sample, never stale."""
    probe = LoopLag(window=100)
    assert probe.recent() == (0.0, 0.0)
    for i in range(100):
        probe.record(i / 1000)
    assert probe.recent() == (0.099, 0.099)
    assert probe.recent() == (0.099, 0.099)  # asked again: the same figures
    for _ in range(100):
        probe.record(0.001)  # the window now holds only 1 ms samples
    assert probe.recent() == (0.001, 0.001)
    assert probe.max_seconds == 0.099
