"""The Stripe domain model: accounts, objects and the PaymentIntent / SetupIntent state machines.

No HTTP here. Operations take a :class:`Ctx` (the account, the request it came from and its
clock) and validated parameters, mutate the account's objects, emit events through the injected
emitter and return the resulting object, or raise :class:`StripeError` (rendered by the wire
adapter) or :class:`HoldRequest` (a timeout card: nothing has changed).

:class:`StripeModel` composes it: the shared :class:`Accounts` (the bounded store), an
:class:`Emitter` and the event log, then one object per resource, each handed the others it
needs. Shared checks are plain functions (``checks``, ``card_data``). The wire reads the
endpoints every resource declares from :attr:`StripeModel.resources`.
"""

from __future__ import annotations

from typing import TypeVar

from fakeservices.stripe.errors import no_such
from fakeservices.stripe.model.accounts import (
    IDEMPOTENCY_KEYS_PER_ACCOUNT,
    Account,
    Accounts,
    Ctx,
    IdemRecord,
    Obj,
)
from fakeservices.stripe.model.balance import Balance
from fakeservices.stripe.model.charges import Charges
from fakeservices.stripe.model.checkout_sessions import CheckoutSessions
from fakeservices.stripe.model.customers import Customers
from fakeservices.stripe.model.emitter import Emitter, EventSink
from fakeservices.stripe.model.events import EventReader, Events
from fakeservices.stripe.model.invoice_items import InvoiceItems
from fakeservices.stripe.model.invoices import Invoices
from fakeservices.stripe.model.payment_intents import PaymentIntents
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.prices import Prices
from fakeservices.stripe.model.products import Products
from fakeservices.stripe.model.refunds import Refunds
from fakeservices.stripe.model.resource import Endpoint, Page, Resource, SearchPage
from fakeservices.stripe.model.searches import Searches
from fakeservices.stripe.model.setup_intents import SetupIntents
from fakeservices.stripe.model.sources import CustomerSources
from fakeservices.stripe.model.subscriptions import Subscriptions
from fakeservices.stripe.model.test_clocks import TestClocks
from fakeservices.stripe.model.tokens import Tokens
from fakeservices.stripe.model.webhook_endpoints import WebhookEndpoints

R = TypeVar("R", bound=Resource)


class StripeModel:
    """Every resource, composed over one set of accounts and one event log."""

    def __init__(self, accounts: Accounts, sink: EventSink, events: EventReader) -> None:
        self.accounts = accounts
        emit = Emitter(sink)
        #: Every resource the wire serves, in the order they were built.
        self.resources: list[Resource] = []
        serve = self._serve
        self.balance = serve(Balance(accounts))
        self.tokens = serve(Tokens(accounts))
        self.payment_methods = serve(PaymentMethods(accounts, emit))
        self.sources = serve(CustomerSources(accounts, emit))
        self.customers = serve(Customers(accounts, emit, self.payment_methods, self.sources))
        self.payment_intents = serve(
            PaymentIntents(accounts, emit, self.payment_methods, self.balance)
        )
        self.refunds = serve(Refunds(accounts, emit, self.balance))
        self.charges = serve(
            Charges(accounts, emit, self.payment_intents, self.refunds, self.balance)
        )
        self.setup_intents = serve(SetupIntents(accounts, emit, self.payment_methods))
        self.webhook_endpoints = serve(WebhookEndpoints(accounts))
        self.products = serve(Products(accounts, emit))
        self.prices = serve(Prices(accounts, emit))
        self.events = serve(Events(events))
        self.invoices = serve(Invoices(accounts, emit, self.payment_intents, self.payment_methods))
        self.invoice_items = serve(InvoiceItems(accounts, emit))
        self.subscriptions = serve(
            Subscriptions(accounts, emit, self.invoices, self.payment_methods)
        )
        self.test_clocks = serve(TestClocks(accounts, emit, self.subscriptions))
        self.checkout_sessions = serve(
            CheckoutSessions(
                accounts,
                emit,
                self.customers,
                self.payment_intents,
                self.setup_intents,
                self.subscriptions,
            )
        )
        self.searches = serve(Searches(accounts))

    def _serve(self, resource: R) -> R:
        self.resources.append(resource)
        return resource

    def authenticate(self, ctx: Ctx, intent_id: str, succeed: bool) -> Obj:
        """Complete (or fail) a pending 3DS challenge: our admin hook, no browser needed."""
        acct = self.accounts.open(ctx.account)
        intent = acct.objects.get(intent_id)
        if intent is None:
            raise no_such("intent", intent_id)
        if intent["object"] == "setup_intent":
            result = self.setup_intents.authenticate(ctx, acct, intent, succeed)
        else:
            result = self.payment_intents.authenticate(ctx, acct, intent, succeed)
        self.checkout_sessions.settled(ctx, acct, result)
        return result


__all__ = [
    "IDEMPOTENCY_KEYS_PER_ACCOUNT",
    "Account",
    "Accounts",
    "Ctx",
    "Endpoint",
    "IdemRecord",
    "Obj",
    "Page",
    "Resource",
    "SearchPage",
    "StripeModel",
]
