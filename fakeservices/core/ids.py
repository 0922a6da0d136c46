"""Random identifiers in the formats the real services use."""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def alnum(n: int) -> str:
    """``n`` random characters of ``[A-Za-z0-9]`` (Stripe's id alphabet)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def hex32() -> str:
    """32 lowercase hex characters (Twilio's SID body)."""
    return secrets.token_hex(16)


def token(n: int = 16) -> str:
    return secrets.token_urlsafe(n)
