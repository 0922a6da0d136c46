"""The address of a MAIL FROM or RCPT TO command, read without the stdlib header parser.

aiosmtpd's ``SMTP._getaddr`` reads ``<a@x.example>`` with ``email._header_value_parser``
(a token tree per address) and declares a ``typing.Protocol`` class on every call: together
about a fifth of the server's CPU time per 10 KB message (bench/NOTES.md, 2026-11-30).
:func:`plain_angle_addr` reads the common form (an ASCII dot-atom address in angle brackets) with
one regular expression and gives what ``_getaddr`` gives for it; anything else (the null sender
``<>``, quoted local parts, domain literals, source routes, comments, 8-bit addresses, no angle
brackets) returns None and aiosmtpd reads it (tests/test_smtp_address.py compares the two).
"""

from __future__ import annotations

import re

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_ANGLE_ADDR = re.compile(rf"<({_DOT_ATOM}@{_DOT_ATOM})>")


def plain_angle_addr(arg: str, local_part_limit: int) -> tuple[str, str] | None:
    """(address, the parameters after it) as aiosmtpd's ``_getaddr(arg)`` returns them, for an
    ``arg`` starting with a plain ``<local@domain>``; None for any other form."""
    m = _ANGLE_ADDR.match(arg)
    if m is None:
        return None
    rest = arg[m.end() :]
    # The stdlib's angle-addr takes the folding white space after ``>`` (``str.lstrip``) and
    # any comments; comments are left to it.
    if rest[:1] in (" ", "\t"):
        rest = rest.lstrip()
    if rest[:1] == "(":
        return None
    address = m.group(1)
    if local_part_limit and len(address.rpartition("@")[0]) > local_part_limit:
        return None  # aiosmtpd refuses it
    return address, rest
