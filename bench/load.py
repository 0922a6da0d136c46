"""Load generators, one process per run, started by bench/run.py. Each prints one JSON line.

HTTP goes through a minimal asyncio HTTP/1.1 keep-alive client (pre-encoded requests, responses
read by Content-Length): on a 2-core machine a heavier client (httpx costs about as much CPU per
request as the server) would cap both servers at the client's own speed and hide their difference.
SMTP goes through a minimal asyncio SMTP client (EHLO once, then MAIL/RCPT/DATA per message).

Every loop is bounded by a request count and a deadline, and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

STRIPE_KEY = "sk_test_x"
TWILIO_SID = "AC" + "b" * 32
SENDGRID_KEY = "SG.bench"
MAILGUN_KEY = "key-bench"
POSTMARK_TOKEN = "bench-server-token"


def twilio_sid(account: str) -> str:
    """A well-formed Account SID (AC + 32 hex digits) that names ``account``."""
    return "AC" + account.encode().hex()[:32].rjust(32, "0")


# -- a small HTTP/1.1 client ----------------------------------------------------------------------
class Http:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        if body or method in ("POST", "PUT"):
            head += f"Content-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and "close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PI_CREATE = urlencode(
    {
        "amount": "1000",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "payment_method_types[0]": "card",
    }
).encode()
PI_CREATE_CONFIRM = PI_CREATE + b"&confirm=true"


def sms_body(i: int) -> bytes:
    return urlencode(
        {"To": f"+1555{i % 10_000_000:07d}", "From": "+15557654321", "Body": f"bench {i}"}
    ).encode()


def sendgrid_body(i: int) -> bytes:
    return json.dumps(
        {
            "personalizations": [{"to": [{"email": f"user{i}@example.com"}]}],
            "from": {"email": "bench@example.com"},
            "subject": f"bench {i}",
            "content": [{"type": "text/plain", "value": "hello from the bench " * 8}],
        }
    ).encode()


def mailgun_body(i: int) -> bytes:
    # What the mailgun SDK (requests, ``data=``) sends for a plain-text message: urlencoded.
    return urlencode(
        {
            "from": "bench@mg.example.com",
            "to": f"user{i}@example.com",
            "subject": f"bench {i}",
            "text": "hello from the bench " * 8,
        }
    ).encode()


def postmark_body(i: int) -> bytes:
    return json.dumps(
        {
            "From": "bench@example.com",
            "To": f"user{i}@example.com",
            "Subject": f"bench {i}",
            "TextBody": "hello from the bench " * 8,
            "MessageStream": "outbound",
        }
    ).encode()


#: Scenario name -> requests per operation (everything else is one).
TWO_REQUESTS = {"stripe"}


class Scenario:
    """One operation against a server; returns the statuses it saw.

    ``key`` is the Stripe key; ``account`` (when given) names the account of the other APIs: the
    SendGrid/Mailgun key and the Postmark token are ``account`` itself, the Twilio Account SID is
    derived from it. Response bodies are counted (``resp_bytes`` / ``responses``), so the report
    can show that a baseline answers as much as the fake does.
    """

    def __init__(self, name: str, key: str = STRIPE_KEY, account: str | None = None) -> None:
        self.name = name
        self.stripe_auth = {"Authorization": f"Bearer {key}", **FORM}
        self.twilio_sid = twilio_sid(account) if account else TWILIO_SID
        self.twilio_auth = {"Authorization": basic(self.twilio_sid, "token"), **FORM}
        self.sg = {
            "Authorization": f"Bearer {account or SENDGRID_KEY}",
            "Content-Type": "application/json",
        }
        self.mg = {"Authorization": basic("api", account or MAILGUN_KEY), **FORM}
        self.pm = {
            "X-Postmark-Server-Token": account or POSTMARK_TOKEN,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.requests_per_op = 2 if name in TWO_REQUESTS else 1
        self.resp_bytes = 0
        self.responses = 0

    async def req(
        self, c: Http, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        status, data = await c.request(method, path, body, headers)
        self.resp_bytes += len(data)
        self.responses += 1
        return status, data

    async def run(self, c: Http, i: int) -> list[int]:
        if self.name == "health":
            s, _ = await self.req(c, "GET", "/__admin/health", b"", {})
            return [s]
        if self.name == "stripe":
            s1, body = await self.req(c, "POST", "/v1/payment_intents", PI_CREATE, self.stripe_auth)
            if s1 != 200:
                return [s1]
            pi = json.loads(body)["id"]
            s2, body = await self.req(
                c, "POST", f"/v1/payment_intents/{pi}/confirm", b"", self.stripe_auth
            )
            if s2 == 200 and json.loads(body)["status"] != "succeeded":
                s2 = 600  # counted as wrong
            return [s1, s2]
        if self.name == "stripe-oneshot":  # create with confirm=true: one request
            s, body = await self.req(
                c, "POST", "/v1/payment_intents", PI_CREATE_CONFIRM, self.stripe_auth
            )
            if s == 200 and json.loads(body)["status"] != "succeeded":
                s = 600
            return [s]
        if self.name == "stripe-create":
            s, _ = await self.req(c, "POST", "/v1/payment_intents", PI_CREATE, self.stripe_auth)
            return [s]
        if self.name == "twilio":
            path = f"/2010-04-01/Accounts/{self.twilio_sid}/Messages.json"
            s, _ = await self.req(c, "POST", path, sms_body(i), self.twilio_auth)
            return [s]
        if self.name == "sendgrid":
            s, _ = await self.req(c, "POST", "/v3/mail/send", sendgrid_body(i), self.sg)
            return [s]
        if self.name == "mailgun":
            path = "/v3/mg.example.com/messages"
            s, _ = await self.req(c, "POST", path, mailgun_body(i), self.mg)
            return [s]
        if self.name == "postmark":
            s, _ = await self.req(c, "POST", "/email", postmark_body(i), self.pm)
            return [s]
        raise ValueError(self.name)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def http_load(
    port: int,
    scenario: Scenario,
    conns: int,
    duration: float,
    max_ops: int,
    warmup: float,
    grace: float = 30.0,
) -> dict[str, Any]:
    """Run ``scenario`` over ``conns`` keep-alive connections; warm-up ops are not counted."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    counter = iter(range(10**9))
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + duration
    done = 0
    # Every operation completed, warm-up included: what the server's CPU time is divided by.
    done_all = 0
    last_end = 0.0

    async def worker() -> None:
        nonlocal done, done_all, last_end
        c = Http("127.0.0.1", port)
        try:
            while done < max_ops:
                now = time.perf_counter()
                if now >= deadline:
                    break
                i = next(counter)
                result = await scenario.run(c, i)
                end = time.perf_counter()
                done_all += 1
                if now >= measure_from:
                    done += 1
                    last_end = max(last_end, end)
                    latencies.append(end - now)
                    statuses.update(result)
        finally:
            c.close()

    tasks = [asyncio.ensure_future(worker()) for _ in range(conns)]
    # An operation already started when the deadline passes may still finish (a slow server can
    # take seconds per request); past a grace period it is abandoned and not counted.
    await asyncio.wait(tasks, timeout=warmup + duration + grace)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Throughput over the time the counted operations actually took.
    elapsed = max(last_end, deadline if done < max_ops else 0.0) - measure_from
    elapsed = max(elapsed, 1e-9)
    return {
        "ops": done,
        "ops_all": done_all,
        "elapsed": elapsed,
        "ops_per_s": done / elapsed,
        "req_per_s": done * scenario.requests_per_op / elapsed,
        "p50_ms": pct(latencies, 0.50) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "statuses": {str(k): v for k, v in statuses.items()},
        "resp_bytes_mean": scenario.resp_bytes / max(1, scenario.responses),
    }


# -- a small SMTP client --------------------------------------------------------------------------
def make_message(i: int, size: int, subject: str | None = None) -> bytes:
    head = (
        f"From: bench@example.com\r\nTo: user{i}@example.com\r\n"
        f"Subject: {subject or f'bench {i}'}\r\nMessage-ID: <bench{i}.{time.time_ns()}@bench>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    line = "The quick brown fox jumps over the lazy dog, 0123456789 abcdefghijklmnopq.\r\n"
    body_len = max(0, size - len(head))
    body = (line * (body_len // len(line) + 1))[:body_len]
    return (head + body).encode()


class Smtp:
    def __init__(self, port: int) -> None:
        self.port = port

    async def connect(self, user: str | None = None) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        await self.reply(220)
        self.writer.write(b"EHLO bench\r\n")
        await self.reply(250)
        if user:
            token = base64.b64encode(f"\0{user}\0pw".encode()).decode()
            self.writer.write(f"AUTH PLAIN {token}\r\n".encode())
            await self.reply(235)

    async def reply(self, expect: int) -> int:
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("closed")
            if line[3:4] != b"-":
                code = int(line[:3])
                if code != expect:
                    raise RuntimeError(f"expected {expect}, got {line!r}")
                return code

    async def send(self, rcpt: str, data: bytes) -> None:
        self.writer.write(b"MAIL FROM:<bench@example.com>\r\n")
        await self.reply(250)
        self.writer.write(f"RCPT TO:<{rcpt}>\r\n".encode())
        await self.reply(250)
        self.writer.write(b"DATA\r\n")
        await self.reply(354)
        self.writer.write(data + b"\r\n.\r\n")
        await self.reply(250)

    async def code(self) -> int:
        """The code of the next (possibly multi-line) reply."""
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("closed")
            if line[3:4] != b"-":
                return int(line[:3])

    async def try_send(self, rcpt: str, data: bytes) -> int:
        """One transaction; 250 when the message was accepted, else the refusing reply's code
        (the transaction is then reset with RSET, so the connection stays usable)."""
        steps = [
            (b"MAIL FROM:<bench@example.com>\r\n", 250),
            (f"RCPT TO:<{rcpt}>\r\n".encode(), 250),
            (b"DATA\r\n", 354),
            (data + b"\r\n.\r\n", 250),
        ]
        for line, want in steps:
            self.writer.write(line)
            got = await self.code()
            if got != want:
                if want != 354 or got >= 400:
                    self.writer.write(b"RSET\r\n")
                    await self.reply(250)
                return got
        return 250

    async def quit(self) -> None:
        self.writer.write(b"QUIT\r\n")
        try:
            await self.reply(221)
        finally:
            self.writer.close()


async def smtp_load(
    port: int, conns: int, size: int, duration: float, max_msgs: int, warmup: float
) -> dict[str, Any]:
    msg = make_message(0, size)
    start = time.perf_counter()
    measure_from = start + warmup
    deadline = measure_from + duration
    done = 0
    done_all = 0
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal done, done_all
        c = Smtp(port)
        await c.connect()
        while done < max_msgs:
            now = time.perf_counter()
            if now >= deadline:
                break
            await c.send("user@example.com", msg)
            done_all += 1
            if now >= measure_from:
                done += 1
                latencies.append(time.perf_counter() - now)
        await c.quit()

    await asyncio.gather(*(worker() for _ in range(conns)))
    elapsed = max(min(time.perf_counter(), deadline) - measure_from, 1e-9)
    return {
        "msgs": done,
        "msgs_all": done_all,
        "elapsed": elapsed,
        "msgs_per_s": done / elapsed,
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
    }


async def smtp_send_n(port: int, conns: int, total: int, size: int, deadline_s: float) -> int:
    """Send exactly ``total`` messages (split over ``conns``), as fast as they are accepted."""
    per = [total // conns + (1 if k < total % conns else 0) for k in range(conns)]
    deadline = time.perf_counter() + deadline_s
    sent = 0

    async def worker(k: int, n: int) -> None:
        nonlocal sent
        c = Smtp(port)
        await c.connect()
        for j in range(n):
            if time.perf_counter() > deadline:
                break
            await c.send(f"user{k}@example.com", make_message(k * 1_000_000 + j, size))
            sent += 1
        await c.quit()

    await asyncio.gather(*(worker(k, n) for k, n in enumerate(per)))
    return sent


async def http_send_n(
    port: int, scenario: Scenario, conns: int, total: int, deadline_s: float
) -> Counter[int]:
    """Run ``total`` operations over ``conns`` connections; the statuses they got."""
    deadline = time.perf_counter() + deadline_s
    counter = iter(range(total))
    statuses: Counter[int] = Counter()

    async def worker() -> None:
        c = Http("127.0.0.1", port)
        for i in counter:
            if time.perf_counter() > deadline:
                break
            statuses.update(await scenario.run(c, i))
        c.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    return statuses


# -- wait latency ---------------------------------------------------------------------------------
async def wait_latency(http_port: int, smtp_port: int, n: int, size: int) -> dict[str, Any]:
    """SMTP DATA acknowledged -> a pending /__admin/emails/wait for that message returns."""
    smtp = Smtp(smtp_port)
    await smtp.connect()
    h = Http("127.0.0.1", http_port)
    lat: list[float] = []
    deadline = time.perf_counter() + 60
    for i in range(n):
        if time.perf_counter() > deadline:
            break
        _, body = await h.request("GET", "/__admin/health")
        seq = json.loads(body)["seq"]
        w = Http("127.0.0.1", http_port)
        await w.connect()
        subject = f"wait-{i}-{time.time_ns()}"
        waiting = asyncio.ensure_future(
            w.request("GET", f"/__admin/emails/wait?subject={subject}&after={seq}&timeout=5")
        )
        await asyncio.sleep(0.005)  # let the server register the waiter
        await smtp.send("waiter@example.com", make_message(i, size, subject))
        sent = time.perf_counter()
        status, _ = await waiting
        got = time.perf_counter()
        w.close()
        if status != 200:
            raise RuntimeError(f"wait answered {status}")
        lat.append(got - sent)
    await smtp.quit()
    h.close()
    return {
        "n": len(lat),
        "p50_ms": pct(lat, 0.5) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "max_ms": max(lat) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000,
    }


# -- load without loss ----------------------------------------------------------------------------
async def mixed(
    http_port: int, smtp_port: int, emails: int, sms: int, payments: int, deadline_s: float
) -> dict[str, Any]:
    t0 = time.perf_counter()
    key = f"sk_test_load{int(time.time())}"
    results = await asyncio.gather(
        smtp_send_n(smtp_port, 32, emails, 10 * 1024, deadline_s),
        http_send_n(http_port, Scenario("twilio"), 16, sms, deadline_s),
        http_send_n(http_port, Scenario("stripe", key), 8, payments, deadline_s),
    )
    elapsed = time.perf_counter() - t0
    sent_emails, sms_status, pay_status = results
    # Read back: every store's held + evicted, every held email by paging, every PaymentIntent.
    h = Http("127.0.0.1", http_port)
    _, body = await h.request("GET", "/__admin/health")
    health = json.loads(body)
    held_emails = 0
    after = 0
    while True:
        _, body = await h.request("GET", f"/__admin/emails?limit=1000&after={after}")
        page = json.loads(body)
        held_emails += len(page["data"])
        after = page["next_after"]
        if not page["has_more"]:
            break
    held_sms = 0
    after = 0
    while True:
        _, body = await h.request("GET", f"/__admin/sms?limit=1000&after={after}")
        page = json.loads(body)
        held_sms += len(page["data"])
        after = page["next_after"]
        if not page["has_more"]:
            break
    auth = {"Authorization": f"Bearer {key}"}
    pis = succeeded = 0
    cursor = ""
    while True:
        _, body = await h.request("GET", f"/v1/payment_intents?limit=100{cursor}", headers=auth)
        page = json.loads(body)
        pis += len(page["data"])
        succeeded += sum(1 for p in page["data"] if p["status"] == "succeeded")
        if not page["has_more"]:
            break
        cursor = f"&starting_after={page['data'][-1]['id']}"
    h.close()
    return {
        "elapsed": elapsed,
        "sent": {"emails": sent_emails, "sms": sms_status[201], "payments": pay_status[200] // 2},
        "sms_statuses": {str(k): v for k, v in sms_status.items()},
        "payment_statuses": {str(k): v for k, v in pay_status.items()},
        "health": health,
        "read_back": {
            "emails_held": held_emails,
            "sms_held": held_sms,
            "payment_intents": pis,
            "succeeded": succeeded,
        },
    }


# -- soak: mixed load at a set rate, with resets, faults and waits ------------------------------
SOAK_WORKLOADS = ("smtp", "sendgrid", "twilio", "stripe")
#: Worker k of each workload sends as SOAK_ROLES[k % 4]: the steady account is never reset, the
#: churn account is reset periodically, the fault account is the one fault rules match.
SOAK_ROLES = ("steady", "churn", "steady", "fault")


def soak_account(role: str) -> str:
    """The SMTP AUTH user / SendGrid key of a role (Twilio SID and Stripe key derive from it)."""
    return f"soak-{role}"


def soak_stripe_key(role: str) -> str:
    return f"sk_test_soak{role}"


def soak_faults() -> list[dict[str, Any]]:
    """Rules matching the fault account only; none answers 5xx (a 5xx in the soak is a defect)."""
    acct = soak_account("fault")
    return [
        {
            "service": "smtp",
            "match": {"account": acct},
            "action": {
                "type": "smtp_reply",
                "code": 451,
                "enhanced": "4.3.0",
                "message": "soak fault",
                "stage": "rcpt",
            },
            "probability": 0.5,
        },
        {
            "service": "email-http",
            "match": {"account": acct},
            "action": {"type": "error", "status": 429},
            "probability": 0.5,
        },
        {
            "service": "sms",
            "match": {"account": twilio_sid(acct)},
            "action": {"type": "error", "status": 429},
            "probability": 0.5,
        },
        {
            "service": "stripe",
            "match": {"account": soak_stripe_key("fault")},
            "action": {"type": "delay", "distribution": {"uniform": {"min_ms": 1, "max_ms": 20}}},
        },
    ]


class Gate:
    """Lets operations through while open; ``closed()`` stops new ones and waits (bounded) until
    those in flight have finished, so that a reset sees no concurrent writes."""

    def __init__(self) -> None:
        self.is_open = asyncio.Event()
        self.is_open.set()
        self.idle = asyncio.Event()
        self.idle.set()
        self.inflight = 0

    @contextlib.asynccontextmanager
    async def op(self) -> AsyncIterator[None]:
        await self.is_open.wait()
        self.inflight += 1
        self.idle.clear()
        try:
            yield
        finally:
            self.inflight -= 1
            if self.inflight == 0:
                self.idle.set()

    @contextlib.asynccontextmanager
    async def closed(self, timeout: float) -> AsyncIterator[None]:
        self.is_open.clear()
        try:
            await asyncio.wait_for(self.idle.wait(), timeout)
            yield
        finally:
            self.is_open.set()


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": pct(values, 0.5) * 1000,
        "p99_ms": pct(values, 0.99) * 1000,
        "max_ms": (max(values) if values else float("nan")) * 1000,
    }


async def read_json(h: Http, method: str, path: str) -> Any:
    status, body = await h.request(method, path)
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status}: {body[:200]!r}")
    return json.loads(body)


async def count_all(h: Http, kind: str) -> int:
    """Page through every held item of ``kind`` (emails, sms); bounded by the store's cap."""
    held, after = 0, 0
    for _ in range(10_000):
        page = await read_json(h, "GET", f"/__admin/{kind}?limit=1000&after={after}")
        held += len(page["data"])
        after = page["next_after"]
        if not page["has_more"]:
            break
    return held


async def soak(
    http_port: int,
    smtp_port: int,
    duration: float,
    rates: dict[str, float],
    reset_every: float,
    fault_every: float,
    wait_every: float,
    conns: int = 4,
) -> dict[str, Any]:
    """Run SMTP, SendGrid, Twilio and Stripe create+confirm at ``rates`` (ops/s) for ``duration``
    seconds while resetting the churn account, adding and removing fault rules and waiting for
    mail; then account for every message (held + evicted + removed by resets). The health probe
    is a process of its own (``probe``), so that this one's own loop does not count as lag."""
    admin = Http("127.0.0.1", http_port)
    gate = Gate()
    h0 = await read_json(admin, "GET", "/__admin/health")
    t0 = time.perf_counter()
    end = t0 + duration
    accepted = Counter[str]()  # "emails", "sms", "payments"
    statuses: dict[str, Counter[str]] = {w: Counter() for w in SOAK_WORKLOADS}
    latencies: dict[str, list[float]] = {w: [] for w in SOAK_WORKLOADS}
    ops = Counter[str]()  # operations completed (whatever the answer), per workload
    errors = Counter[str]()
    unexpected: list[str] = []
    msg = make_message(0, 10 * 1024)

    def note(workload: str, role: str, code: int) -> None:
        statuses[workload][f"{code}" if role != "fault" else f"{code} (fault account)"] += 1
        ok = code in (200, 201, 202, 250)
        refused_by_fault = role == "fault" and code in (429, 451)
        if not ok and not refused_by_fault and len(unexpected) < 20:
            unexpected.append(f"{workload} {role} {code}")

    async def worker(workload: str, k: int, schedule: Iterator[int]) -> None:
        role = SOAK_ROLES[k % len(SOAK_ROLES)]
        rate = rates[workload]
        smtp: Smtp | None = None
        http = Http("127.0.0.1", http_port)
        scen = Scenario(
            "stripe" if workload == "stripe" else workload,
            key=soak_stripe_key(role),
            account=soak_account(role),
        )
        try:
            for i in schedule:
                at = t0 + i / rate
                if at >= end:
                    break
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                async with gate.op():
                    started = time.perf_counter()
                    try:
                        if workload == "smtp":
                            if smtp is None:
                                smtp = Smtp(smtp_port)
                                await smtp.connect(soak_account(role))
                            codes = [
                                await asyncio.wait_for(smtp.try_send("u@example.com", msg), 30)
                            ]
                        else:
                            codes = await asyncio.wait_for(scen.run(http, i), 30)
                    except (OSError, EOFError, RuntimeError, TimeoutError, ValueError) as exc:
                        errors[f"{workload}: {type(exc).__name__}"] += 1
                        http.close()
                        if smtp is not None:
                            smtp.writer.close()
                            smtp = None
                        continue
                    latencies[workload].append(time.perf_counter() - started)
                    ops[workload] += 1
                for code in codes:
                    note(workload, role, code)
                if all(c in (200, 201, 202, 250) for c in codes):
                    accepted[{"twilio": "sms", "stripe": "payments"}.get(workload, "emails")] += 1
        finally:
            http.close()
            if smtp is not None:
                with contextlib.suppress(Exception):
                    await smtp.quit()

    waits: list[float] = []
    wait_statuses = Counter[str]()

    async def waiter() -> None:
        h = Http("127.0.0.1", http_port)
        smtp = Smtp(smtp_port)
        await smtp.connect(soak_account("steady"))
        n = 0
        while True:
            n += 1
            at = t0 + n * wait_every
            if at >= end:
                break
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            async with gate.op():
                seq = (await read_json(h, "GET", "/__admin/health"))["seq"]
                subject = f"soak-wait-{n}-{time.time_ns()}"
                w = Http("127.0.0.1", http_port)
                q = f"subject={subject}&after={seq}&timeout=10"
                waiting = asyncio.ensure_future(w.request("GET", f"/__admin/emails/wait?{q}"))
                code = await smtp.try_send("waiter@example.com", make_message(n, 2048, subject))
                sent = time.perf_counter()
                status, _ = await waiting
                got = time.perf_counter()
                w.close()
            if code == 250:
                accepted["emails"] += 1
            else:
                unexpected.append(f"wait send {code}")
            wait_statuses[str(status)] += 1
            if status == 200:
                waits.append(got - sent)
        await smtp.quit()
        h.close()

    removed = Counter[str]()
    resets: list[float] = []
    evicted_during_reset = 0

    async def resetter() -> None:
        nonlocal evicted_during_reset
        h = Http("127.0.0.1", http_port)
        acct = soak_account("churn")
        accounts = [acct, twilio_sid(acct), soak_stripe_key("churn")]
        n = 0
        while True:
            n += 1
            at = t0 + n * reset_every
            if at >= end:
                break
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            started = time.perf_counter()
            async with gate.closed(60):
                before = await read_json(h, "GET", "/__admin/health")
                for a in accounts:
                    await read_json(h, "POST", f"/__admin/reset?account={a}")
                after = await read_json(h, "GET", "/__admin/health")
            resets.append(time.perf_counter() - started)
            h.close()  # idle longer than the server's keep-alive until the next one
            for kind in ("emails", "sms"):
                removed[kind] += before["counts"][kind] - after["counts"][kind]
                evicted_during_reset += after["evicted"][kind] - before["evicted"][kind]
        h.close()

    fault_adds = fault_removes = 0

    async def faulter() -> None:
        nonlocal fault_adds, fault_removes
        h = Http("127.0.0.1", http_port)
        ids: list[str] = []
        n = 0
        try:
            while True:
                n += 1
                at = t0 + n * fault_every
                if at >= end:
                    break
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                if ids:
                    for fid in ids:
                        await read_json(h, "DELETE", f"/__admin/faults/{fid}")
                        fault_removes += 1
                    ids = []
                else:
                    for rule in soak_faults():
                        body = json.dumps(rule).encode()
                        hdr = {"Content-Type": "application/json"}
                        status, data = await h.request("POST", "/__admin/faults", body, hdr)
                        if status not in (200, 201):
                            raise RuntimeError(f"fault rule refused: {status} {data[:300]!r}")
                        ids.append(json.loads(data)["id"])
                        fault_adds += 1
                h.close()  # idle longer than the server's keep-alive until the next one
        finally:
            for fid in ids:
                await h.request("DELETE", f"/__admin/faults/{fid}")
                fault_removes += 1
            h.close()

    tasks = []
    for workload in SOAK_WORKLOADS:
        schedule = iter(range(10**9))
        tasks += [worker(workload, k, schedule) for k in range(conns)]
    tasks += [waiter(), resetter(), faulter()]
    done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), duration + 120)
    load_s = time.perf_counter() - t0
    crashed = [repr(x) for x in done if isinstance(x, BaseException)]
    admin.close()  # idle since the start: the server has closed it

    h1 = await read_json(admin, "GET", "/__admin/health")
    held = {"emails": await count_all(admin, "emails"), "sms": await count_all(admin, "sms")}
    _, metrics = await admin.request("GET", "/__admin/metrics")
    admin.close()
    lag_lines = [
        line
        for line in metrics.decode(errors="replace").splitlines()
        if "lag" in line.lower() and not line.startswith("#")
    ]
    accounting = {}
    for kind in ("emails", "sms"):
        evicted = h1["evicted"][kind] - h0["evicted"][kind]
        accounting[kind] = {
            "held_before": h0["counts"][kind],
            "accepted": accepted[kind],
            "held_after": h1["counts"][kind],
            "read_back": held[kind],
            "evicted": evicted,
            "removed_by_resets": removed[kind],
            "lost": h0["counts"][kind]
            + accepted[kind]
            - h1["counts"][kind]
            - evicted
            - removed[kind],
        }
    five_xx = sum(
        n for c in [*statuses.values(), wait_statuses] for k, n in c.items() if k.startswith("5")
    )
    return {
        "duration": duration,
        "load_s": load_s,
        "rates": rates,
        "achieved": {w: ops[w] / duration for w in SOAK_WORKLOADS},
        "accepted": dict(accepted),
        "statuses": {w: dict(c) for w, c in statuses.items()},
        "latency": {w: summary_ms(v) for w, v in latencies.items()},
        "wait": {**summary_ms(waits), "statuses": dict(wait_statuses)},
        "resets": {"n": len(resets), **summary_ms(resets)},
        "evicted_during_reset": evicted_during_reset,
        "faults": {"added": fault_adds, "removed": fault_removes},
        "errors": dict(errors),
        "unexpected": unexpected,
        "crashed": crashed,
        "five_xx": five_xx,
        "accounting": accounting,
        "health_before": h0,
        "health_after": h1,
        "loop_lag_metrics": lag_lines,
    }


async def probe(http_port: int, duration: float, every: float) -> dict[str, Any]:
    """Time ``GET /__admin/health`` every ``every`` seconds on one connection: the server's
    event-loop lag as a client sees it (its p99 is the soak's figure)."""
    h = Http("127.0.0.1", http_port)
    t0 = time.perf_counter()
    lat: list[float] = []
    statuses = Counter[str]()
    errors = Counter[str]()
    for n in range(1, int(duration / every) + 1):
        await asyncio.sleep(max(0.0, t0 + n * every - time.perf_counter()))
        started = time.perf_counter()
        try:
            status, _ = await asyncio.wait_for(h.request("GET", "/__admin/health"), 30)
        except (OSError, EOFError, TimeoutError) as exc:
            errors[type(exc).__name__] += 1
            h.close()
            continue
        lat.append(time.perf_counter() - started)
        statuses[str(status)] += 1
    h.close()
    return {**summary_ms(lat), "statuses": dict(statuses), "errors": dict(errors)}


async def fill(port: int, scenario: str, total: int, conns: int, key: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    st = await http_send_n(port, Scenario(scenario, key), conns, total, 600)
    return {"statuses": {str(k): v for k, v in st.items()}, "elapsed": time.perf_counter() - t0}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["http", "smtp", "wait", "mixed", "fill", "soak", "probe"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--smtp-port", type=int, default=0)
    p.add_argument("--scenario", default="health")
    p.add_argument("--key", default=STRIPE_KEY)
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--max", type=int, default=1_000_000)
    p.add_argument("--size", type=int, default=10 * 1024)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--emails", type=int, default=20000)
    p.add_argument("--sms", type=int, default=20000)
    p.add_argument("--payments", type=int, default=5000)
    p.add_argument("--deadline", type=float, default=240)
    p.add_argument("--rates", default="{}", help="soak: JSON {workload: ops/s}")
    p.add_argument("--reset-every", type=float, default=30)
    p.add_argument("--fault-every", type=float, default=20)
    p.add_argument("--wait-every", type=float, default=1)
    p.add_argument("--probe-every", type=float, default=0.2)
    a = p.parse_args()
    if a.kind == "http":
        coro: Any = http_load(
            a.port, Scenario(a.scenario, a.key), a.conns, a.duration, a.max, a.warmup
        )
    elif a.kind == "smtp":
        coro = smtp_load(a.port, a.conns, a.size, a.duration, a.max, a.warmup)
    elif a.kind == "wait":
        coro = wait_latency(a.port, a.smtp_port, a.n, a.size)
    elif a.kind == "mixed":
        coro = mixed(a.port, a.smtp_port, a.emails, a.sms, a.payments, a.deadline)
    elif a.kind == "soak":
        coro = soak(
            a.port,
            a.smtp_port,
            a.duration,
            json.loads(a.rates),
            a.reset_every,
            a.fault_every,
            a.wait_every,
            a.conns,
        )
    elif a.kind == "probe":
        coro = probe(a.port, a.duration, a.probe_every)
    else:
        coro = fill(a.port, a.scenario, a.max, a.conns, a.key)
    result = asyncio.run(coro)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
