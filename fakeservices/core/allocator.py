"""The C allocator of the server's own process: socket reads without an ``mmap`` each.

asyncio reads a socket into a fresh 256 KiB buffer (``max_size``) and shrinks it to what arrived.
glibc serves a request that size with ``mmap`` until its dynamic threshold has been raised, which
happens only when a chunk that large is freed whole; until then every read is an ``mmap``, an
``mremap`` and an ``munmap``, or a heap grown and trimmed again, with a page fault either way.
Whether a server process got there was luck: one that had answered a health check had, one that
had only taken SendGrid sends had not (strace: 934 ``mremap`` calls, each with an ``mmap`` and an
``munmap``, per 2,000 sends). Sending and reading 600 bytes over a socket pair cost 18.5 us that
way and 3.6 us with the thresholds set (min of 5 x 50,000; bench/NOTES.md).

:func:`tune` sets both thresholds at start-up, to what glibc's own adjustment would pick after
freeing a 1 MiB chunk. It is for ``serve``'s process only, never for an application that embeds
the server, whose allocator is its own.
"""

from __future__ import annotations

import sys

#: ``mallopt`` parameters (glibc's ``malloc.h``).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Chunks below this come from the heap: a read buffer (256 KiB) and anything up to 1 MiB.
MMAP_THRESHOLD = 1024 * 1024
#: Free memory at the heap's top kept for reuse before it is given back (glibc's adjustment
#: keeps twice the mmap threshold).
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


def tune() -> bool:
    """Set glibc's mmap and trim thresholds; whether it was done (False off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):  # no ctypes, no libc, a libc without it
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt answers 1 when it took the value; musl's stub answers 0.
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
