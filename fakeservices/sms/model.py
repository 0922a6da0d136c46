"""The SMS domain model: messages per account, validation, the status lifecycle. No HTTP here.

Messages live in one bounded :class:`~fakeservices.core.store.Store` keyed by sid; every lookup
checks the account (the Account SID of the URL), so one account never sees another's messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from fakeservices.core.ids import hex32
from fakeservices.core.store import Store
from fakeservices.sms.errors import TwilioError
from fakeservices.sms.numbers import (
    MAGIC_FROM,
    MAGIC_TO,
    OUTCOMES,
    VALID_TEST_FROM,
    valid_callback_url,
    valid_from,
    valid_to,
)
from fakeservices.sms.segments import count_segments

API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
#: Price per segment once sent (Twilio's US long-code SMS rate), and per MMS.
SMS_PRICE = 0.0079
MMS_PRICE = 0.0200

#: How far ahead ``SendAt`` may be (Twilio's error 35114 page: 300 s to 35 days, inclusive).
MIN_SCHEDULE_SECONDS = 300
MAX_SCHEDULE_SECONDS = 35 * 86400

#: Statuses a message can no longer leave.
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled", "read", "received"})
#: Statuses in which Twilio refuses a DELETE (20009).
IN_FLIGHT_STATUSES = frozenset({"accepted", "scheduled", "queued", "sending"})
ALL_STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "read",
    "partially_delivered",
    "canceled",
)

#: Every parameter Message create takes (twilio-python 9.x); others are ignored like Twilio does
#: (its warning 20001) and listed on the message's read-back as ``ignored_params``.
CREATE_PARAMS = frozenset(
    {
        "To",
        "From",
        "MessagingServiceSid",
        "Body",
        "MediaUrl",
        "ContentSid",
        "ContentVariables",
        "StatusCallback",
        "ApplicationSid",
        "MaxPrice",
        "ProvideFeedback",
        "Attempt",
        "ValidityPeriod",
        "ForceDelivery",
        "ContentRetention",
        "AddressRetention",
        "SmartEncoded",
        "PersistentAction",
        "TrafficType",
        "ShortenUrls",
        "ScheduleType",
        "SendAt",
        "SendAsMms",
        "MessageIntent",
        "RiskCheck",
        "FallbackFrom",
        "Tags",
    }
)

Params = Mapping[str, list[str]]


@dataclass(slots=True)
class StatusChange:
    status: str
    at: float


@dataclass(slots=True, eq=False)
class Message:
    id: str  # the sid
    account: str
    to: str
    from_: str | None
    body: str
    media_urls: list[str]
    status: str
    #: The auth token (Basic password) it was created with: signs its status callbacks.
    auth_token: str
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    direction: str = "outbound-api"
    num_segments: int = 1
    price: str | None = None
    price_unit: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_created: float = field(default_factory=time.time)
    date_updated: float = 0.0
    date_sent: float | None = None
    history: list[StatusChange] = field(default_factory=list)
    ignored_params: list[str] = field(default_factory=list)
    redacted: bool = False
    #: When a scheduled message (``ScheduleType=fixed``) is to be sent, as a timestamp.
    send_at: float | None = None
    seq: int = 0

    @property
    def sid(self) -> str:
        return self.id

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


def first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


@dataclass(slots=True)
class ListFilter:
    to: str | None = None
    from_: str | None = None
    #: (operator, bound) where operator is "=", "<" or ">" and bound a date or a datetime.
    date_sent: list[tuple[str, date | datetime]] = field(default_factory=list)

    def __call__(self, m: Message) -> bool:
        if self.to is not None and m.to != self.to:
            return False
        if self.from_ is not None and m.from_ != self.from_:
            return False
        return all(_date_matches(m.date_sent, op, bound) for op, bound in self.date_sent)


def _date_matches(sent: float | None, op: str, bound: date | datetime) -> bool:
    """``DateSent`` filters: a date compares the GMT day (inclusive), a datetime the instant."""
    if sent is None:
        return False
    when = datetime.fromtimestamp(sent, UTC)
    if isinstance(bound, datetime):
        b = bound if bound.tzinfo else bound.replace(tzinfo=UTC)
        if op == "=":
            return when.replace(microsecond=0) == b
        return when <= b if op == "<" else when >= b
    day = when.date()
    if op == "=":
        return day == bound
    return day <= bound if op == "<" else day >= bound


def parse_send_at(raw: str) -> float | None:
    """``SendAt`` as a timestamp: ISO 8601 with a zone (``2026-12-01T10:00:00Z``), else None."""
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


class SmsModel:
    def __init__(self, store: Store[Message], clock: Callable[[], float] = time.time) -> None:
        self.store = store
        #: The time source (injected: tests of the schedule pass their own).
        self.clock = clock

    # -- create ----------------------------------------------------------------------------
    def create(self, account: str, auth_token: str, params: Params) -> Message:
        """Validate like Twilio and store a new outbound message (status queued/accepted)."""
        to = first(params, "To")
        from_ = first(params, "From")
        service_sid = first(params, "MessagingServiceSid")
        body = first(params, "Body") or ""
        media = [u for u in params.get("MediaUrl", []) if u]
        content_sid = first(params, "ContentSid")
        if not to:
            raise TwilioError.of(21604)
        if not from_ and not service_sid:
            raise TwilioError.of(21603)
        if not body and not media and not content_sid:
            raise TwilioError.of(21602)
        if len(body) > MAX_BODY_CHARS:
            raise TwilioError.of(21617)
        if from_:
            if not valid_from(from_):
                raise TwilioError.of(21212, from_=from_)
            magic = MAGIC_FROM.get(from_)
            if magic is not None:
                raise TwilioError.of(magic.code, from_=from_, to=to)
        if not valid_to(to):
            raise TwilioError.of(21211, to=to)
        magic = MAGIC_TO.get(to)
        if magic is not None:
            raise TwilioError.of(magic.code, to=to, from_=from_ or "")
        callback = first(params, "StatusCallback") or None
        if callback is not None and not valid_callback_url(callback):
            raise TwilioError.of(21609, url=callback)
        now = self.clock()
        send_at = self._schedule(params, service_sid, now)
        message = Message(
            id=("MM" if media else "SM") + hex32(),
            account=account,
            to=to,
            from_=from_ or None,
            body=body,
            media_urls=media,
            status="scheduled" if send_at else "accepted" if service_sid else "queued",
            auth_token=auth_token,
            status_callback=callback,
            messaging_service_sid=service_sid or None,
            num_segments=count_segments(body),
            date_created=now,
            date_updated=now,
            ignored_params=sorted(k for k in params if k not in CREATE_PARAMS),
            send_at=send_at,
        )
        message.history.append(StatusChange(message.status, now))
        return self.store.add(message)

    @staticmethod
    def _schedule(params: Params, service_sid: str | None, now: float) -> float | None:
        """``SendAt`` of a ``ScheduleType=fixed`` message, validated as Twilio does."""
        if first(params, "ScheduleType") != "fixed":
            return None
        if not service_sid:
            raise TwilioError.of(35118)
        raw = first(params, "SendAt")
        if not raw:
            raise TwilioError.of(35111)
        send_at = parse_send_at(raw)
        ahead = None if send_at is None else send_at - now
        if ahead is None or not MIN_SCHEDULE_SECONDS <= ahead <= MAX_SCHEDULE_SECONDS:
            raise TwilioError.of(35114, send_at=raw)
        return send_at

    def send_now(self, message: Message) -> bool:
        """Make a scheduled message due now (the admin shortcut); False if it is not scheduled."""
        if message.status != "scheduled":
            return False
        message.send_at = self.clock()
        return True

    # -- read ------------------------------------------------------------------------------
    def get(self, account: str, sid: str) -> Message | None:
        message = self.store.get(sid)
        if message is None or message.account != account:
            return None
        return message

    def newest_first(self, account: str, pred: Callable[[Message], bool]) -> list[Message]:
        return [m for m in reversed(list(self.store.values())) if m.account == account and pred(m)]

    # -- change ----------------------------------------------------------------------------
    def delete(self, message: Message) -> None:
        if message.status in IN_FLIGHT_STATUSES:
            raise TwilioError.of(20009)
        self.store.delete(message.id)

    def update(self, message: Message, body: str | None, status: str | None) -> Message:
        """Redact (``Body=""``) or cancel (``Status=canceled``, scheduled messages only)."""
        if body is not None and status is not None:
            raise TwilioError.of(30400)
        if body is not None:
            if body != "":
                raise TwilioError.of(30400)
            message.body = ""
            message.redacted = True
            message.date_updated = self.clock()
            self.store.touch(message)
        elif status is not None:
            if status != "canceled":
                raise TwilioError.of(30400)
            if message.status != "scheduled":
                raise TwilioError.of(30409)
            self.advance(message, "canceled")
        return message

    # -- lifecycle -------------------------------------------------------------------------
    def plan(self, message: Message) -> list[str]:
        """The statuses a new message goes through after its initial one."""
        outcome = OUTCOMES.get(message.to)
        steps = ["queued"] if message.status in ("accepted", "scheduled") else []
        if outcome is not None and outcome.final_status == "failed":
            return [*steps, "failed"]
        if outcome is not None:
            return [*steps, "sent", outcome.final_status]
        return [*steps, "sent", "delivered"]

    def advance(self, message: Message, status: str) -> None:
        """Move ``message`` to ``status``, setting what Twilio sets at that point."""
        now = self.clock()
        if message.from_ is None and status != "canceled":
            # A Messaging Service picks the sender when the message leaves "accepted".
            message.from_ = VALID_TEST_FROM
        if status == "sent":
            message.date_sent = now
            unit = MMS_PRICE if message.media_urls else SMS_PRICE * message.num_segments
            message.price = f"{-unit:.5f}"
            message.price_unit = "USD"
        if status in ("undelivered", "failed"):
            outcome = OUTCOMES.get(message.to)
            if outcome is not None:
                message.error_code = outcome.error_code
                message.error_message = outcome.error_message
        message.status = status
        message.date_updated = now
        message.history.append(StatusChange(status, now))
        self.store.touch(message)

    # -- reset -----------------------------------------------------------------------------
    def reset(self, account: str | None) -> int:
        return self.store.reset(account)
