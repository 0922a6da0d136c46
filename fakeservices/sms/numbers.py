"""Phone number rules and the magic numbers, as data.

Two tables:

* :data:`MAGIC_FROM` / :data:`MAGIC_TO` are Twilio's documented test numbers: creating a message
  with one of them fails at once with Twilio's 400 error (code from the table).
* :data:`OUTCOMES` are fakeservices' own numbers (Twilio has none for this): the message is
  accepted (201) and then ends ``undelivered`` or ``failed`` with the given error code, so an app's
  status-callback handling can be tested. Their line numbers spell the error code: ``+1555555 3003``
  ends with error 30003.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class MagicNumber:
    number: str
    #: Twilio error code given at create time (HTTP 400).
    code: int
    description: str


MAGIC_FROM: dict[str, MagicNumber] = {
    m.number: m
    for m in (
        MagicNumber("+15005550001", 21212, "invalid 'From' number"),
        MagicNumber("+15005550007", 21606, "'From' number not owned / not SMS-capable"),
        MagicNumber("+15005550008", 21611, "'From' number's SMS queue is full"),
    )
}

MAGIC_TO: dict[str, MagicNumber] = {
    m.number: m
    for m in (
        MagicNumber("+15005550001", 21211, "invalid 'To' number"),
        MagicNumber("+15005550002", 21612, "cannot route to this number"),
        MagicNumber("+15005550003", 21408, "no international permission for this region"),
        MagicNumber("+15005550004", 21610, "recipient is blocked (unsubscribed)"),
        MagicNumber("+15005550009", 21614, "'To' number cannot receive SMS"),
    )
}

#: Twilio's "passes all validation" test From number.
VALID_TEST_FROM = "+15005550006"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a message accepted for a given ``To`` ends."""

    number: str
    final_status: str  # "undelivered" or "failed"
    error_code: int
    error_message: str


OUTCOMES: dict[str, Outcome] = {
    o.number: o
    for o in (
        Outcome("+15555553003", "undelivered", 30003, "Unreachable destination handset"),
        Outcome("+15555553005", "undelivered", 30005, "Unknown destination handset"),
        Outcome("+15555553006", "undelivered", 30006, "Landline or unreachable carrier"),
        Outcome("+15555553007", "undelivered", 30007, "Message filtered"),
        Outcome("+15555553008", "failed", 30008, "Unknown error"),
    )
}

# E.164: "+", country code not starting with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9]\d{1,14}")
_SHORT_CODE = re.compile(r"\d{3,8}")
# Alphanumeric sender ID: 1-11 of letters, digits, spaces, + - _ & ., with at least one letter.
_ALPHA_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 +\-_&.]{1,11}")
# Channel addresses the Messages API takes besides plain SMS numbers.
_CHANNELS = ("whatsapp:", "messenger:", "rcs:")


def _strip_channel(address: str) -> str:
    for prefix in _CHANNELS:
        if address.lower().startswith(prefix):
            return address[len(prefix) :]
    return address


def valid_to(address: str) -> bool:
    """An E.164 number, optionally behind a channel prefix (``whatsapp:+1...``)."""
    return _E164.fullmatch(_strip_channel(address)) is not None


def valid_from(address: str) -> bool:
    """An E.164 number, a short code or an alphanumeric sender ID (or a channel address)."""
    bare = _strip_channel(address)
    return (
        _E164.fullmatch(bare) is not None
        or _SHORT_CODE.fullmatch(bare) is not None
        or _ALPHA_SENDER.fullmatch(bare) is not None
    )


MAX_CALLBACK_URL = 4000


def valid_callback_url(url: str) -> bool:
    """A fully qualified http(s) URL with a hostname (no underscores), at most 4000 chars."""
    if len(url) > MAX_CALLBACK_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and "_" not in host and port_ok
