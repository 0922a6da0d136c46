"""Long address headers: split at top-level commas, read entry by entry, bounded."""

from __future__ import annotations

import pytest

from fakeservices.email import mime
from fakeservices.email.address_list import split_entries

ENTRIES = [
    "a@example.com",
    '"Doe, Jane" <jane@example.com>',
    "friends: b@example.com, c@example.com;",
    "(a, comment) d@example.com",
    '"quote \\" , inside" <e@example.com>',
    "<f@example.com> (trailing, comment)",
    "=?utf-8?q?J=C3=B6rg?= <jorg@example.com>",
]


def test_split_keeps_quoted_commented_and_grouped_commas_inside_an_entry() -> None:
    value = ",".join(ENTRIES)
    assert split_entries(value, 100) == (ENTRIES, "")
    assert split_entries(value, 2) == (ENTRIES[:2], ",".join(ENTRIES[2:]))


@pytest.mark.parametrize("repeat", [1, 140])  # 140: 980 entries, under the bound
def test_a_long_header_reads_as_the_whole_parse_does(
    repeat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = ("To: " + ",\r\n ".join(ENTRIES * repeat) + "\r\nSubject: s\r\n\r\nx\r\n").encode()
    monkeypatch.setattr(mime, "LONG_ADDRESS_HEADER", 10**9)
    whole = mime.parse_message(raw)
    monkeypatch.setattr(mime, "LONG_ADDRESS_HEADER", 0)
    sliced = mime.parse_message(raw)
    assert sliced.to == whole.to and len(whole.to) == 8 * repeat
    assert sliced.headers == whole.headers
    assert sliced.errors == whole.errors
    assert mime.parse_head(raw).to == whole.to


def test_past_the_bound_the_rest_is_text_and_flagged() -> None:
    many = [f"user{i}@example.com" for i in range(mime.MAX_HEADER_ADDRESSES + 5)]
    raw = ("To: " + ", ".join(many) + "\r\n\r\nx\r\n").encode()
    parsed = mime.parse_message(raw)
    assert parsed.to == many[: mime.MAX_HEADER_ADDRESSES]
    assert parsed.headers["To"] == [", ".join(many)]
    assert [e for e in parsed.errors if "TooManyAddresses" in e] == [
        "header To: TooManyAddresses: more than 1000 entries; the first 1000 are read as "
        "addresses, the rest is kept as text"
    ]
    head = mime.parse_head(raw)
    assert head.to == parsed.to and head.unread.endswith(many[-1])
