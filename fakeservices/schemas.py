"""Typed views of what the admin API returns, written once for both sides.

The Python client parses every answer with them, and the server's OpenAPI document
(``/__admin/openapi.json``) describes its response bodies with their JSON schemas. Models accept
fields they do not know (``extra="allow"``), so a newer server never breaks an older client; the
fields named here are the ones docs/admin-api.md promises.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # defer_build: each model's validator is built when it first parses (or describes) something,
    # not at import; the server only names them in its OpenAPI document.
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)


class LoopLagView(_Model):
    max_ms: float
    recent_max_ms: float
    p99_ms: float
    #: The most CPU time the loop's own thread used between two probe wake-ups, since start.
    busy_max_ms: float = 0.0
    #: The longest garbage-collector pass since start (it holds the GIL, whichever thread).
    gc_max_ms: float = 0.0
    samples: int


class Health(_Model):
    status: str
    version: str
    http_port: int | None
    smtp_port: int | None
    seq: int = 0
    counts: dict[str, int]
    evicted: dict[str, int]
    #: How late the event loop ran (core/looplag.py): ``max_ms`` since start, ``recent_max_ms``
    #: and ``p99_ms`` over the last ten seconds or more, ``samples`` taken.
    loop_lag: LoopLagView | None = None


class Attachment(_Model):
    index: int = 0
    filename: str | None = None
    content_type: str
    size: int
    content_id: str | None = None


class Email(_Model):
    id: str
    seq: int
    account: str
    source: str
    received_at: str
    from_: str | None = Field(None, alias="from")
    to: list[str] = []
    cc: list[str] = []
    bcc: list[str] = []
    envelope_from: str | None = None
    envelope_to: list[str] = []
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    headers: dict[str, list[str]] = {}
    attachments: list[Attachment] = []
    message_id: str | None = None
    size: int = 0
    tags: list[str] = []
    parse_errors: list[str] = []

    @property
    def body(self) -> str:
        """The text part, else the HTML part (what a test usually asserts on)."""
        return self.text or self.html or ""


class Sms(_Model):
    id: str
    seq: int
    account: str
    sid: str
    to: str
    from_: str | None = Field(None, alias="from")
    body: str = ""
    status: str
    num_segments: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    media_urls: list[str] = []
    date_created: str | None = None


class Request(_Model):
    """One request journal entry (an HTTP request to a fake or an SMTP transaction)."""

    id: str
    seq: int
    service: str
    method: str
    path: str
    query: str = ""
    account: str
    status: int
    duration_ms: float
    received_at: str
    fault: dict[str, Any] | None = None
    request_body: str = ""
    response_body: str = ""
    detail: dict[str, Any] = {}


class Attempt(_Model):
    at: str
    status: int | None
    error: str | None
    duration_ms: float
    #: The start of the receiver's answer (2048 characters at most; None when none came).
    response: str | None = None


class WebhookDelivery(_Model):
    id: str
    seq: int
    service: str
    account: str
    url: str
    event: str
    ref: str
    state: str
    body: str
    headers: dict[str, str] = {}
    attempts: list[Attempt] = []


class StripeEvent(_Model):
    """A Stripe Event as ``/v1/events`` returns it (``/__admin/stripe/events``)."""

    id: str
    object: str = "event"
    type: str
    created: int
    data: dict[str, Any] = {}
    api_version: str | None = None
    livemode: bool = False
    pending_webhooks: int = 0

    @property
    def object_id(self) -> str | None:
        """The id of the object the event is about (``data.object.id``)."""
        obj = self.data.get("object")
        return obj.get("id") if isinstance(obj, dict) else None


class FaultRule(_Model):
    id: str
    service: str
    match: dict[str, Any] = {}
    action: dict[str, Any]
    times: int | None = None
    probability: float = 1.0
    after: int = 0
    hits: int = 0
    matched: int = 0
    remaining: int | None = None
    expired: bool = False


class Item(_Model):
    """What every stored item has (a fake's read-back that names no model of its own)."""

    id: str
    seq: int
    account: str


class Page(_Model):
    """The envelope of every read-back list: ``data`` oldest first, then where to continue."""

    data: list[dict[str, Any]]
    has_more: bool
    next_after: int


class Deleted(_Model):
    deleted: int


class ResetResult(_Model):
    reset: list[str]
    account: str | None = None


class ConfigDump(_Model):
    """``GET /__admin/config``: the effective settings, keyed as the options (``http_port``)."""

    host: str
    http_port: int
    smtp_port: int
