"""core.ids: the id formats the fakes hand out."""

from __future__ import annotations

import re

from fakeservices.core import ids


def test_alnum_has_the_length_and_alphabet_asked_for() -> None:
    for n in (1, 2, 3, 14, 23, 24, 64):
        for _ in range(200):
            value = ids.alnum(n)
            assert re.fullmatch(rf"[A-Za-z0-9]{{{n}}}", value), value


def test_alnum_uses_every_character_and_does_not_repeat() -> None:
    drawn = [ids.alnum(24) for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)
    assert set("".join(drawn)) == set(ids._ALNUM)


def test_digits_keep_leading_zeros() -> None:
    values = [ids.digits(6) for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9]{6}", v) for v in values)
    assert any(v.startswith("0") for v in values)
