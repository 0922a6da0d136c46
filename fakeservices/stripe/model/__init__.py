"""The Stripe domain model: accounts, objects and the PaymentIntent / SetupIntent state machines.

No HTTP here. Operations take a :class:`Ctx` (the account and the request it came from) and
validated parameters, mutate the account's objects, emit events through the injected
``emit`` callback and return the resulting object, or raise :class:`StripeError` (rendered by
the wire adapter) or :class:`HoldRequest` (a timeout card: nothing has changed).

Each resource is one module and one layer of a single inheritance chain, so that a layer can use
the ones below it: ``base`` (accounts, shared checks) -> ``payment_methods`` (tokens, cards) ->
``customers`` -> ``payment_intents`` -> ``charges`` (and refunds) -> ``setup_intents`` ->
:class:`StripeModel` here (the 3DS hook, which serves both intents, WebhookEndpoints, balance).
"""

from __future__ import annotations

from collections.abc import Iterable

from fakeservices.core.ids import alnum
from fakeservices.stripe import objects
from fakeservices.stripe.cards import AUTH_FAILED_MESSAGE, SETUP_AUTH_FAILED_MESSAGE
from fakeservices.stripe.errors import doc_url, invalid, missing
from fakeservices.stripe.model.base import (
    IDEMPOTENCY_KEYS_PER_ACCOUNT,
    Account,
    Ctx,
    IdemRecord,
    Obj,
    created_filter,
    merge_metadata,
    paginate,
)
from fakeservices.stripe.model.setup_intents import SetupIntents
from fakeservices.stripe.objects import clone


class StripeModel(SetupIntents):
    """Every resource, plus the admin 3DS hook, WebhookEndpoints and the balance."""

    def authenticate(self, ctx: Ctx, intent_id: str, succeed: bool) -> Obj:
        """Complete (or fail) a pending 3DS challenge: our admin hook, no browser needed."""
        acct = self.account(ctx.account)
        intent = acct.objects[intent_id]
        pm = acct.objects[intent["payment_method"]]
        spec = acct.specs[pm["id"]]
        if intent["object"] == "setup_intent":
            if succeed:
                acct.authenticated.add(intent_id)
                self._succeed_si(ctx, acct, intent, pm)
            else:
                self._fail_si(
                    ctx,
                    acct,
                    intent,
                    pm,
                    "setup_intent_authentication_failure",
                    SETUP_AUTH_FAILED_MESSAGE,
                )
            return intent
        if succeed:
            acct.authenticated.add(intent_id)
            self._attempt(ctx, acct, intent, pm, spec, False, None)
            return intent
        intent["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": doc_url("payment_intent_authentication_failure"),
            "message": AUTH_FAILED_MESSAGE,
            "payment_method": clone(pm),
            "type": "invalid_request_error",
        }
        intent["status"] = "requires_payment_method"
        intent["payment_method"] = None
        intent["next_action"] = None
        self._emit(ctx, "payment_intent.payment_failed", intent)
        return intent

    def create_webhook_endpoint(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        url = p["url"]
        if not url.startswith(("http://", "https://")):
            raise invalid(f"Invalid URL: {url}", "url", "url_invalid")
        if not p["enabled_events"]:
            raise missing("enabled_events")
        secret = f"whsec_{alnum(32)}"
        we = objects.webhook_endpoint(p, secret)
        acct.secrets[we["id"]] = secret
        stored = dict(we)
        del stored["secret"]
        self._add(acct, stored)
        return we

    def webhook_endpoint(self, ctx: Ctx, we_id: str) -> Obj:
        return self._get(self.account(ctx.account), we_id, "webhook_endpoint", "webhook_endpoint")

    def update_webhook_endpoint(self, ctx: Ctx, we_id: str, p: Obj) -> Obj:
        we = self.webhook_endpoint(ctx, we_id)
        for key, value in p.items():
            if key == "expand":
                continue
            if key == "metadata":
                merge_metadata(we, value)
            elif key == "disabled":
                we["status"] = "disabled" if value else "enabled"
            else:
                we[key] = value
        return we

    def delete_webhook_endpoint(self, ctx: Ctx, we_id: str) -> Obj:
        acct = self.account(ctx.account)
        self.webhook_endpoint(ctx, we_id)
        acct.remove(we_id)
        acct.secrets.pop(we_id, None)
        return objects.deleted(we_id, "webhook_endpoint")

    def endpoints_for(self, key: str, event_type: str) -> Iterable[tuple[Obj, str]]:
        acct = self.accounts.get(key)
        if acct is None:
            return []
        return [
            (we, acct.secrets[we["id"]])
            for we in acct.of_kind("webhook_endpoint")
            if we["status"] == "enabled"
            and ("*" in we["enabled_events"] or event_type in we["enabled_events"])
        ]

    # -- balance -----------------------------------------------------------------------------
    def balance(self, ctx: Ctx) -> Obj:
        acct = self.account(ctx.account)
        totals: dict[str, int] = {}
        for txn in acct.of_kind("balance_transaction"):
            totals[txn["currency"]] = totals.get(txn["currency"], 0) + txn["net"]
        pending = [
            {"amount": v, "currency": k, "source_types": {"card": v}} for k, v in totals.items()
        ] or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
        return {
            "object": "balance",
            "available": [
                {"amount": 0, "currency": x["currency"], "source_types": {"card": 0}}
                for x in pending
            ],
            "livemode": False,
            "pending": pending,
        }

    def retrieve_balance_transaction(self, ctx: Ctx, txn_id: str) -> Obj:
        return self._get(
            self.account(ctx.account), txn_id, "balance_transaction", "balance transaction"
        )


__all__ = [
    "IDEMPOTENCY_KEYS_PER_ACCOUNT",
    "Account",
    "Ctx",
    "IdemRecord",
    "Obj",
    "StripeModel",
    "created_filter",
    "paginate",
]
