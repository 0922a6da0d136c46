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
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: the venv and its paths


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--reinstall", action="store_true")
    a = p.parse_args()
    run.reexec_in_venv(__file__, a.reinstall)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(run.REPO / "fakeservices"), str(run.BENCH)],
        check=True,
    )
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for _ in range(a.runs):
        port = run.free_port()
        fakes = ["bench/servers.py", "fakes", "--", "serve", "--http-port", str(port)]
        ours.append(run.start_to_health([*fakes, "--smtp-port", "0"], port))
        port = run.free_port()
        bare.append(
            run.start_to_health(["bench/servers.py", "starlette", "--port", str(port)], port)
        )
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
