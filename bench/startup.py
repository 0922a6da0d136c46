"""Start-up of fakeservices against the bare Starlette app: wall time and the CPU time it took.

    python3 bench/startup.py              # 10 starts of each, interleaved
    python3 bench/startup.py --runs 20

Wall time (process start -> ``GET /__admin/health`` answers 200) is what bench/run.py's ``startup``
section reports, and on a shared two-core machine it moves with whatever else runs. The CPU time
the server process had spent when health first answered (``utime + stime`` from
``/proc/PID/stat``, read before it is stopped) moves far less: it is the figure to iterate on.
Both servers start from compiled bytecode, as in run.py. Runs inside bench/.venv (run.py creates
it).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: the venv and its paths

TICK = os.sysconf("SC_CLK_TCK")


def start_once(args: list[str], port: int, limit: float = 30) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the server process) from spawn to health answering."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [str(run.VPY), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=str(run.REPO),
    )
    try:
        url = f"http://127.0.0.1:{port}/__admin/health"
        while time.perf_counter() - t0 < limit:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        wall = time.perf_counter() - t0
                        with open(f"/proc/{p.pid}/stat") as f:
                            fields = f.read().rsplit(")", 1)[1].split()
                        return wall, (int(fields[11]) + int(fields[12])) / TICK
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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--reinstall", action="store_true")
    a = p.parse_args()
    if Path(sys.prefix).resolve() != run.VENV.resolve():
        if a.reinstall or not run.VPY.exists():
            run.create_venv()
        os.execv(str(run.VPY), [str(run.VPY), __file__, *sys.argv[1:]])
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(run.REPO / "fakeservices"), str(run.BENCH)],
        check=True,
    )
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(a.runs):
        port = run.free_port()
        fakes = ["bench/servers.py", "fakes", "--", "serve", "--http-port", str(port)]
        ours.append(start_once([*fakes, "--smtp-port", "0"], port))
        port = run.free_port()
        bare.append(start_once(["bench/servers.py", "starlette", "--port", str(port)], port))
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'':<12} {'wall s':>8} {'cpu s':>8}  runs (wall/cpu)")
    for name, runs in (("fakeservices", ours), ("starlette", bare)):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        detail = " ".join(f"{w:.3f}/{c:.2f}" for w, c in runs)
        print(f"{name:<12} {wall:>8.3f} {cpu:>8.2f}  {detail}")
    w_o, w_b = (statistics.median(w for w, _ in r) for r in (ours, bare))
    c_o, c_b = (statistics.median(c for _, c in r) for r in (ours, bare))
    print(f"{'difference':<12} {w_o - w_b:>8.3f} {c_o - c_b:>8.2f}")


if __name__ == "__main__":
    main()
