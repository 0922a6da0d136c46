"""Splitting a long address header at its top-level commas, without parsing it.

The stdlib's header parser (``email.headerregistry``) turns an address list into a tree of token
objects, several per character class of every address: a ``To:`` header of 10,000 addresses
(250 KB) is a few hundred thousand objects alive at once. The cyclic garbage collector's full
passes over them, and freeing them when the parse ends, hold the GIL for 50-100 ms at a time
whichever thread parses, so the event loop stalls even though the parse runs in a worker thread.

:func:`split_entries` finds where one entry of an RFC 5322 address list ends (a mailbox, or a
group ``name: a@x, b@y;``) by scanning only the characters that matter (quotes, comments, angle
brackets, group delimiters, commas), so each entry can be parsed alone, a few at a time, and the
scan can stop after the first ``limit`` entries.
"""

from __future__ import annotations

import re

_SPECIALS = re.compile(r'[,"()<>\\:;]')


def split_entries(value: str, limit: int) -> tuple[list[str], str]:
    """The first ``limit`` top-level entries of the address list ``value`` and the rest, unread.

    Commas inside quoted strings, comments, angle brackets and groups do not split. Joined with
    ``","`` (and ``","`` plus the rest, when there is one) the entries are ``value`` again, so a
    well-formed list parses to the same addresses whole or entry by entry.
    """
    entries: list[str] = []
    start = 0
    quoted = angle = group = False
    comment = 0
    skip_to = -1  # the character after a backslash is literal
    for m in _SPECIALS.finditer(value):
        at = m.start()
        if at < skip_to:
            continue
        char = m.group()
        if quoted:
            if char == "\\":
                skip_to = at + 2
            elif char == '"':
                quoted = False
        elif comment:
            if char == "\\":
                skip_to = at + 2
            elif char == "(":
                comment += 1
            elif char == ")":
                comment -= 1
        elif char == '"':
            quoted = True
        elif char == "(":
            comment = 1
        elif char == "<":
            angle = True
        elif char == ">":
            angle = False
        elif angle:
            continue
        elif char == ":":
            group = True
        elif char == ";":
            group = False
        elif char == "," and not group:
            entries.append(value[start:at])
            start = at + 1
            if len(entries) == limit:
                return entries, value[start:]
    entries.append(value[start:])
    return entries, ""
