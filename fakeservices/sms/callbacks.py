"""Status callbacks: the form Twilio POSTs to ``StatusCallback`` and its ``X-Twilio-Signature``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from fakeservices.core.outbound import Delivery
from fakeservices.sms.model import API_VERSION, Message

SIGNATURE_HEADER = "X-Twilio-Signature"
USER_AGENT = "TwilioProxy/1.1"


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + name1 + value1 + ...)).

    Parameters are appended in sorted name order, exactly as ``RequestValidator`` recomputes it.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    mac = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def callback_params(message: Message) -> dict[str, str]:
    """The status callback form fields for the message's current status."""
    params = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
        "AccountSid": message.account,
        "From": message.from_ or "",
        "To": message.to,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.status in ("failed", "undelivered") and message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    if message.status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = time.strftime("%y%m%d%H%M", time.gmtime())
    return params


def status_delivery(message: Message, url: str) -> Delivery:
    """A signed, form-encoded POST of the message's current status to ``url``."""
    params = callback_params(message)
    return Delivery(
        service="sms",
        account=message.account,
        url=url,
        body=urlencode(params).encode("ascii"),
        event=message.status,
        ref=message.sid,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(message.auth_token, url, params),
        },
    )
