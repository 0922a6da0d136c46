from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def addr(unique: str) -> Callable[..., str]:
    """``addr("bob")`` -> a per-test address ``bob-<unique>@example.com``."""

    def make(local: str, domain: str = "example.com") -> str:
        return f"{local}-{unique}@{domain}"

    return make
