"""Server CPU time per operation, fakeservices against its baseline: for work on a loaded machine.

    python3 bench/cpu.py http stripe-oneshot twilio   # HTTP scenarios (bench/load.py's names)
    python3 bench/cpu.py smtp                          # 10 KB SMTP messages
    python3 bench/cpu.py http health --runs 5 --duration 2 --conns 16 [--uvloop --httptools]

Throughput (bench/run.py) moves by 30-50% when other processes share the two cores; the CPU time
the server process itself spent per operation (``utime + stime`` from ``/proc/PID/stat``) moves far
less, and while the server is the bottleneck its ratio (baseline CPU / ours) is what the throughput
ratio converges to. This is a tool for iterating on a change; RESULTS.md's verdicts stay
throughput ratios from ``bench/run.py``. Runs inside bench/.venv (run.py creates it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: the venv, the processes and the load generator


def measure(kind: str, pid: int, port: int, scenario: str, a: argparse.Namespace) -> float:
    """CPU microseconds per completed operation for one run."""
    args = [kind, "--port", str(port), "--conns", str(a.conns), "--duration", str(a.duration)]
    if kind == "http":
        args += ["--scenario", scenario]
    else:
        args += ["--size", str(10 * 1024)]
    return float(run.load_cpu(pid, *args)["cpu_us_per_op"])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["http", "smtp"])
    p.add_argument("scenarios", nargs="*", default=[])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=float, default=2.0)
    p.add_argument("--conns", type=int, default=16)
    p.add_argument("--uvloop", action="store_true")
    p.add_argument("--httptools", action="store_true")
    p.add_argument("--reinstall", action="store_true")
    a = p.parse_args()
    run.reexec_in_venv(__file__, a.reinstall)
    flags = tuple(f for f, on in (("--uvloop", a.uvloop), ("--httptools", a.httptools)) if on)
    bport = run.free_port()
    if a.kind == "http":
        base = ["bench/servers.py", "starlette", "--port", str(bport), *flags]
        scenarios = a.scenarios or run.HTTP_SCENARIOS
    else:
        base = ["bench/servers.py", "smtp", "--port", str(bport), *flags[:1]]
        scenarios = ["smtp"]
    with run.running(run.fakes(flavour=flags)) as fk, run.running(base) as bare:
        port = fk.ports[0] if a.kind == "http" else fk.ports[1]
        print(f"{'scenario':<16} {'ours us/op':>11} {'bare us/op':>11} {'bare/ours':>10}  runs")
        for scen in scenarios:
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(a.runs):
                ours.append(measure(a.kind, fk.pid, port, scen, a))
                theirs.append(measure(a.kind, bare.pid, bport, scen, a))
            o, t = statistics.median(ours), statistics.median(theirs)
            print(
                f"{scen:<16} {o:>11.0f} {t:>11.0f} {t / o:>10.2f}  "
                f"{[round(x) for x in ours]} vs {[round(x) for x in theirs]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
