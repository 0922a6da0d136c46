"""Summarise py-spy's raw (collapsed-stack) output: where the samples are, self and inclusive.

python bench/profsum.py PROFILE.txt [--top N]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:12)`` -> ``pkg/mod.py:func``."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{m.group('func')}"


def summarise(text: str, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    self_c: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        n = int(count_s)
        frames = [short(f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        total += n
        self_c[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
        # the innermost frame of our own code: what part of fakeservices the time is spent under
        own = [f for f in frames if f.startswith("fakeservices/")]
        if own:
            ours[own[-1]] += n
    if total == 0:
        return {"self": [], "inclusive": [], "fakeservices": []}

    def pct(c: Counter[str]) -> list[tuple[str, float]]:
        return [(k, 100.0 * v / total) for k, v in c.most_common(top)]

    return {"self": pct(self_c), "inclusive": pct(incl), "fakeservices": pct(ours)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    with open(a.profile) as f:
        result = summarise(f.read(), a.top)
    for kind, rows in result.items():
        print(f"== {kind}")
        for name, share in rows:
            print(f"{share:6.1f}%  {name}")


if __name__ == "__main__":
    main()
