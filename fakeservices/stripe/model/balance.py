"""The balance and its BalanceTransactions (one per captured charge and per refund)."""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import get, list_of
from fakeservices.stripe.model.resource import Page, Resource, endpoint

LIST = P.LIST.extend({"source": P.Str(), "type": P.Str()})


@dataclass(eq=False)
class Balance(Resource):
    expandable = {"balance_transaction": frozenset({"source"})}

    accounts: Accounts

    def record(
        self, ctx: Ctx, acct: Account, amount: int, cur: str, source: str, kind: str = "charge"
    ) -> str:
        """Book ``amount`` (negative for a refund); the new transaction's id."""
        txn = acct.put(objects.balance_transaction(amount, cur, source, kind, ctx.now()))
        return str(txn["id"])

    @endpoint("GET", "/v1/balance", P.ONLY_EXPAND)
    def balance(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
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

    @endpoint("GET", "/v1/balance_transactions/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, txn_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        return get(acct, txn_id, "balance_transaction", "balance transaction")

    @endpoint("GET", "/v1/balance_transactions", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        return list_of(acct, "balance_transaction", p, "balance transaction")
