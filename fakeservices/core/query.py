"""Strict parsing of admin query strings: a bad or unknown parameter is a 400 naming it."""

from __future__ import annotations

import math

from starlette.datastructures import QueryParams

from fakeservices.core.errors import bad_param


class Query:
    """Reads typed values from a query string and rejects parameters nobody read."""

    def __init__(self, params: QueryParams) -> None:
        self.params = params
        self._read: set[str] = set()

    def text(self, name: str) -> str | None:
        self._read.add(name)
        values = self.params.getlist(name)
        if len(values) > 1:
            raise bad_param(name, "given more than once")
        return values[0] if values else None

    def texts(self, name: str) -> list[str]:
        """Every value of a repeatable parameter (``?account=a&account=b``), in order."""
        self._read.add(name)
        return self.params.getlist(name)

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_param(name, f"expected an integer, got {raw!r}") from None
        if not lo <= value <= hi:
            raise bad_param(name, f"must be between {lo} and {hi}, got {value}")
        return value

    def number(self, name: str, default: float, lo: float, hi: float) -> float:
        raw = self.text(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise bad_param(name, f"expected a number, got {raw!r}") from None
        if math.isnan(value) or not lo <= value <= hi:
            raise bad_param(name, f"must be between {lo:g} and {hi:g}, got {raw}")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        raw = self.text(name)
        if raw is not None and raw not in choices:
            raise bad_param(name, f"expected one of {', '.join(choices)}, got {raw!r}")
        return raw

    def done(self) -> None:
        """Reject any parameter the endpoint does not take (a typo must not match everything)."""
        for name in self.params:
            if name not in self._read:
                raise bad_param(name, "unknown parameter")
