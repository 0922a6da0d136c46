"""core.ids: the id formats the fakes hand out."""

from __future__ import annotations

import base64
import re
import threading
import uuid

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


def test_alnum_longer_than_a_pool_and_across_refills() -> None:
    long = ids.alnum(20_000)
    assert re.fullmatch(r"[A-Za-z0-9]{20000}", long)
    drawn = [ids.alnum(23) for _ in range(1000)]  # several refills of the pool
    assert len(set(drawn)) == len(drawn) and all(len(d) == 23 for d in drawn)


def test_alnum_from_several_threads_never_hands_out_the_same_slice() -> None:
    """Servers embedded in one process (tests start several) draw ids from their own threads."""
    results: list[list[str]] = [[] for _ in range(4)]

    def draw(out: list[str]) -> None:
        out.extend(ids.alnum(24) for _ in range(3000))

    threads = [threading.Thread(target=draw, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for out in results for i in out]
    assert len(every) == 12_000 and len(set(every)) == len(every)


def test_token_is_url_safe_base64_of_n_bytes() -> None:
    # The shape of secrets.token_urlsafe(n): SendGrid's X-Message-Id is cut from one.
    seen = set()
    for n in (1, 2, 3, 16, 32):
        for _ in range(200):
            t = ids.token(n)
            assert re.fullmatch(r"[A-Za-z0-9_-]+", t), t
            assert len(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))) == n
            seen.add(t)
    assert len(seen) > 900  # random, not repeated (1-byte tokens have only 256 values)


def test_hex16_is_16_lowercase_hex_digits() -> None:
    values = {ids.hex16() for _ in range(500)}
    assert all(re.fullmatch(r"[0-9a-f]{16}", v) for v in values)
    assert len(values) == 500


def test_uuid4_is_what_uuid_makes_of_the_same_random_bits() -> None:
    for _ in range(2000):
        state = ids._rng.getstate()
        value = ids.uuid4()
        ids._rng.setstate(state)
        assert value == str(uuid.UUID(int=ids._rng.getrandbits(128), version=4))


def test_uuid4_is_random_but_for_its_version_and_variant() -> None:
    values = [uuid.UUID(ids.uuid4()) for _ in range(2000)]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in values)
    assert len({u.int for u in values}) == 2000
    fixed = (0xF000 << 64) | (0xC000 << 48)
    ones = zeros = 0
    for u in values:
        ones |= u.int
        zeros |= ~u.int & ((1 << 128) - 1)
    assert ones & zeros == ((1 << 128) - 1) & ~fixed  # every other bit seen both ways
