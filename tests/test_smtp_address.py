"""The fast MAIL FROM / RCPT TO address reading (``core/smtp_address.py``) against aiosmtpd's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeservices.core.smtp_address import plain_angle_addr

SETTINGS = settings(
    max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_ATOM = st.text(alphabet="abXY09!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6)
_DOT_ATOM = st.lists(_ATOM, min_size=1, max_size=3).map(".".join)
_PLAIN = st.builds(lambda a, b: f"<{a}@{b}>", _DOT_ATOM, _DOT_ATOM)
_PARAMS = st.sampled_from(
    [
        "",
        " SIZE=100",
        "  BODY=8BITMIME SMTPUTF8",
        "\tSIZE=1",
        " (c) SIZE=1",
        "(c)",
        "SIZE=2",
        " \x0b\x0cX",
        " ",
        "\u00a0Y",
        " <b@c.d>",
    ]
)
_ODD = st.sampled_from(
    ["<>", "<", ">", '"', "(", ")", "[1.2.3.4]", "@", ".", "..", " ", "é", ":", ",", "\\", "a"]
)
_ARG = st.one_of(
    st.builds(lambda a, p: a + p, _PLAIN, _PARAMS),
    st.lists(st.one_of(_ODD, _ATOM, _PLAIN), max_size=6).map("".join),
)


def _aiosmtpd(arg: str, limit: int) -> tuple[str | None, str | None]:
    # ``_getaddr`` reads nothing of the protocol object but this attribute.
    return SMTP._getaddr(SimpleNamespace(local_part_limit=limit), arg)  # type: ignore[arg-type]


@SETTINGS
@given(_ARG, st.sampled_from([0, 3, 64]))
def test_an_address_reads_as_aiosmtpd_reads_it(arg: str, limit: int) -> None:
    fast = plain_angle_addr(arg, limit)
    if fast is not None:
        assert fast == _aiosmtpd(arg, limit), arg


@SETTINGS
@given(_PLAIN, st.sampled_from(["", " SIZE=100", "\tBODY=8BITMIME", "SIZE=1"]))
def test_plain_addresses_take_the_fast_path(address: str, params: str) -> None:
    assert plain_angle_addr(address + params, 0) == _aiosmtpd(address + params, 0)


@pytest.mark.parametrize(
    "arg",
    [
        "<>",
        "<> SIZE=1",
        '<"a b"@x.example>',
        "<a@[127.0.0.1]>",
        "<@r.example:a@x.example>",
        "a@x.example",
        "<a@x.example> (comment)",
        "<jörg@x.example>",
        " <a@x.example>",
    ],
)
def test_other_forms_are_left_to_aiosmtpd(arg: str) -> None:
    assert plain_angle_addr(arg, 0) is None


def test_the_local_part_limit_is_left_to_aiosmtpd() -> None:
    assert plain_angle_addr("<abcd@x.example>", 4) == ("abcd@x.example", "")
    assert plain_angle_addr("<abcde@x.example>", 4) is None
    assert _aiosmtpd("<abcde@x.example>", 4) == (None, None)
