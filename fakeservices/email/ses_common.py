"""What Amazon SES v1 (query API, ``ses``) and v2 (REST JSON, ``sesv2``) share.

- the account: the access key id of the SigV4 ``Authorization`` header (parsed, not verified);
- templates (``CreateTemplate`` / ``CreateEmailTemplate``), one set per account seen by both
  APIs as on SES, rendered by substituting ``{{name}}`` (dotted names reach into objects);
- the mailbox simulator: mail to ``success@``, ``bounce@``, ``ooto@``, ``complaint@`` or
  ``suppressionlist@simulator.amazonses.com`` (a ``+label`` allowed) is stored with
  ``simulator`` set to the outcome the address simulates;
- address checks, message ids and storing a raw MIME message.

SES's errors have a ``Code`` (``MessageRejected``, ``InvalidParameterValue``...): raised here as
:class:`~fakeservices.email.provider.SendError` with ``name`` set, each API renders its envelope.
"""

from __future__ import annotations

import json
import re
import time
import weakref
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from fakeservices.core.http import BadSignature, sigv4
from fakeservices.core.ids import uuid4
from fakeservices.email.compose import Mailbox, Outgoing, to_stored
from fakeservices.email.mime import RawContent
from fakeservices.email.model import Inbox, StoredEmail, new_mail, valid_address
from fakeservices.email.provider import SendError

MAX_RECIPIENTS = 50
#: SES's quota of templates per account (and what keeps this store bounded).
MAX_TEMPLATES = 10_000
SIMULATOR_DOMAIN = "simulator.amazonses.com"
SIMULATOR_OUTCOMES = ("success", "bounce", "ooto", "complaint", "suppressionlist")

MSG_NO_TOKEN = (
    "The request must contain either a valid (registered) AWS access key ID or X.509 certificate."
)
MSG_THROTTLED = "Maximum sending rate exceeded."

_VAR = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def ses_error(status: int, code: str, message: str) -> SendError:
    return SendError(status, message, name=code)


def invalid_value(message: str) -> SendError:
    return ses_error(400, "InvalidParameterValue", message)


def account(headers: Headers) -> str:
    """The access key id of the request's SigV4 signature, or SES's error for its absence
    (403 ``MissingAuthenticationToken``) or malformation (400 ``IncompleteSignature``)."""
    header = headers.get("authorization")
    if not header:
        raise ses_error(403, "MissingAuthenticationToken", MSG_NO_TOKEN)
    try:
        return sigv4(header).access_key
    except BadSignature as exc:
        raise ses_error(400, "IncompleteSignature", f"{exc} Authorization={header}") from None


def message_id() -> str:
    """``0100018f2c3a9b1e-7d5c...-000000``: SES's shape (a time prefix, a UUID, a counter)."""
    return f"0100{int(time.time() * 1000):012x}-{uuid4()}-000000"


def request_id() -> str:
    return uuid4()


def check_address(value: Any) -> Mailbox:
    """One address (``a@b.example`` or ``Name <a@b.example>``) or SES's complaint about it."""
    if not isinstance(value, str) or not value.strip():
        raise invalid_value("Missing final '@domain'")
    text = value.strip()
    name: str | None = None
    found = re.match(r"^(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]+)>$", text)
    if found:
        text, name = found["addr"].strip(), found["name"].strip().strip('"') or None
    if "@" not in text:
        raise invalid_value("Missing final '@domain'")
    if not valid_address(text):
        raise invalid_value("Illegal address")
    return Mailbox(text, name)


def check_destination(to: list[Any], cc: list[Any], bcc: list[Any]) -> tuple[list[Mailbox], ...]:
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise invalid_value(f"Recipient count exceeds {MAX_RECIPIENTS}.")
    if not (to or cc or bcc):
        raise invalid_value("Missing required header 'To'.")
    return tuple([check_address(a) for a in group] for group in (to, cc, bcc))


def simulator_outcome(addresses: list[str]) -> str | None:
    """The outcome the first mailbox-simulator address among ``addresses`` simulates."""
    for address in addresses:
        local, _, domain = address.strip().lower().rpartition("@")
        if domain != SIMULATOR_DOMAIN:
            continue
        base = local.split("+", 1)[0]
        if base in SIMULATOR_OUTCOMES:
            return base
    return None


# -- templates ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SesTemplate:
    name: str
    subject: str | None
    text: str | None
    html: str | None


class Templates:
    """The templates of every account, shared by the v1 and v2 APIs of one inbox."""

    def __init__(self) -> None:
        self._by_account: dict[str, dict[str, SesTemplate]] = {}

    def add(self, acct: str, template: SesTemplate, *, exists: str = "AlreadyExists") -> None:
        """Create ``template``; ``exists`` is the error code for a name taken (v1 and v2 differ)."""
        if not _TEMPLATE_NAME.match(template.name):
            raise invalid_value(
                "Template name must contain only alphanumeric characters, underscores and "
                "dashes, and be at most 64 characters long."
            )
        held = self._by_account.setdefault(acct, {})
        if template.name in held:
            raise ses_error(400, exists, f"Template {template.name} already exists.")
        if len(held) >= MAX_TEMPLATES:
            raise ses_error(400, "LimitExceeded", "Maximum number of templates exceeded.")
        held[template.name] = template

    def get(self, acct: str, name: str) -> SesTemplate | None:
        return self._by_account.get(acct, {}).get(name)

    def reset(self, acct: str | None) -> None:
        if acct is None:
            self._by_account.clear()
        else:
            self._by_account.pop(acct, None)


_TEMPLATES: weakref.WeakKeyDictionary[Inbox, Templates] = weakref.WeakKeyDictionary()


def templates_of(inbox: Inbox) -> Templates:
    """The one template set of ``inbox`` (what SES v1 and v2 share on a server)."""
    held = _TEMPLATES.get(inbox)
    if held is None:
        held = _TEMPLATES[inbox] = Templates()
    return held


def template_data(value: Any) -> dict[str, Any]:
    """``TemplateData``: a JSON object in a string."""
    if value is None or value == "":
        return {}
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise invalid_value("Template data must be a JSON object.")
    return data


def render(text: str | None, data: dict[str, Any]) -> str | None:
    """``{{name}}`` and ``{{a.b}}`` replaced by their values (absent ones by nothing)."""
    if text is None:
        return None

    def value(found: re.Match[str]) -> str:
        current: Any = data
        for part in found.group(1).split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return "" if current is None else str(current)

    return _VAR.sub(value, text)


# -- storing -----------------------------------------------------------------------------------
def ses_extra(
    msg_id: str,
    recipients: list[str],
    tags: dict[str, str],
    configuration_set: Any,
) -> dict[str, Any]:
    """The stored extras every SES send has: its MessageId, tags, configuration set and the
    simulator outcome (when a recipient is a simulator address)."""
    extra: dict[str, Any] = {"provider_message_id": msg_id}
    if tags:
        extra["variables"] = tags
    if isinstance(configuration_set, str) and configuration_set:
        extra["configuration_set"] = configuration_set
    outcome = simulator_outcome(recipients)
    if outcome is not None:
        extra["simulator"] = outcome
    return extra


def store_outgoing(inbox: Inbox, out: Outgoing, acct: str, source: str) -> StoredEmail:
    return inbox.add(to_stored(out, account=acct, source=source))


def store_raw(
    inbox: Inbox,
    raw: bytes,
    *,
    acct: str,
    source: str,
    sender: str | None,
    destinations: list[str],
    tags: dict[str, str],
    configuration_set: Any,
) -> str:
    """Store a raw MIME message as SES sends it: the envelope from ``Source``/``Destinations``
    or else the message's own From and To/Cc/Bcc headers. Returns the MessageId."""
    content = RawContent(raw)
    head = content.head()
    envelope_from = sender or head.from_addr or ""
    if not envelope_from:
        raise invalid_value("Missing required header 'From'.")
    recipients = destinations or [*head.to, *head.cc, *head.bcc]
    if not recipients:
        raise invalid_value("Missing required header 'To'.")
    if len(recipients) > MAX_RECIPIENTS:
        raise invalid_value(f"Recipient count exceeds {MAX_RECIPIENTS}.")
    msg_id = message_id()
    inbox.add(
        new_mail(
            content,
            account=acct,
            source=source,
            envelope_from=envelope_from,
            envelope_to=list(dict.fromkeys(recipients)),
            received_at=time.time(),
            tags=list(tags),
            extra=ses_extra(msg_id, recipients, tags, configuration_set),
        )
    )
    return msg_id


def new_message_id(out: Outgoing) -> str:
    """Give ``out`` a fresh SES MessageId (and the Message-ID header SES would write)."""
    msg_id = message_id()
    out.message_id = f"<{msg_id}@email.amazonses.com>"
    return msg_id
