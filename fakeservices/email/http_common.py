"""Helpers the HTTP send APIs share beyond the core's (credentials and bodies: ``core.http``)."""

from __future__ import annotations

import base64
import binascii
import re

_B64 = re.compile(rb"^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$")


def strict_b64decode(value: str) -> bytes | None:
    """Decode standard base64 (line breaks allowed); None if it is not valid base64."""
    data = value.encode("ascii", "replace")
    if not _B64.match(data):
        return None
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
