"""Stripe's Search Query Language: a parser and a matcher, free of HTTP and of any resource.

A query is up to :data:`MAX_CLAUSES` clauses joined by ``AND`` or ``OR`` (case-insensitive; a
space alone means ``AND``; the two may not be mixed and there are no parentheses). A clause is::

    [-]field OP value        email:"jenny@example.com"   -currency:'usd'   amount>=1000
    [-]metadata[KEY]:value   metadata['order']:'6735'    -metadata["k"]:null

- ``field`` is a name with dots (``billing_details.address.postal_code``); ``KEY`` is quoted;
- ``OP`` is ``:`` (exact, case-insensitive), ``~`` (substring of at least
  :data:`MIN_SUBSTRING` characters, string fields only) or ``>``, ``<``, ``>=``, ``<=``, ``=``
  (numeric fields only);
- ``value`` is a quoted string (``"..."`` or ``'...'``, ``\\`` escapes a quote), a bare number,
  or ``null`` (the field is absent or null; negated: it is present).

Each searchable resource declares its fields as ``{name: FieldType}`` (:class:`SearchFields`);
:func:`compile_query` checks a parsed :class:`Query` against them and returns a predicate over
the resource's JSON objects. Errors are :class:`QueryError`, whose message is Stripe's.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

MAX_CLAUSES = 10
MIN_SUBSTRING = 3

#: Stripe's answer to a query it cannot parse (seen from the real API by stripe-ruby-mock's live
#: tests); we also give it for the other syntax errors, whose own texts are not documented.
PARSE_ERROR = (
    "We were unable to parse your search query. Try using the format "
    '`metadata["key"]:"value"` to query for metadata or key:"value" to query for other fields.'
)


def unsupported_field(field: str, resource: str) -> str:
    """Stripe's message for a field the resource does not search (seen from the real API)."""
    return (
        f"Field `{field}` is an unsupported search field for resource `{resource}`. See "
        f"http://stripe.com/docs/search#query-fields-for-{resource.replace('_', '-')} for a list "
        "of supported fields."
    )


class QueryError(Exception):
    """A query Stripe rejects; ``message`` is its text (a 400 ``invalid_request_error``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldType(Enum):
    """Stripe's three kinds of search field."""

    #: exact (case-insensitive) and substring ``~`` matching
    STRING = "string"
    #: exact matching only (ids, enums, booleans, metadata)
    TOKEN = "token"
    #: exact matching and the comparators
    NUMERIC = "numeric"


#: A resource's searchable fields: dotted name -> type (``metadata`` is always a token field).
SearchFields = Mapping[str, FieldType]

COMPARATORS = (">=", "<=", ">", "<", "=")
OPERATORS = (*COMPARATORS[:4], ":", "~", "=")


@dataclass(frozen=True)
class Clause:
    field: str
    #: the key of ``metadata[...]``; None for any other field
    key: str | None
    op: str
    #: the value as written (quotes removed), or None for ``null``
    value: str | None
    negated: bool = False
    #: whether the value was quoted (a bare value must be a number or ``null``)
    quoted: bool = False


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    #: ``"AND"`` or ``"OR"``
    combinator: str = "AND"


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SPACE = " \t\r\n"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_space(self) -> bool:
        start = self.pos
        while not self.at_end() and self.text[self.pos] in _SPACE:
            self.pos += 1
        return self.pos > start

    def keyword(self) -> str | None:
        """``AND`` / ``OR`` followed by whitespace, consumed; else None."""
        for word in ("AND", "OR"):
            end = self.pos + len(word)
            follows = self.text[end : end + 1]
            if self.text[self.pos : end].upper() == word and follows and follows in _SPACE:
                self.pos = end
                return word
        return None

    def quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while not self.at_end():
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if ch == quote:
                return "".join(out)
            out.append(ch)
        raise QueryError(PARSE_ERROR)

    def clause(self) -> Clause:
        negated = self.peek() == "-"
        if negated:
            self.pos += 1
        m = _FIELD.match(self.text, self.pos)
        if m is None:
            raise QueryError(PARSE_ERROR)
        field, self.pos = m.group(0), m.end()
        key: str | None = None
        if self.peek() == "[":
            if field != "metadata":
                raise QueryError(PARSE_ERROR)
            self.pos += 1
            if self.peek() not in ("'", '"'):
                raise QueryError(PARSE_ERROR)
            key = self.quoted()
            if self.peek() != "]":
                raise QueryError(PARSE_ERROR)
            self.pos += 1
        op = next((o for o in OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            raise QueryError(PARSE_ERROR)
        self.pos += len(op)
        if self.peek() in ("'", '"'):
            return Clause(field, key, op, self.quoted(), negated, quoted=True)
        start = self.pos
        while not self.at_end() and self.text[self.pos] not in _SPACE:
            self.pos += 1
        bare = self.text[start : self.pos]
        if bare.lower() == "null":
            return Clause(field, key, op, None, negated)
        if not _NUMBER.fullmatch(bare):
            raise QueryError(PARSE_ERROR)
        return Clause(field, key, op, bare, negated)


def parse(text: str) -> Query:
    """The clauses of ``text`` and how they are joined; :class:`QueryError` if it is not valid
    syntax, mixes ``AND`` and ``OR`` or has more than :data:`MAX_CLAUSES` clauses."""
    scan = _Scanner(text)
    scan.skip_space()
    clauses: list[Clause] = []
    joins: set[str] = set()
    spaced = True
    while not scan.at_end():
        if clauses:
            if not spaced:
                raise QueryError(PARSE_ERROR)
            word = scan.keyword()
            if word is not None:
                scan.skip_space()
            joins.add(word or "AND")
        clauses.append(scan.clause())
        spaced = scan.skip_space()
    if not clauses or len(joins) > 1 or len(clauses) > MAX_CLAUSES:
        raise QueryError(PARSE_ERROR)
    return Query(tuple(clauses), joins.pop() if joins else "AND")


# -- matching ------------------------------------------------------------------------------
Predicate = Callable[[Mapping[str, Any]], bool]


def value_at(obj: Mapping[str, Any], dotted: str) -> Any:
    """``obj["a"]["b"]`` for ``"a.b"``; None where a step is missing or not an object."""
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(raw: str) -> float:
    if not _NUMBER.fullmatch(raw):
        raise QueryError(PARSE_ERROR)
    return float(raw)


def _clause_predicate(c: Clause, fields: SearchFields, resource: str) -> Predicate:
    if c.key is not None:
        kind = FieldType.TOKEN
    elif c.field in fields:
        kind = fields[c.field]
    else:
        raise QueryError(unsupported_field(c.field, resource))
    key, field = c.key, c.field

    def get(obj: Mapping[str, Any]) -> Any:
        if key is not None:
            meta = obj.get("metadata")
            return meta.get(key) if isinstance(meta, Mapping) else None
        return value_at(obj, field)

    if c.value is None:
        if c.op != ":":
            raise QueryError(PARSE_ERROR)
        return lambda o: get(o) is None
    wanted = c.value
    if c.op == "~":
        if kind is not FieldType.STRING or len(wanted) < MIN_SUBSTRING:
            raise QueryError(PARSE_ERROR)
        low = wanted.lower()
        return lambda o: get(o) is not None and low in _text(get(o)).lower()
    if kind is FieldType.NUMERIC:
        bound = _number(wanted)
        compare: dict[str, Callable[[float], bool]] = {
            ":": lambda v: v == bound,
            "=": lambda v: v == bound,
            ">": lambda v: v > bound,
            "<": lambda v: v < bound,
            ">=": lambda v: v >= bound,
            "<=": lambda v: v <= bound,
        }
        test = compare[c.op]

        def numeric(o: Mapping[str, Any]) -> bool:
            v = get(o)
            return isinstance(v, (int, float)) and not isinstance(v, bool) and test(v)

        return numeric
    if c.op != ":":
        raise QueryError(PARSE_ERROR)
    low = wanted.lower()
    return lambda o: get(o) is not None and _text(get(o)).lower() == low


def compile_query(query: Query, fields: SearchFields, resource: str) -> Predicate:
    """A predicate for ``query`` over objects of ``resource`` (``customers``, ``charges``...),
    whose searchable ``fields`` are given; :class:`QueryError` for an unsupported field or an
    operator the field's type does not take."""
    tests: list[tuple[Predicate, bool]] = [
        (_clause_predicate(c, fields, resource), c.negated) for c in query.clauses
    ]
    if query.combinator == "OR":
        return lambda o: any(t(o) != neg for t, neg in tests)
    return lambda o: all(t(o) != neg for t, neg in tests)


def compile_text(text: str, fields: SearchFields, resource: str) -> Predicate:
    """:func:`parse` then :func:`compile_query`."""
    return compile_query(parse(text), fields, resource)


# -- paging --------------------------------------------------------------------------------
def page_token(last_id: str) -> str:
    """The opaque ``next_page`` cursor after the object ``last_id``."""
    raw = json.dumps({"after": last_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_after(token: str) -> str | None:
    """The id a ``page`` cursor continues after, or None if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    after = data.get("after") if isinstance(data, dict) else None
    return after if isinstance(after, str) else None
