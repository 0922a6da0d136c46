"""core.allocator: a server process reads its sockets without mapping memory for each read.

Each case runs in a fresh interpreter: the thresholds are the process's, and whether glibc has
raised its own depends on what the process did before (which is why ``serve`` sets them).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="the thresholds are glibc's",
)

# Minor page faults of 1,000 reads of 600 bytes into asyncio's 256 KiB read buffer.
PROBE = """
import socket, sys
from fakeservices.core import allocator
tuned = allocator.tune() if sys.argv[1] == "tune" else None
def minflt():
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])
a, b = socket.socketpair()
for _ in range(100):
    a.send(b"x" * 600); b.recv(256 * 1024)
before = minflt()
for _ in range(1000):
    a.send(b"x" * 600); b.recv(256 * 1024)
print(tuned, minflt() - before)
"""


def probe(mode: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"},
    ).stdout.split()
    return out[0], int(out[1])


def test_tuned_reads_take_no_fresh_pages() -> None:
    plain_tuned, plain = probe("plain")
    if plain < 1000:
        pytest.skip(f"this libc already reuses the buffer untuned ({plain} faults per 1,000)")
    tuned, faults = probe("tune")
    assert tuned == "True"
    assert faults < 50, f"{faults} page faults per 1,000 reads (untuned: {plain})"
    assert plain_tuned == "None"
