"""The ``email`` policies the inbox parses and renders with: ``policy.default`` minus repeat work.

Two costs of the stdlib are paid once here instead of on every use, with the same results:

- :class:`HeaderClasses`: the class the header registry builds for a header name (the stdlib
  builds a new one with ``type()`` each time);
- :class:`SharingPolicy`: the header object ``msg.get(name)`` returns for a (name, value) read from
  source (the stdlib parses the value into a new token tree on every ``get``; a full parse asks
  for Content-Type about ten times per part: ``get_body``, ``get_content_type``, ``get_param``,
  ``get_content_charset``, ``get_filename``...). Its reuse is bounded by :class:`HeaderCache`.

Folding and serialising are untouched: ``EmailPolicy.fold`` and ``fold_binary`` build their header
objects with ``header_factory`` directly (``_fold``), never through ``header_fetch_parse``, and
headers set on a message (``msg[name] = value``) go through ``header_store_parse``, also unchanged.
"""

from __future__ import annotations

import threading
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # generic in typeshed only
    _EmailPolicy = EmailPolicy[EmailMessage]
else:
    _EmailPolicy = EmailPolicy

#: Values (characters) longer than this are parsed on every fetch and never kept. A parsed header
#: holds its token tree, about 500 bytes per character of value (measured on CPython 3.11), so a
#: 512-character value weighs about 250 KB; ordinary MIME and address headers are far shorter.
MAX_VALUE = 512
#: The characters of value the cache holds at once (about 4 MB of parsed headers at most) ...
MAX_CHARS = 8 * 1024
#: ... and the entries. When either would be passed, the cache is emptied and starts again.
MAX_ENTRIES = 512


class HeaderClasses(HeaderRegistry):
    """``policy.default``'s header factory, minus its per-header cost.

    The stdlib's ``HeaderRegistry.__getitem__`` builds a new class with ``type()`` for every
    header it parses or sets (about a sixth of the time of an SMTP delivery or an HTTP send under
    load, bench/RESULTS.md); the classes it builds for one name are all alike, so each is built
    once here.
    """

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type[BaseHeader]] = {}
        #: Header objects already fetched through a :class:`SharingPolicy` using this factory
        #: (the objects are a function of the factory, so the cache lives with it).
        self.fetched = HeaderCache()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._built.get(key)
        if cls is None:
            cls = self._built[key] = super().__getitem__(name)
        return cls


class HeaderCache:
    """Parsed header objects by (name, source value), bounded in entries and characters.

    Lookups are a plain ``dict.get`` (atomic under the GIL, so worker threads parsing messages at
    once, ``asyncio.to_thread`` and ``off_loop``, read it without a lock). Inserts take a lock so
    the bounds hold exactly: when an insert would pass :data:`MAX_ENTRIES` or :data:`MAX_CHARS`
    the cache is emptied first (a ``dict.clear``, also atomic for readers). Two threads missing
    the same key both parse it and the later insert wins; either object is equal to the other.
    """

    __slots__ = ("_chars", "_entries", "_lock", "max_chars", "max_entries", "max_value")

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_chars: int = MAX_CHARS,
        max_value: int = MAX_VALUE,
    ) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.max_value = max_value
        self._entries: dict[tuple[str, str], str] = {}
        self._chars = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        """The characters of value held (the bound :data:`MAX_CHARS` applies to)."""
        return self._chars

    def get(self, name: str, value: str) -> str | None:
        return self._entries.get((name, value))

    def put(self, name: str, value: str, header: str) -> None:
        """Keep ``header`` for (name, value) unless the value is too long to keep."""
        size = len(name) + len(value)
        if len(value) > self.max_value:
            return
        key = (name, value)
        with self._lock:
            if key in self._entries:
                return
            if len(self._entries) >= self.max_entries or self._chars + size > self.max_chars:
                self._entries.clear()
                self._chars = 0
            self._entries[key] = header
            self._chars += size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0


class SharingPolicy(_EmailPolicy):
    """``EmailPolicy`` whose ``header_fetch_parse`` returns one object per (name, source value).

    ``EmailPolicy.header_fetch_parse(name, value)`` is a pure function of its arguments for a
    source value (a ``str`` read by the parser): it removes CR and LF and returns
    ``header_factory(name, unfolded)``, and the registry's ``__call__`` is
    ``self[name](name, value)`` (class by name, then parse; no policy, time or state involved).
    So the object made for the first (name, value) stands for every later one, provided nobody
    can change it, which holds for what a header object exposes (``email/headerregistry.py``):

    - it is a ``str`` (immutable) with read-only properties: ``name``, ``defects`` (a new tuple
      of its defect list per call), ``params`` (a ``MappingProxyType`` over its dict),
      ``addresses`` and ``groups`` (tuples of ``Address`` and ``Group``, whose attributes are
      read-only), ``maintype``/``subtype``/``content_disposition``/``cte``/``datetime``/
      ``version``/``major``/``minor`` (strings, ints, a ``datetime``);
    - ``AddressHeader.addresses`` is computed on first read and stored: two threads reading it at
      once both store equal tuples;
    - ``fold`` reads its token tree and folds a copy (``_refold_parse_tree`` works on lists taken
      from it); and folding on serialising does not fetch (the module docstring says why).

    A value already holding a header object (set on a message, ``header_store_parse``) is returned
    as it is, as the stdlib does. Long values are not kept (:data:`MAX_VALUE`).
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        if hasattr(value, "name"):
            return value
        factory = self.header_factory
        cache = factory.fetched if isinstance(factory, HeaderClasses) else None
        header = cache.get(name, value) if cache is not None else None
        if header is None:
            parsed: str = super().header_fetch_parse(name, value)
            if cache is not None:  # None: a clone given another factory
                cache.put(name, value, parsed)
            return parsed
        return header


#: ``policy.default`` with the header factory and fetches above: parsing and building messages.
POLICY = SharingPolicy(header_factory=HeaderClasses())
#: ``policy.SMTP`` and ``policy.SMTPUTF8`` likewise: serialising what the send APIs render.
SMTP_POLICY = POLICY.clone(linesep="\r\n")
SMTPUTF8_POLICY = SMTP_POLICY.clone(utf8=True)
