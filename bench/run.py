"""Run every benchmark and write bench/RESULTS.md. One command, any Python 3.11+:

    python3 bench/run.py            # everything, ~10-15 minutes on 2 cores
    python3 bench/run.py --quick    # shorter runs, for trying the harness out
    python3 bench/run.py --only http,smtp

The first run creates bench/.venv and installs this checkout (editable) plus what the benchmarks
need (localstripe, py-spy, uvloop, httptools, orjson) into it, then re-runs itself there. Servers
and load generators are separate processes on 127.0.0.1; every loop is bounded in count and time.
Raw numbers go to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV = BENCH / ".venv"
VPY = VENV / "bin" / "python"
RESULTS_DIR = BENCH / "results"
# stripe: bench/billing.py drives the test clock with the real SDK.
EXTRAS = ["localstripe", "py-spy", "pyinstrument", "uvloop", "httptools", "orjson", "stripe"]
SECTIONS = [
    "http",
    "localstripe",
    "smtp",
    "startup",
    "memory",
    "wait",
    "billing",
    "load",
    "soak",
    "profile",
]
NODE_DIR = BENCH / ".node"
MAILDEV = "maildev@3.0.0"
MAILDEV_JS = NODE_DIR / "node_modules" / "maildev" / "dist" / "bin" / "maildev.js"


# -- the bench venv -------------------------------------------------------------------------------
def ensure_venv(reinstall: bool) -> None:
    """Re-exec inside bench/.venv, creating and filling it first if needed."""
    reexec_in_venv(__file__, reinstall)


def reexec_in_venv(script: str, reinstall: bool = False) -> None:
    """Run ``script`` (with this process's arguments) inside bench/.venv, creating it first if
    needed; returns at once when already there."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if reinstall or not VPY.exists():
        create_venv()
    os.execv(str(VPY), [str(VPY), script, *sys.argv[1:]])


def create_venv() -> None:
    print(f"creating {VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(VPY), "-m", "pip", "install", "-q", "-e", str(REPO), *EXTRAS], check=True)


# -- processes ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Proc:
    """A server process started by us; waits for its first stdout line."""

    def __init__(self, args: list[str], ready_timeout: float = 120) -> None:
        self.p = subprocess.Popen(
            [str(VPY), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=str(REPO),
        )
        assert self.p.stdout is not None
        r, _, _ = select.select([self.p.stdout], [], [], ready_timeout)
        line = self.p.stdout.readline().strip() if r else ""
        if not line:
            self.stop()
            raise RuntimeError(f"{args} did not start")
        self.banner = line
        self.pid = self.p.pid

    @property
    def ports(self) -> list[int]:
        out = []
        for word in self.banner.split():
            tail = word.rsplit(":", 1)[-1]
            if tail.isdigit():
                out.append(int(tail))
        return out

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


@contextlib.contextmanager
def running(args: list[str]) -> Iterator[Proc]:
    proc = Proc(args)
    try:
        yield proc
    finally:
        proc.stop()


# -- MailDev (Node), a peer in the SMTP section ---------------------------------------------------
def ensure_maildev() -> str | None:
    """Install MailDev into bench/.node on first use; None (and why) when Node or npm is missing."""
    if MAILDEV_JS.exists():
        return None
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node/npm not found on PATH"
    log(f"installing {MAILDEV} into {NODE_DIR} ...")
    NODE_DIR.mkdir(exist_ok=True)
    out = subprocess.run(
        [npm, "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", MAILDEV],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0 or not MAILDEV_JS.exists():
        return f"npm install {MAILDEV} failed: {out.stderr[-500:]}"
    return None


class MailDev:
    """MailDev's SMTP server on a free port, in memory, web UI off, at most 10,000 emails kept
    (the fake's default --max-messages); ready once its port answers with a 220 greeting."""

    def __init__(self, port: int, ready_timeout: float = 30) -> None:
        node = shutil.which("node") or "node"
        self.port = port
        self.p = subprocess.Popen(
            [
                node,
                str(MAILDEV_JS),
                "--smtp",
                str(port),
                "--ip",
                "127.0.0.1",
                "--disable-web",
                "--max-emails",
                "10000",
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(NODE_DIR),
        )
        self.pid = self.p.pid
        deadline = time.perf_counter() + ready_timeout
        while time.perf_counter() < deadline and self.p.poll() is None:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 1) as c,
            ):
                c.settimeout(2)
                if c.recv(3) == b"220":
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("MailDev did not start")

    def version(self) -> str:
        pkg = MAILDEV_JS.parents[2] / "package.json"
        return str(json.loads(pkg.read_text()).get("version", "?"))

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def fakes(*serve_args: str, flavour: tuple[str, ...] = ()) -> list[str]:
    return [
        "bench/servers.py",
        "fakes",
        *flavour,
        "--",
        "serve",
        "--http-port",
        "0",
        "--smtp-port",
        "0",
        *serve_args,
    ]


def load(*args: str, timeout: float = 600) -> dict[str, Any]:
    out = subprocess.run(
        [str(VPY), "bench/load.py", *args],
        capture_output=True,
        text=True,
        cwd=str(REPO),
        timeout=timeout,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load {args} failed: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has spent so far (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def load_cpu(pid: int, *args: str) -> dict[str, Any]:
    """``load(*args)`` against the server ``pid``, adding the CPU time that server spent per
    operation (warm-up included on both sides of the division): on a shared machine it moves far
    less than throughput does."""
    before = cpu_seconds(pid)
    result = load(*args)
    spent = cpu_seconds(pid) - before
    ops = result.get("ops_all", result.get("msgs_all", 0))
    result["cpu_us_per_op"] = spent / ops * 1e6 if ops else float("nan")
    return result


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- sections -------------------------------------------------------------------------------------
FLAVOURS = {"default": (), "uvloop+httptools": ("--uvloop", "--httptools")}
HTTP_SCENARIOS = ["health", "stripe", "stripe-oneshot", "twilio", "sendgrid", "mailgun", "postmark"]


def http_runs(cfg: argparse.Namespace, flavour: str) -> int:
    """Runs per figure in the HTTP section: the default flavour carries issue 20's targets, whose
    margins (a tenth) are about the spread of three runs on a shared machine, so it takes more."""
    return int(cfg.http_runs) if flavour == "default" else int(cfg.runs)


def bench_http(cfg: argparse.Namespace) -> dict[str, Any]:
    """Each scenario against the fakes and a bare Starlette app, runs interleaved."""
    out: dict[str, Any] = {}
    for flavour, flags in FLAVOURS.items():
        sport = free_port()
        with (
            running(fakes(flavour=flags)) as fk,
            running(["bench/servers.py", "starlette", "--port", str(sport), *flags]) as bare,
        ):
            fport = fk.ports[0]
            for scen in HTTP_SCENARIOS:
                runs: dict[str, list[dict[str, Any]]] = {"fakes": [], "starlette": []}
                servers = (("fakes", fk.pid, fport), ("starlette", bare.pid, sport))
                for _ in range(http_runs(cfg, flavour)):
                    for name, pid, port in servers:
                        runs[name].append(
                            load_cpu(
                                pid,
                                "http",
                                "--port",
                                str(port),
                                "--scenario",
                                scen,
                                "--conns",
                                str(cfg.conns),
                                "--duration",
                                str(cfg.duration),
                            )
                        )
                row = {name: summarise_http(r) for name, r in runs.items()}
                row["ratio"] = row["fakes"]["ops_per_s"] / row["starlette"]["ops_per_s"]
                row["cpu_ratio"] = row["starlette"]["cpu_us"] / row["fakes"]["cpu_us"]
                out.setdefault(flavour, {})[scen] = row
                log(f"http {flavour} {scen}: ratio {row['ratio']:.2f} {row}")
    return out


def summarise_http(runs: list[dict[str, Any]]) -> dict[str, Any]:
    bad = sum(v for r in runs for k, v in r["statuses"].items() if not k.startswith("2"))
    return {
        "ops_per_s": med([r["ops_per_s"] for r in runs]),
        "req_per_s": med([r["req_per_s"] for r in runs]),
        "p50_ms": med([r["p50_ms"] for r in runs]),
        "p99_ms": med([r["p99_ms"] for r in runs]),
        "runs": [round(r["ops_per_s"], 1) for r in runs],
        "non_2xx": bad,
        "resp_bytes": med([r.get("resp_bytes_mean", 0.0) for r in runs]),
        # Only the sections that measure both servers' CPU (http) have it (localstripe: not).
        "cpu_us": med([r["cpu_us_per_op"] for r in runs if "cpu_us_per_op" in r]),
    }


def bench_localstripe(cfg: argparse.Namespace) -> dict[str, Any]:
    """PaymentIntent create+confirm with 1,000 and 50,000 PaymentIntents already stored."""
    sizes = [1000, cfg.big]
    out: dict[str, Any] = {"fakes": {}, "localstripe": {}}
    key = f"sk_test_bench{int(time.time())}"
    # Room for every object of the fill and of the measured runs (a PaymentIntent and a Charge per
    # create + confirm): at the default --max-stripe-objects (10,000) "50,000 stored" would be
    # 10,000 stored and an eviction per object created, another measurement.
    room = str(2 * cfg.big + 100_000)
    with running(fakes("--max-stripe-objects", room)) as fk:
        port = fk.ports[0]
        stored = 0
        for size in sizes:
            t0 = time.perf_counter()
            load(
                "fill",
                "--port",
                str(port),
                "--scenario",
                "stripe-create",
                "--key",
                key,
                "--max",
                str(size - stored),
                "--conns",
                "16",
                timeout=1200,
            )
            stored = size
            fill_s = time.perf_counter() - t0
            runs = []
            for _ in range(cfg.runs):
                r = load(
                    "http",
                    "--port",
                    str(port),
                    "--scenario",
                    "stripe",
                    "--key",
                    key,
                    "--conns",
                    "4",
                    "--duration",
                    str(cfg.duration),
                    "--max",
                    "500",
                )
                stored += r["ops"]
                runs.append(r)
            out["fakes"][size] = {**summarise_http(runs), "fill_s": fill_s}
            log(f"stripe fakes @{size}: {out['fakes'][size]}")
    for size in sizes:
        port = free_port()
        t0 = time.perf_counter()
        with running(
            ["bench/servers.py", "localstripe", "--port", str(port), "--preload", str(size)]
        ):
            load_s = time.perf_counter() - t0
            runs = [
                load(
                    "http",
                    "--port",
                    str(port),
                    "--scenario",
                    "stripe",
                    "--conns",
                    "4",
                    "--duration",
                    str(cfg.duration + 2),
                    "--warmup",
                    "0",
                    "--max",
                    "500",
                )
                for _ in range(cfg.runs)
            ]
        out["localstripe"][size] = {**summarise_http(runs), "preload_s": load_s}
        log(f"stripe localstripe @{size}: {out['localstripe'][size]}")
    for size in sizes:
        out.setdefault("ratio", {})[size] = (
            out["fakes"][size]["ops_per_s"] / out["localstripe"][size]["ops_per_s"]
        )
    out["fakes_big_over_small"] = (
        out["fakes"][sizes[1]]["ops_per_s"] / out["fakes"][1000]["ops_per_s"]
    )
    out["localstripe_big_over_small"] = (
        out["localstripe"][sizes[1]]["ops_per_s"] / out["localstripe"][1000]["ops_per_s"]
    )
    return out


def bench_smtp(cfg: argparse.Namespace) -> dict[str, Any]:
    """10 KB messages over 1, 8 and 32 connections: the fakes, bare aiosmtpd and (default flavour
    only: it is Node, our flavours do not apply) MailDev, runs interleaved."""
    out: dict[str, Any] = {}
    why_not = ensure_maildev()
    out["maildev"] = {"skipped": why_not} if why_not else {"version": "?"}
    for flavour, flags in FLAVOURS.items():
        conc = [1, 8, 32] if flavour == "default" else [8]
        bport = free_port()
        with contextlib.ExitStack() as stack:
            fk = stack.enter_context(running(fakes(flavour=flags)))
            bare = stack.enter_context(
                running(["bench/servers.py", "smtp", "--port", str(bport), *flags[:1]])
            )
            peers = [("fakes", fk.ports[1], fk.pid), ("aiosmtpd", bport, bare.pid)]
            if flavour == "default" and not why_not:
                md = MailDev(free_port())
                stack.callback(md.stop)
                out["maildev"]["version"] = md.version()
                peers.append(("maildev", md.port, md.pid))
            for conns in conc:
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in peers}
                for _ in range(cfg.runs):
                    for name, port, pid in peers:
                        runs[name].append(
                            load_cpu(
                                pid,
                                "smtp",
                                "--port",
                                str(port),
                                "--conns",
                                str(conns),
                                "--duration",
                                str(cfg.duration),
                                "--size",
                                str(10 * 1024),
                            )
                        )
                row: dict[str, Any] = {
                    name: {
                        "msgs_per_s": med([r["msgs_per_s"] for r in rs]),
                        "p50_ms": med([r["p50_ms"] for r in rs]),
                        "p99_ms": med([r["p99_ms"] for r in rs]),
                        "runs": [round(r["msgs_per_s"], 1) for r in rs],
                        "cpu_us": med([r["cpu_us_per_op"] for r in rs]),
                    }
                    for name, rs in runs.items()
                }
                row["ratio"] = row["fakes"]["msgs_per_s"] / row["aiosmtpd"]["msgs_per_s"]
                row["cpu_ratio"] = row["aiosmtpd"]["cpu_us"] / row["fakes"]["cpu_us"]
                if "maildev" in row:
                    row["ratio_maildev"] = row["fakes"]["msgs_per_s"] / row["maildev"]["msgs_per_s"]
                out.setdefault(flavour, {})[conns] = row
                log(f"smtp {flavour} x{conns}: {row}")
    return out


def start_to_health(args: list[str], port: int, limit: float = 30) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the server process) from spawn to ``/__admin/health``
    answering 200; the process is stopped after."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [str(VPY), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=str(REPO),
    )
    try:
        url = f"http://127.0.0.1:{port}/__admin/health"
        while time.perf_counter() - t0 < limit:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0, cpu_seconds(p.pid)
            except OSError:
                time.sleep(0.005)
        raise RuntimeError(f"{args} never answered health")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def time_to_health(args: list[str], port: int, limit: float = 30) -> float:
    return start_to_health(args, port, limit)[0]


def bench_startup(cfg: argparse.Namespace) -> dict[str, Any]:
    """Process start -> GET /__admin/health answers 200; fresh process each time.

    Both start from compiled bytecode, as a `pip install` leaves them: the bench venv holds this
    checkout as an editable install, and where PYTHONDONTWRITEBYTECODE is set every start would
    otherwise compile all of fakeservices from source (0.15 s here) while the baseline's
    dependencies are compiled at install."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "fakeservices"), str(BENCH)],
        check=True,
    )
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(cfg.startups):
        port = free_port()
        ours.append(
            time_to_health(
                [
                    "bench/servers.py",
                    "fakes",
                    "--",
                    "serve",
                    "--http-port",
                    str(port),
                    "--smtp-port",
                    "0",
                ],
                port,
            )
        )
        port = free_port()
        bare.append(time_to_health(["bench/servers.py", "starlette", "--port", str(port)], port))
    out: dict[str, Any] = {
        "fakes_s": med(ours),
        "starlette_s": med(bare),
        "fakes_runs": [round(x, 3) for x in ours],
        "starlette_runs": [round(x, 3) for x in bare],
    }
    out["ratio"] = out["fakes_s"] / out["starlette_s"]
    log(f"startup: {out}")
    return out


def bench_memory(cfg: argparse.Namespace) -> dict[str, Any]:
    """RSS growth per stored 10 KB email and per SMS after 10,000 of each (nothing evicted)."""
    n = cfg.memory_n
    cap = str(2 * n + 1000)
    out: dict[str, Any] = {}
    with running(fakes("--max-messages", cap, "--journal-size", cap)) as fk:
        hport, sport = fk.ports
        # warm up (imports, caches, first allocations), then measure
        load("fill", "--port", str(hport), "--scenario", "twilio", "--max", "100", "--conns", "4")
        load("smtp", "--port", str(sport), "--conns", "4", "--duration", "0.5", "--max", "100")
        time.sleep(1)
        rss0 = fk.rss_kib()
        sent = load_smtp_n(sport, n)
        time.sleep(1)
        rss1 = fk.rss_kib()
        load("fill", "--port", str(hport), "--scenario", "twilio", "--max", str(n), "--conns", "8")
        time.sleep(2)  # let the queued -> sent -> delivered steps finish
        rss2 = fk.rss_kib()
        out["fakes"] = {
            "emails": sent,
            "rss_before_kib": rss0,
            "rss_after_emails_kib": rss1,
            "rss_after_sms_kib": rss2,
            "bytes_per_email": (rss1 - rss0) * 1024 / sent,
            "bytes_per_sms": (rss2 - rss1) * 1024 / n,
        }
    # The same again with a tiny request journal: how much of the above is the journal's copy of
    # each message (the first 8 KiB of its body).
    with running(fakes("--max-messages", cap, "--journal-size", "100")) as fk:
        sport = fk.ports[1]
        load("smtp", "--port", str(sport), "--conns", "4", "--duration", "0.5", "--max", "100")
        time.sleep(1)
        rss0 = fk.rss_kib()
        sent = load_smtp_n(sport, n)
        time.sleep(1)
        out["fakes_small_journal"] = {"bytes_per_email": (fk.rss_kib() - rss0) * 1024 / sent}
    bport = free_port()
    with running(["bench/servers.py", "smtp", "--port", str(bport)]) as bare:
        load("smtp", "--port", str(bport), "--conns", "4", "--duration", "0.5", "--max", "100")
        time.sleep(0.5)
        rss0 = bare.rss_kib()
        sent = load_smtp_n(bport, min(n, 9000))  # the bare handler trims its list past 10,000
        time.sleep(0.5)
        out["aiosmtpd"] = {"bytes_per_email": (bare.rss_kib() - rss0) * 1024 / sent}
    out["message_bytes"] = 10 * 1024
    out["email_over_raw"] = out["fakes"]["bytes_per_email"] / out["message_bytes"]
    out["email_over_bare"] = out["fakes"]["bytes_per_email"] / out["aiosmtpd"]["bytes_per_email"]
    log(f"memory: {out}")
    return out


def load_smtp_n(port: int, n: int) -> int:
    r = load(
        "smtp",
        "--port",
        str(port),
        "--conns",
        "8",
        "--duration",
        "120",
        "--warmup",
        "0",
        "--max",
        str(n),
    )
    return int(r["msgs"])


def bench_wait(cfg: argparse.Namespace) -> dict[str, Any]:
    with running(fakes()) as fk:
        hport, sport = fk.ports
        out = load("wait", "--port", str(hport), "--smtp-port", str(sport), "--n", str(cfg.waits))
    log(f"wait: {out}")
    return out


def bench_billing(cfg: argparse.Namespace) -> dict[str, Any]:
    """A test clock advanced 12 monthly periods of one subscription (bench/billing.py)."""
    runs = 10 if cfg.quick else 30
    out = subprocess.run(
        [sys.executable, str(BENCH / "billing.py"), "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    log(f"billing: {result}")
    return result


def bench_load(cfg: argparse.Namespace) -> dict[str, Any]:
    """20k emails over 32 SMTP connections + 20k SMS + 5k payments at once, --max-messages 5000.

    The payments all go to one Stripe key, and each makes about four objects (PaymentIntent,
    PaymentMethod, Charge, balance transaction): the per-account cap (--max-stripe-objects,
    10,000 by default) would evict the oldest, so it is raised here, where every payment is read
    back; the cap's own eviction is tested in tests/stripe/test_account_limit.py."""
    samples: list[tuple[float, int]] = []
    with running(fakes("--max-messages", "5000", "--max-stripe-objects", "100000")) as fk:
        hport, sport = fk.ports
        stop = threading.Event()
        t0 = time.perf_counter()

        def sample() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    samples.append((time.perf_counter() - t0, fk.rss_kib()))
                stop.wait(0.25)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        try:
            r = load(
                "mixed",
                "--port",
                str(hport),
                "--smtp-port",
                str(sport),
                "--emails",
                str(cfg.load_emails),
                "--sms",
                str(cfg.load_sms),
                "--payments",
                str(cfg.load_payments),
                "--deadline",
                "300",
            )
        finally:
            stop.set()
            th.join()
    h = r["health"]
    sent = r["sent"]
    checks = {
        "emails_sent": sent["emails"] == cfg.load_emails,
        "emails_accounted": h["counts"]["emails"] + h["evicted"]["emails"] == cfg.load_emails,
        "emails_read_back": r["read_back"]["emails_held"] == h["counts"]["emails"],
        "sms_sent": sent["sms"] == cfg.load_sms,
        "sms_accounted": h["counts"]["sms"] + h["evicted"]["sms"] == cfg.load_sms,
        "sms_read_back": r["read_back"]["sms_held"] == h["counts"]["sms"],
        "payments_sent": sent["payments"] == cfg.load_payments,
        "payments_read_back": r["read_back"]["payment_intents"] == cfg.load_payments,
        "payments_succeeded": r["read_back"]["succeeded"] == cfg.load_payments,
        "no_5xx": not any(
            k.startswith("5") for k in {**r["sms_statuses"], **r["payment_statuses"]}
        ),
        "no_non_2xx": all(
            k.startswith("2") for k in {**r["sms_statuses"], **r["payment_statuses"]}
        ),
    }
    rss = [kib for _, kib in samples]
    third = max(1, len(rss) // 3)
    out = {
        **r,
        "checks": checks,
        "all_ok": all(checks.values()),
        "rss_peak_kib": max(rss) if rss else 0,
        "rss_end_kib": rss[-1] if rss else 0,
        "rss_start_kib": rss[0] if rss else 0,
        "rss_at_one_third_kib": rss[third] if rss else 0,
        "rss_samples": samples[:: max(1, len(samples) // 40)],
    }
    log(f"load: checks {checks} elapsed {r['elapsed']:.1f}s peak {out['rss_peak_kib']} KiB")
    return out


SOAK_SHARE = 0.5  # the soak's load: this share of the server, split evenly over the workloads


def flat(values: list[float], rel: float = 0.10, slack: float = 0.0) -> dict[str, Any]:
    """Warm-up is the first third of the samples; flat when the last third's median is within
    ``rel`` (plus ``slack``) above the middle third's."""
    third = len(values) // 3
    if third < 1:
        return {"ok": False, "why": f"only {len(values)} samples"}
    middle, last = values[third : 2 * third], values[2 * third :]
    m, e = statistics.median(middle), statistics.median(last)
    return {
        "ok": e <= m * (1 + rel) + slack,
        "first": statistics.median(values[:third]),
        "middle": m,
        "last": e,
        "max": max(values),
    }


def bench_soak(cfg: argparse.Namespace) -> dict[str, Any]:
    """Mixed load at about half of measured capacity for --soak-minutes, with resets, faults and
    waits; RSS and open fds sampled from /proc; every message accounted for; no 5xx."""
    minutes = cfg.soak_minutes if cfg.soak_minutes is not None else (0.5 if cfg.quick else 10.0)
    seconds = minutes * 60
    calib_s = 1.0 if cfg.quick else 3.0
    intervals = (
        {"reset": 5.0, "fault": 4.0, "wait": 0.5, "probe": 0.2, "sample": 1.0}
        if minutes < 2
        else {"reset": 30.0, "fault": 20.0, "wait": 1.0, "probe": 0.2, "sample": 5.0}
    )
    # The stores' cap: the default (10,000) in a full soak; 1,000 in a quick one, so that the
    # stores are full (evicting) before its warm-up third is over, as in a full one.
    cap = "1000" if minutes < 2 else "10000"
    with running(fakes("--max-messages", cap)) as fk:
        hport, sport = fk.ports
        # Capacity: each workload alone, 8 connections (this also warms the server up).
        capacity: dict[str, float] = {}
        for work in ("smtp", "sendgrid", "twilio", "stripe"):
            if work == "smtp":
                r = load("smtp", "--port", str(sport), "--conns", "8", "--duration", str(calib_s))
                capacity[work] = r["msgs_per_s"]
            else:
                r = load(
                    "http",
                    "--port",
                    str(hport),
                    "--scenario",
                    work,
                    "--conns",
                    "8",
                    "--duration",
                    str(calib_s),
                )
                capacity[work] = r["ops_per_s"]
        rates = {w: c * SOAK_SHARE / len(capacity) for w, c in capacity.items()}
        log(f"soak: capacity alone {capacity}; soak rates {rates} for {seconds:.0f} s")
        samples: list[tuple[float, int, int]] = []
        stop = threading.Event()
        t0 = time.perf_counter()

        def sample() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    samples.append((time.perf_counter() - t0, fk.rss_kib(), fk.fds()))
                stop.wait(intervals["sample"])

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        # The health probe is its own process: the load generator's loop is busy, and its lag
        # must not be counted as the server's.
        prober = subprocess.Popen(
            [
                str(VPY),
                "bench/load.py",
                "probe",
                "--port",
                str(hport),
                "--duration",
                str(seconds),
                "--probe-every",
                str(intervals["probe"]),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=str(REPO),
        )
        try:
            r = load(
                "soak",
                "--port",
                str(hport),
                "--smtp-port",
                str(sport),
                "--duration",
                str(seconds),
                "--rates",
                json.dumps(rates),
                "--reset-every",
                str(intervals["reset"]),
                "--fault-every",
                str(intervals["fault"]),
                "--wait-every",
                str(intervals["wait"]),
                timeout=seconds + 900,
            )
        finally:
            stop.set()
            th.join()
            try:
                pout, _ = prober.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                prober.kill()
                pout, _ = prober.communicate()
        lines = pout.strip().splitlines()
        probe = json.loads(lines[-1]) if lines else {"error": "the probe printed nothing"}
    # Only the samples taken while the load ran (not the read-back at the end).
    during = [s for s in samples if s[0] <= r["load_s"] + 1.0]
    rss = flat([float(kib) for _, kib, _ in during], rel=0.10)
    fds = flat([float(n) for _, _, n in during], rel=0.0, slack=8)
    acc = r["accounting"]
    checks = {
        "rss_flat": rss["ok"],
        "fds_flat": fds["ok"],
        "no_lost_emails": acc["emails"]["lost"] == 0,
        "no_lost_sms": acc["sms"]["lost"] == 0,
        "read_back_matches_health": all(a["read_back"] == a["held_after"] for a in acc.values()),
        "no_5xx": r["five_xx"] == 0
        and not any(k.startswith("5") for k in probe.get("statuses", {})),
        "no_unexpected_status": not r["unexpected"],
        "no_client_errors": not r["errors"] and not r["crashed"] and not probe.get("errors"),
        "waits_answered": set(r["wait"]["statuses"]) <= {"200"},
        "no_eviction_during_reset": r["evicted_during_reset"] == 0,
    }
    out = {
        **r,
        "max_messages": int(cap),
        "probe": probe,
        "minutes": minutes,
        "intervals": intervals,
        "capacity": capacity,
        "share": SOAK_SHARE,
        "rss": rss,
        "fds": fds,
        "checks": checks,
        "all_ok": all(checks.values()),
        "samples": [list(s) for s in samples[:: max(1, len(samples) // 60)]],
    }
    log(f"soak: checks {checks}; rss {rss}; fds {fds}; probe {probe}")
    return out


def bench_profile(cfg: argparse.Namespace) -> dict[str, Any]:
    """py-spy on the server while each workload runs alone."""
    sys.path.insert(0, str(BENCH))
    from profsum import summarise

    out: dict[str, Any] = {}
    RESULTS_DIR.mkdir(exist_ok=True)
    with running(fakes()) as fk:
        hport, sport = fk.ports
        for scen in ["stripe", "twilio", "sendgrid", "mailgun", "postmark", "smtp", "health"]:
            path = RESULTS_DIR / f"profile-{scen}.txt"
            spy = subprocess.Popen(
                [
                    str(VENV / "bin" / "py-spy"),
                    "record",
                    "-p",
                    str(fk.pid),
                    "-d",
                    str(int(cfg.duration) + 2),
                    "-r",
                    "250",
                    "-f",
                    "raw",
                    "-o",
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)
            if scen == "smtp":
                load("smtp", "--port", str(sport), "--conns", "8", "--duration", str(cfg.duration))
            else:
                load(
                    "http",
                    "--port",
                    str(hport),
                    "--scenario",
                    scen,
                    "--duration",
                    str(cfg.duration),
                )
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
            if path.exists():
                out[scen] = summarise(path.read_text(), 15)
            else:
                out[scen] = {"error": "py-spy wrote nothing (ptrace not permitted?)"}
            log(f"profile {scen}: {out[scen].get('self', out[scen])[:5]}")
    return out


# -- report ---------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    import importlib.metadata as md

    def ver(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "-"

    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=str(REPO)
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "fakeservices"],
        capture_output=True,
        text=True,
        cwd=str(REPO),
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_before": os.getloadavg(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit + (" (fakeservices/ has uncommitted edits)" if dirty else ""),
        "versions": {
            n: ver(n)
            for n in [
                "fakeservices",
                "starlette",
                "uvicorn",
                "h11",
                "aiosmtpd",
                "uvloop",
                "httptools",
                "localstripe",
                "aiohttp",
                "py-spy",
            ]
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short runs (not for RESULTS.md)")
    p.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (median taken)")
    p.add_argument(
        "--http-runs",
        type=int,
        default=5,
        help="runs per figure of the HTTP section's default flavour (thin target margins)",
    )
    p.add_argument("--reinstall", action="store_true", help="recreate bench/.venv")
    p.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    p.add_argument("--big", type=int, default=0, help="the larger Stripe store (50000)")
    p.add_argument(
        "--soak-minutes",
        type=float,
        default=None,
        help="length of the soak section (default 10; 0.5 with --quick)",
    )
    p.add_argument("--render", metavar="JSON", help="only re-render RESULTS.md from a results file")
    cfg = p.parse_args()
    if cfg.render:
        sys.path.insert(0, str(BENCH))
        from report import render

        Path(cfg.output).write_text(render(json.loads(Path(cfg.render).read_text())))
        return
    ensure_venv(cfg.reinstall)
    cfg.duration = 1.5 if cfg.quick else 3.0
    cfg.conns = 16
    cfg.big = cfg.big or (5000 if cfg.quick else 50000)
    cfg.startups = 3 if cfg.quick else 10
    cfg.memory_n = 2000 if cfg.quick else 10000
    cfg.waits = 100 if cfg.quick else 400
    cfg.load_emails, cfg.load_sms, cfg.load_payments = (
        (2000, 2000, 500) if cfg.quick else (20000, 20000, 5000)
    )
    if cfg.quick:
        cfg.runs = min(cfg.runs, 2)
        cfg.http_runs = min(cfg.http_runs, 2)
    only = [s for s in cfg.only.split(",") if s]
    results: dict[str, Any] = {
        "machine": machine(),
        "config": {k: v for k, v in vars(cfg).items() if k not in ("output",)},
    }
    t0 = time.perf_counter()
    for name in only:
        log(f"== {name}")
        try:
            results[name] = globals()[f"bench_{name}"](cfg)
        except Exception as exc:  # one failing section must not lose the others
            results[name] = {"error": repr(exc)}
            log(f"{name} failed: {exc!r}")
    results["machine"]["load_after"] = os.getloadavg()
    results["machine"]["wall_s"] = time.perf_counter() - t0
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw = RESULTS_DIR / f"results-{stamp}.json"
    raw.write_text(json.dumps(results, indent=2, default=str))
    sys.path.insert(0, str(BENCH))
    from report import render

    Path(cfg.output).write_text(render(results))
    log(f"wrote {cfg.output} and {raw} in {results['machine']['wall_s']:.0f}s")


if __name__ == "__main__":
    main()
