"""The SMTP DATA phase read in chunks: the message up to ``<CRLF>.<CRLF>``, size and line checks.

aiosmtpd reads DATA a line at a time on the event loop, one ``readuntil`` per line: a 10 MB
message of 76-byte lines costs 50-65 ms of the loop's CPU in one go (issue 14). This reader takes
whatever the connection has delivered (tens to hundreds of KiB at a time), finds the end with
``bytes.find`` and checks the lines' lengths with about one ``bytes.rfind`` per ``line_limit``
bytes, so the loop's work per wake-up is bounded by the chunk, not the message.

The result is what aiosmtpd's line reader yields, byte for byte (the tests compare both):

- the data ends at the first line that is a lone dot (``.<CRLF>``), the data's start counting as
  a line start; only CRLF ends a line (a bare CR or LF is data);
- more than ``size_limit`` bytes (counted before dot-unstuffing, CRLFs included, the final dot
  line not) is :attr:`DataState.TOO_MUCH` (552), a line longer than ``line_limit`` bytes with its
  CRLF is :attr:`DataState.TOO_LONG` (500), whichever comes first; the rest is still read (to the
  end of the data) and dropped, so the reply comes after it (RFC 5321 4.2.5);
- a leading dot is removed from every line (dot-unstuffing, RFC 5321 4.5.2), chunk by chunk.
"""

from __future__ import annotations

import enum

#: The end of the data: a line holding a lone dot. The data counts as starting after a CRLF.
TERMINATOR = b"\r\n.\r\n"
_START = b"\r\n"
#: Bytes kept back from each chunk: a terminator split across two chunks is found whole.
_KEEP = len(TERMINATOR) - 1


class DataState(enum.Enum):
    NOMINAL = "nominal"
    TOO_MUCH = "too_much"
    TOO_LONG = "too_long"


class DataReader:
    """Feed it the bytes received after the 354 reply; it says where the data ends.

    :meth:`feed` returns None while the end has not come, then the bytes received past the end
    (the client's next commands, if it pipelined them): those go back to the session's reader.
    """

    def __init__(self, size_limit: int | None, line_limit: int) -> None:
        self.size_limit = size_limit
        self.line_limit = line_limit
        self.state = DataState.NOMINAL
        #: Bytes of data so far (before unstuffing), including any dropped past a limit.
        self.size = 0
        self._parts: list[bytes] = []
        #: Not yet searched past: at most the last ``_KEEP`` bytes (at first, the line start).
        self._held = _START
        #: Bytes of the virtual line start not yet skipped (they are not data).
        self._skip = len(_START)
        #: The current line's bytes so far (at most ``line_limit``), for the line-length check.
        self._line = b""
        #: The last two bytes taken (at first, the line start): where a CRLF dot may begin.
        self._last = _START
        self.done = False

    def feed(self, chunk: bytes) -> bytes | None:
        """Take the next bytes; the bytes past the data's end once it is reached, else None."""
        window = self._held + chunk
        end = window.find(TERMINATOR)
        if end >= 0:
            self._take(window[: end + 2])
            self.done = True
            self._held = b""
            return window[end + len(TERMINATOR) :]
        cut = max(len(window) - _KEEP, 0)
        self._take(window[:cut])
        self._held = window[cut:]
        return None

    def _take(self, data: bytes) -> None:
        if self._skip:
            # The virtual line start is not data: it is there so that the terminator is found
            # at the very start (an empty message) like anywhere else.
            skipped = min(self._skip, len(data))
            data = data[skipped:]
            self._skip -= skipped
        if not data:
            return
        before = self.size
        self.size += len(data)
        if self.state is not DataState.NOMINAL:
            return
        if self.size_limit and self.size > self.size_limit:
            # The lines before the limit are read first: one too long among them is reported.
            room = self.size_limit - before
            self._drop(
                DataState.TOO_MUCH
                if self._open_line(data[:room]) is not None
                else DataState.TOO_LONG
            )
            return
        line = self._open_line(data)
        if line is None:
            self._drop(DataState.TOO_LONG)
            return
        self._line = line
        # Unstuffed chunk by chunk, so no step works on the whole message. Every match of a CRLF
        # dot ends in ``data`` (``_last`` is two bytes), and only its dot goes: the first two
        # bytes out are ``_last`` again. Most chunks have no line to unstuff: they are kept as
        # they came (the test is two searches, the replace a copy).
        edge = self._last + data[:2]
        if b"\r\n." in data or b"\r\n." in edge:
            joined = self._last + data
            self._parts.append(joined.replace(b"\r\n.", b"\r\n")[len(self._last) :])
        else:
            self._parts.append(data)
        self._last = data[-2:] if len(data) >= 2 else edge[-2:]

    def _open_line(self, data: bytes) -> bytes | None:
        """The line still open after ``data``; None if ``data`` makes a line too long.

        A complete line counts its CRLF; the open one may still get it. A line is short enough
        when a CRLF ends within ``line_limit`` bytes of its start, and the last CRLF in that
        window ends every line before it too: so each search checks about ``line_limit`` bytes
        of lines at once, instead of splitting the chunk into a ``bytes`` per line.
        """
        limit = self.line_limit
        joined = self._line + data
        found = joined.rfind(b"\r\n")
        complete = found + 2 if found >= 0 else 0  # where the open line starts
        if len(joined) - complete > limit:
            return None
        start = 0
        while start < complete:
            end = joined.rfind(b"\r\n", start, min(start + limit, complete))
            if end < 0:
                return None  # the line at ``start`` runs past the limit before its CRLF
            start = end + 2
        return joined[complete:]

    def _drop(self, state: DataState) -> None:
        self.state = state
        self._parts.clear()
        self._line = b""

    def content(self) -> bytes:
        """The message as the client meant it (dot-unstuffed); only once :attr:`done`."""
        assert self.done and self.state is DataState.NOMINAL
        data = b"".join(self._parts)
        self._parts.clear()
        return data
