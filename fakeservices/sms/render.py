"""Twilio's JSON for a Message and for a page of Messages (pure functions, no HTTP)."""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any
from urllib.parse import urlencode

from fakeservices.core import rfc2822 as dates
from fakeservices.core.clock import rfc3339
from fakeservices.sms.model import API_VERSION, Message

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def rfc2822(ts: float | None) -> str | None:
    """``Thu, 24 Aug 2023 05:01:45 +0000``, as Twilio writes dates."""
    if ts is None:
        return None
    return dates.utc(int(ts))


def account_path(account: str) -> str:
    return f"/{API_VERSION}/Accounts/{account}"


def message_uri(m: Message) -> str:
    return f"{account_path(m.account)}/Messages/{m.sid}.json"


def message_json(m: Message) -> dict[str, Any]:
    """The Message resource exactly as Twilio's API returns it."""
    return {
        "account_sid": m.account,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.date_created),
        "date_sent": rfc2822(m.date_sent),
        "date_updated": rfc2822(m.date_updated),
        "direction": m.direction,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "from": m.from_,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": str(len(m.media_urls)),
        "num_segments": str(m.num_segments),
        "price": m.price,
        "price_unit": m.price_unit,
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {
            "media": f"{account_path(m.account)}/Messages/{m.sid}/Media.json",
        },
        "to": m.to,
        "uri": message_uri(m),
    }


def media_json(m: Message) -> list[dict[str, Any]]:
    """One Media resource per ``MediaUrl`` (sids derived from the message sid, so stable)."""
    out: list[dict[str, Any]] = []
    for index, url in enumerate(m.media_urls):
        sid = "ME" + hashlib.md5(f"{m.sid}/{index}".encode()).hexdigest()
        content_type = mimetypes.guess_type(url.split("?")[0])[0] or "application/octet-stream"
        out.append(
            {
                "account_sid": m.account,
                "content_type": content_type,
                "date_created": rfc2822(m.date_created),
                "date_updated": rfc2822(m.date_created),
                "parent_sid": m.sid,
                "sid": sid,
                "uri": f"{account_path(m.account)}/Messages/{m.sid}/Media/{sid}.json",
            }
        )
    return out


def admin_json(m: Message) -> dict[str, Any]:
    """Read-back: the Twilio resource plus what only the fake knows."""
    return {
        "id": m.sid,
        "seq": m.seq,
        "account": m.account,
        **message_json(m),
        "media_urls": list(m.media_urls),
        "status_callback": m.status_callback,
        "status_history": [{"status": c.status, "at": rfc3339(c.at)} for c in m.history],
        "created_at": rfc3339(m.date_created),
        "redacted": m.redacted,
        "send_at": rfc3339(m.send_at) if m.send_at is not None else None,
        "ignored_params": list(m.ignored_params),
    }


def summary(m: Message) -> dict[str, Any]:
    body = m.body if len(m.body) <= 40 else m.body[:37] + "..."
    return {
        "seq": m.seq,
        "id": m.sid,
        "to": m.to,
        "from": m.from_,
        "status": m.status,
        "body": body,
    }


def page_json(
    account: str,
    messages: list[Message],
    *,
    filters: list[tuple[str, str]],
    page: int,
    page_size: int,
    token: str | None,
    next_token: str | None,
    previous_token: str | None,
) -> dict[str, Any]:
    """Twilio's list envelope; only ``messages`` beside the keys the SDK treats as paging meta."""
    path = f"{account_path(account)}/Messages.json"

    def link(number: int, token: str | None) -> str:
        query = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
        if token:
            query.append(("PageToken", token))
        return f"{path}?{urlencode(query)}"

    start = page * page_size
    return {
        "end": start + max(len(messages) - 1, 0),
        "first_page_uri": link(0, None),
        "messages": [message_json(m) for m in messages],
        "next_page_uri": link(page + 1, next_token) if next_token else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": (
            link(page - 1, previous_token) if previous_token and page > 0 else None
        ),
        "start": start,
        "uri": link(page, token),
    }
