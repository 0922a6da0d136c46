"""PaymentIntents: the confirm / capture / cancel state machine, declines and 3DS."""

from __future__ import annotations

from fakeservices.stripe import objects
from fakeservices.stripe.cards import (
    AUTH_REQUIRED,
    SLOW_SECONDS,
    CardSpec,
    Decline,
)
from fakeservices.stripe.errors import (
    HoldRequest,
    StripeError,
    decline_error_object,
    invalid,
    state_error,
)
from fakeservices.stripe.model.base import (
    MISSING_PM,
    PI_CANCELABLE,
    PI_CONFIRMABLE,
    RETURN_URL_REQUIRED,
    Account,
    Ctx,
    Obj,
    merge_metadata,
)
from fakeservices.stripe.model.customers import Customers
from fakeservices.stripe.objects import clone


class PaymentIntents(Customers):
    """PaymentIntents."""

    def create_payment_intent(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        cur = self.check_currency(p.get("currency"))
        self.check_amount(p["amount"], cur)
        p["currency"] = cur
        self._customer_ref(acct, p.get("customer"))
        if p.get("confirm"):
            spec = self._peek_spec(acct, p.get("payment_method"), p.get("payment_method_data"))
            if spec is not None and spec.outcome == "timeout":
                raise HoldRequest()
        elif p.get("payment_method_data") is not None:
            raise invalid(
                "payment_method_data can only be used with confirm=true.", "payment_method_data"
            )
        apm = p.get("automatic_payment_methods")
        if apm is None and p.get("payment_method_types") is None:
            apm = {"allow_redirects": "always", "enabled": True}
        elif apm is not None:
            apm = {"allow_redirects": apm.get("allow_redirects") or "always", **apm}
        if p.get("confirm"):
            self._check_return_url(
                {"automatic_payment_methods": apm}, p.get("return_url"), "PaymentIntent"
            )
        pm: Obj | None = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        pi = self._add(acct, objects.payment_intent(p, apm))
        if pm is not None:
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        self._emit(ctx, "payment_intent.created", pi)
        if p.get("confirm"):
            confirm = {
                k: p[k]
                for k in (
                    "payment_method_data",
                    "return_url",
                    "off_session",
                    "error_on_requires_action",
                )
                if p.get(k) is not None
            }
            return self.confirm_payment_intent(ctx, pi["id"], confirm)
        return pi

    def retrieve_payment_intent(self, ctx: Ctx, pi_id: str) -> Obj:
        return self.retrieve(ctx, pi_id, "payment_intent", "payment_intent", "intent")

    def _pi(self, acct: Account, pi_id: str) -> Obj:
        return self._get(acct, pi_id, "payment_intent", "payment_intent", "intent")

    def update_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        money = {"amount", "currency", "payment_method", "capture_method", "payment_method_types"}
        if money & set(p) and pi["status"] not in PI_CONFIRMABLE:
            field_name = sorted(money & set(p))[0]
            raise state_error(
                f"This PaymentIntent's {field_name} could not be updated because it has a status "
                f"of {pi['status']}. You may only update the {field_name} of a PaymentIntent "
                "with one of the following statuses: requires_payment_method, "
                "requires_confirmation, requires_action.",
                "payment_intent",
                clone(pi),
            )
        cur = self.check_currency(p["currency"]) if "currency" in p else pi["currency"]
        if "amount" in p:
            self.check_amount(p["amount"], cur)
        self._customer_ref(acct, p.get("customer"))
        pm = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                merge_metadata(pi, value)
            elif key == "currency":
                pi["currency"] = cur
            else:
                pi[key] = value
        if pm is not None:
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        return pi

    def _check_return_url(self, intent: Obj, return_url: str | None, kind: str) -> None:
        apm = intent.get("automatic_payment_methods") or {}
        if apm.get("enabled") and apm.get("allow_redirects") != "never" and not return_url:
            raise StripeError(400, RETURN_URL_REQUIRED.format(kind=kind))

    def _pm_for_confirm(
        self, acct: Account, intent: Obj, p: Obj, return_url: str | None, missing_message: str
    ) -> Obj:
        """The PaymentMethod a PaymentIntent or SetupIntent confirm uses: the one given (by id or
        ``payment_method_data``) or the intent's own. A timeout card holds the request before
        anything changes."""
        kind = intent["object"]
        pm_value = p.get("payment_method")
        data = p.get("payment_method_data")
        if pm_value is None and data is None:
            pm_value = intent["payment_method"]
        spec = self._peek_spec(acct, pm_value, data)
        if spec is not None and spec.outcome == "timeout":
            raise HoldRequest()
        if pm_value is None and data is None:
            raise StripeError(
                400, missing_message, code=f"{kind}_unexpected_state", extra={kind: clone(intent)}
            )
        label = "PaymentIntent" if kind == "payment_intent" else "SetupIntent"
        self._check_return_url(intent, return_url, label)
        if data is not None:
            return self._pm_from_data(acct, data, "payment_method_data")
        return self._resolve_pm(acct, str(pm_value), "payment_method")

    def confirm_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        status = pi["status"]
        if status not in PI_CONFIRMABLE:
            if status == "succeeded":
                msg = (
                    "You cannot confirm this PaymentIntent because it has already succeeded "
                    "after being previously confirmed."
                )
            else:
                msg = (
                    f"You cannot confirm this PaymentIntent because it has a status of {status}. "
                    "Only a PaymentIntent with one of the following statuses may be confirmed: "
                    "requires_payment_method, requires_confirmation, requires_action."
                )
            raise state_error(msg, "payment_intent", clone(pi))
        return_url = p.get("return_url") or acct.return_urls.get(pi_id)
        pm = self._pm_for_confirm(acct, pi, p, return_url, MISSING_PM)
        if return_url:
            acct.return_urls[pi_id] = return_url
        for key in ("receipt_email", "setup_future_usage", "shipping", "capture_method"):
            if p.get(key) is not None:
                pi[key] = p[key]
        pi["payment_method"] = pm["id"]
        pi["last_payment_error"] = None
        off_session = p.get("off_session") not in (None, "false", False)
        strict = bool(p.get("error_on_requires_action")) or off_session
        err = self._attempt(ctx, acct, pi, pm, acct.specs[pm["id"]], strict, return_url)
        if err is not None:
            raise err
        return pi

    def _attempt(
        self,
        ctx: Ctx,
        acct: Account,
        pi: Obj,
        pm: Obj,
        spec: CardSpec,
        strict: bool,
        return_url: str | None,
    ) -> StripeError | None:
        """Charge ``pm`` for ``pi``; a returned error is the 402 to raise (state already set)."""
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        authenticated = pi["id"] in acct.authenticated
        if spec.outcome == "three_ds" and not authenticated:
            set_up = pm["id"] in acct.set_up and spec.number == "4000002500003155"
            if strict and not set_up:
                return self._decline_pi(ctx, acct, pi, pm, spec, AUTH_REQUIRED)
            if not set_up:
                pi["status"] = "requires_action"
                pi["next_action"] = objects.next_action(pi, return_url)
                self._emit(ctx, "payment_intent.requires_action", pi)
                return None
        if spec.decline is not None and spec.outcome in ("decline", "charge_decline", "three_ds"):
            return self._decline_pi(ctx, acct, pi, pm, spec, spec.decline)
        self._succeed_pi(ctx, acct, pi, pm, spec)
        return None

    def _succeed_pi(self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec) -> None:
        manual = pi["capture_method"] == "manual"
        ch = objects.charge(
            amount=pi["amount"],
            currency=pi["currency"],
            spec=spec,
            card=pm["card"],
            pm_id=pm["id"],
            source=None,
            customer=pi["customer"],
            payment_intent=pi["id"],
            captured=not manual,
            decline=None,
            fields={
                "description": pi["description"],
                "metadata": dict(pi["metadata"]),
                "receipt_email": pi["receipt_email"],
                "shipping": pi["shipping"],
                "statement_descriptor": pi["statement_descriptor"],
                "statement_descriptor_suffix": pi["statement_descriptor_suffix"],
            },
        )
        if pi["id"] in acct.authenticated:
            ch["payment_method_details"]["card"]["three_d_secure"] = objects.three_d_secure()
        if not manual:
            ch["balance_transaction"] = self._txn(acct, pi["amount"], pi["currency"], ch["id"])
        self._add(acct, ch)
        pi["latest_charge"] = ch["id"]
        pi["next_action"] = None
        pi["last_payment_error"] = None
        if manual:
            pi["status"] = "requires_capture"
            pi["amount_capturable"] = pi["amount"]
        else:
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]
        if pi["setup_future_usage"] and pi["customer"] and pm["customer"] is None:
            pm["customer"] = pi["customer"]
            self._emit(ctx, "payment_method.attached", pm)
        self._emit(ctx, "charge.succeeded", ch)
        if manual:
            self._emit(ctx, "payment_intent.amount_capturable_updated", pi)
        else:
            self._emit(ctx, "payment_intent.succeeded", pi)

    def _txn(self, acct: Account, amount: int, cur: str, source: str, kind: str = "charge") -> str:
        txn = self._add(acct, objects.balance_transaction(amount, cur, source, kind))
        return str(txn["id"])

    def _decline_pi(
        self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec, d: Decline
    ) -> StripeError:
        ch = objects.charge(
            amount=pi["amount"],
            currency=pi["currency"],
            spec=spec,
            card=pm["card"],
            pm_id=pm["id"],
            source=None,
            customer=pi["customer"],
            payment_intent=pi["id"],
            captured=False,
            decline=d,
            fields={"description": pi["description"], "metadata": dict(pi["metadata"])},
        )
        self._add(acct, ch)
        pi["last_payment_error"] = decline_error_object(
            d, charge=ch["id"], payment_method=clone(pm)
        )
        pi["latest_charge"] = ch["id"]
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["next_action"] = None
        acct.authenticated.discard(pi["id"])
        self._emit(ctx, "charge.failed", ch)
        self._emit(ctx, "payment_intent.payment_failed", pi)
        return self._card_error(
            d,
            charge=ch["id"],
            payment_intent=clone(pi),
            payment_method=clone(pm),
        )

    def capture_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] != "requires_capture":
            raise state_error(
                "This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "captured: requires_capture.",
                "payment_intent",
                clone(pi),
            )
        amount = p.get("amount_to_capture")
        if amount is None:
            amount = pi["amount_capturable"]
        if amount < 1:
            raise invalid("This value must be greater than or equal to 1.", "amount_to_capture")
        if amount > pi["amount_capturable"]:
            raise invalid(
                "The amount_to_capture must be less than or equal to the amount_capturable "
                f"({pi['amount_capturable']}) on this PaymentIntent.",
                "amount_to_capture",
                "amount_too_large",
            )
        ch = acct.objects[pi["latest_charge"]]
        previous = {"amount_captured": ch["amount_captured"], "captured": False}
        ch["captured"] = True
        ch["amount_captured"] = amount
        ch["balance_transaction"] = self._txn(acct, amount, ch["currency"], ch["id"])
        if "metadata" in p:
            merge_metadata(pi, p["metadata"])
        pi["status"] = "succeeded"
        pi["amount_received"] = amount
        pi["amount_capturable"] = 0
        self._emit(ctx, "charge.captured", ch, previous)
        self._emit(ctx, "payment_intent.succeeded", pi)
        return pi

    def cancel_payment_intent(self, ctx: Ctx, pi_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] not in PI_CANCELABLE:
            raise state_error(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
                "payment_intent",
                clone(pi),
            )
        if pi["status"] == "requires_capture":
            ch = acct.objects[pi["latest_charge"]]
            ch["amount_refunded"] = ch["amount"]
            ch["refunded"] = True
        pi["status"] = "canceled"
        pi["canceled_at"] = objects.now()
        pi["cancellation_reason"] = p.get("cancellation_reason")
        pi["amount_capturable"] = 0
        pi["next_action"] = None
        self._emit(ctx, "payment_intent.canceled", pi)
        return pi

    def list_payment_intents(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus = p.get("customer")
        return self.list_of(
            ctx,
            "payment_intent",
            p,
            "payment_intent",
            None if cus is None else lambda o: o["customer"] == cus,
        )

    # -- charges (legacy source=tok_*) and refunds -------------------------------------------
