"""Helpers shared by the SMS tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from twilio.rest import Client


@dataclass
class Twilio:
    sid: str
    token: str
    client: Client


def new_sid() -> str:
    return "AC" + uuid.uuid4().hex


def point(client: Client, url: str) -> Client:
    """The documented recipe: one assignment (and no region/edge)."""
    client.api.base_url = url
    return client


def messages_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{sid}/Messages.json"


def wait_for(
    admin: httpx.Client, account: str, status: str, count: int = 1
) -> list[dict[str, Any]]:
    """Long-poll the admin API until ``count`` messages of ``account`` have ``status``."""
    r = admin.get(
        "/__admin/sms/wait",
        params={"account": account, "status": status, "count": count, "timeout": 10},
    )
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data
