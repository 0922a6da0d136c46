"""Helpers for the email inbox tests: reading back through the admin API, no sleeps."""

from __future__ import annotations

from typing import Any

import httpx


def _params(filters: dict[str, Any]) -> dict[str, Any]:
    return {k.rstrip("_"): v for k, v in filters.items() if v is not None}


def wait_emails(admin: httpx.Client, count: int = 1, **filters: Any) -> list[dict[str, Any]]:
    """Long-poll ``/__admin/emails/wait`` until ``count`` messages match; fail with its message."""
    params = {**_params(filters), "count": count, "timeout": 10}
    resp = admin.get("/__admin/emails/wait", params=params)
    assert resp.status_code == 200, resp.text
    data: list[dict[str, Any]] = resp.json()["data"]
    assert len(data) >= count
    return data


def list_emails(admin: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    resp = admin.get("/__admin/emails", params=_params(filters))
    assert resp.status_code == 200, resp.text
    data: list[dict[str, Any]] = resp.json()["data"]
    return data


def still_serving(admin: httpx.Client) -> None:
    """The server answers normally after a bad input."""
    resp = admin.get("/__admin/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
