"""Helpers the HTTP send APIs share beyond the core's (credentials and bodies: ``core.http``)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from fakeservices.core.http import BadJson, loads

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


def json_send_addresses(
    body: bytes, sender: str, recipients: tuple[str, ...], addresses: Callable[[str], list[str]]
) -> tuple[str | None, list[str]]:
    """The sender and recipients of a JSON send (or batch: a list of sends), for fault rules
    that match ``from``/``to``. ``sender`` and ``recipients`` are the provider's field names;
    a recipient field may hold a string or a list of strings, each read by ``addresses``. A body
    that is not JSON names nobody (the provider answers it with its own 400)."""
    try:
        data = loads(body)
    except BadJson:
        return None, []
    found_sender: str | None = None
    found: list[str] = []
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        value = item.get(sender)
        if found_sender is None and isinstance(value, str):
            first = addresses(value)
            found_sender = first[0] if first else None
        for field in recipients:
            value = item.get(field)
            values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for v in values:
                if isinstance(v, str):
                    found += addresses(v)
    return found_sender, found
