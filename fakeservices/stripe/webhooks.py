"""Webhook deliveries: each event POSTed to the account's matching endpoints, signed as Stripe does.

``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload" keyed with the whsec_ secret>``,
so ``stripe.Webhook.construct_event(payload, header, secret)`` verifies it. Sending, retries with
backoff and the record of attempts are the core's :class:`~fakeservices.core.outbound.Outbound`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

from fakeservices.core.jsonio import kept, pretty
from fakeservices.core.outbound import Delivery, Outbound
from fakeservices.stripe.events import StripeEvent

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + payload, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


class WebhookDispatcher:
    def __init__(
        self,
        outbound: Callable[[], Outbound],
        endpoints: Callable[[str, str], Sequence[tuple[dict[str, Any], str]]],
    ) -> None:
        self.outbound = outbound
        self.endpoints = endpoints

    def count(self, account: str, event_type: str) -> int:
        return len(self.endpoints(account, event_type))

    def deliver(self, event: StripeEvent) -> None:
        targets = self.endpoints(event.account, event.type)
        if not targets:
            return  # most events go nowhere: do not serialize them
        payload = kept(pretty(event.body))  # stored with the delivery: exact size
        for endpoint, secret in targets:
            delivery = Delivery(
                service="stripe",
                account=event.account,
                url=endpoint["url"],
                body=payload,
                event=event.type,
                ref=event.id,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    "Stripe-Signature": sign(payload, secret),
                },
            )
            if event.in_order is not None:
                event.in_order.append(delivery)  # sent, in order, before the response
            else:
                self.outbound().send(delivery)
