"""Random identifiers in the formats the real services use.

Ids need to be unique and look right, not to be secret: they come from one non-cryptographic
generator seeded from the OS (``secrets.choice`` per character was a fifth of a Stripe request's
CPU time; ``random.choices`` then was still a tenth, 3.6 us per id against 0.7 us for base64 of
random bytes with ``+`` and ``/`` dropped; slicing a pool of them drawn 6 KB at a time, about
half that again).
"""

from __future__ import annotations

import base64
import os
import random
import string
import threading
from typing import Any

_ALNUM = string.ascii_letters + string.digits
_rng = random.Random(os.urandom(16))


#: Random bytes per refill of the alphanumeric pool: a multiple of 3, so base64 adds no padding
#: and every character is a uniform draw from 64 (62 once ``+`` and ``/`` are dropped).
POOL_BYTES = 6144
_pool_lock = threading.Lock()
#: ``[characters, position of the next unused one]``
_pool: list[Any] = ["", 0]


def _refill() -> str:
    return base64.b64encode(_rng.randbytes(POOL_BYTES)).translate(None, b"+/=").decode("ascii")


def alnum(n: int) -> str:
    """``n`` random characters of ``[A-Za-z0-9]`` (Stripe's id alphabet), uniformly drawn.

    Sliced from a pool of about 8,000 drawn at once: a confirm takes ten ids and secrets, and
    one ``randbytes`` + ``b64encode`` per id cost about twice a slice. The lock keeps two
    servers' threads in one process (tests run several) from taking the same slice.
    """
    with _pool_lock:
        chars, pos = _pool
        end = pos + n
        if end > len(chars):
            chars = _pool[0] = _refill()
            while len(chars) < n:  # only for n beyond a pool's worth
                chars = _pool[0] = chars + _refill()
            pos, end = 0, n
        _pool[1] = end
        out: str = chars[pos:end]
        return out


def digits(n: int) -> str:
    """``n`` random decimal digits (authorization codes, network transaction ids)."""
    return str(_rng.randrange(10**n)).zfill(n)


def hex16() -> str:
    """16 lowercase hex characters (Mailgun's message-id part)."""
    return f"{_rng.getrandbits(64):016x}"


def hex32() -> str:
    """32 lowercase hex characters (Twilio's SID body)."""
    return f"{_rng.getrandbits(128):032x}"


#: The version (4) and variant (RFC 4122) bits of a random UUID, as ``uuid.UUID(version=4)`` sets
#: them: the top nibble of the 7th byte, the top two bits of the 9th.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4() -> str:
    """A random version-4 UUID as text (``str(uuid.uuid4())``'s form): Postmark's, Resend's and
    SES's message ids, a Stripe charge's 3D Secure transaction id. A third of ``uuid.uuid4()``'s
    time, which reads the OS's random source and builds a ``UUID`` object for every id."""
    h = f"{(_rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def token(n: int = 16) -> str:
    """``n`` random bytes, URL-safe base64 without padding (like ``secrets.token_urlsafe``)."""
    return base64.urlsafe_b64encode(_rng.randbytes(n)).rstrip(b"=").decode("ascii")
