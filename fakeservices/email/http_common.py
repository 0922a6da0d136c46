"""Helpers the HTTP send APIs share beyond the core's (credentials and bodies: ``core.http``)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from email.utils import getaddresses

from fakeservices.core.http import BadJson, loads

#: One bare ``local@domain`` of dot-separated atoms of letters, digits, ``_ + -``: what nearly
#: every send names, and what the stdlib's address-list parser returns unchanged.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\Z"
)

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


def address_pairs(values: list[str]) -> list[tuple[str, str]]:
    """:func:`email.utils.getaddresses` of ``values``: (display name, address) pairs.

    The stdlib's parser took a seventh of a Postmark or Mailgun send for one plain address;
    values that are each one plain address (no name, no comment, no list) are their own answer,
    ``("", value)``, and skip it. Anything else goes through the stdlib.
    """
    if all(_PLAIN_ADDRESS.match(v) for v in values):
        return [("", v) for v in values]
    return getaddresses(values)


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
