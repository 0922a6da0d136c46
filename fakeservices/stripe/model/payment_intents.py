"""PaymentIntents: the confirm / capture / cancel state machine, declines and 3DS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.cards import (
    AUTH_FAILED_MESSAGE,
    AUTH_REQUIRED,
    GENERIC,
    SLOW_SECONDS,
    CardSpec,
    Decline,
)
from fakeservices.stripe.errors import (
    StripeError,
    card_error,
    decline_error_object,
    doc_url,
    invalid,
    state_error,
)
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.balance import Balance
from fakeservices.stripe.model.checks import (
    check_amount,
    check_currency,
    customer_ref,
    get,
    list_of,
    merge_metadata,
    retrieve,
    use_payment_method,
    wrong_status,
)
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.payment_methods import PaymentMethods
from fakeservices.stripe.model.resource import Page, Resource, endpoint, fields
from fakeservices.stripe.objects import clone

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
#: What a successful Charge copies from its PaymentIntent (a declined one: the description).
CHARGE_FIELDS = (
    "description",
    "receipt_email",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
)
MISSING_PM = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
    "either update the PaymentIntent with a payment method and then confirm it again, or "
    "confirm it again directly with a payment method."
)

CAPTURE_METHODS = P.Enum(("automatic", "automatic_async", "manual"))
COMMON: dict[str, P.Field] = {
    "description": P.Str(),
    "metadata": P.Meta(),
    "receipt_email": P.Str(),
    "setup_future_usage": P.SETUP_FUTURE,
    "shipping": P.SHIPPING,
    "statement_descriptor": P.Str(22),
    "statement_descriptor_suffix": P.Str(22),
    "payment_method": P.Str(),
    "payment_method_data": P.PM_DATA,
    "payment_method_options": P.AnyValue(),
    "payment_method_types": P.Arr(P.Str()),
    "capture_method": CAPTURE_METHODS,
    "expand": P.EXPAND,
    "transfer_group": P.Str(),
    "application_fee_amount": P.Int(),
    "transfer_data": P.AnyValue(),
    "payment_method_configuration": P.Str(),
    "excluded_payment_method_types": P.Arr(P.Str()),
}
CONFIRM_EXTRA: dict[str, P.Field] = {
    "return_url": P.Str(),
    "off_session": P.AnyValue(),
    "error_on_requires_action": P.Bool(),
    "mandate": P.Str(),
    "mandate_data": P.AnyValue(),
    "use_stripe_sdk": P.Bool(),
    "confirmation_token": P.Str(),
    "radar_options": P.AnyValue(),
}
CREATE = P.Obj(
    {
        **COMMON,
        **CONFIRM_EXTRA,
        "amount": P.AMOUNT,
        "currency": P.Str(),
        "customer": P.Str(),
        "confirm": P.Bool(),
        "confirmation_method": P.Enum(("automatic", "manual")),
        "automatic_payment_methods": P.AUTOMATIC_PMS,
        "on_behalf_of": P.Str(),
        "amount_details": P.AnyValue(),
    },
    required=("amount", "currency"),
)
UPDATE = P.Obj({**COMMON, "amount": P.AMOUNT, "currency": P.Str(), "customer": P.Str()})
CONFIRM = P.Obj(
    {
        **CONFIRM_EXTRA,
        "payment_method": P.Str(),
        "payment_method_data": P.PM_DATA,
        "payment_method_options": P.AnyValue(),
        "payment_method_types": P.Arr(P.Str()),
        "receipt_email": P.Str(),
        "setup_future_usage": P.SETUP_FUTURE,
        "shipping": P.SHIPPING,
        "capture_method": CAPTURE_METHODS,
        "expand": P.EXPAND,
    }
)
CAPTURE = P.Obj(
    {
        "amount_to_capture": P.Int(),
        "metadata": P.Meta(),
        "statement_descriptor": P.Str(22),
        "statement_descriptor_suffix": P.Str(22),
        "application_fee_amount": P.Int(),
        "final_capture": P.Bool(),
        "transfer_data": P.AnyValue(),
        "expand": P.EXPAND,
    }
)
CANCEL = P.Obj(
    {
        "cancellation_reason": P.Enum(
            ("abandoned", "duplicate", "fraudulent", "requested_by_customer")
        ),
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend({"customer": P.Str()})
RETRIEVE = P.ONLY_EXPAND.extend({"client_secret": P.Str()})


@dataclass(eq=False)
class PaymentIntents(Resource):
    expandable = {
        "payment_intent": fields(
            "customer payment_method latest_charge application on_behalf_of review source "
            "payment_method_configuration_details"
        )
    }

    accounts: Accounts
    emit: Emitter
    payment_methods: PaymentMethods
    balance: Balance
    #: Called with each intent that succeeds (an invoice's is then paid).
    on_succeeded: list[Callable[[Ctx, Account, Obj], None]] = field(default_factory=list)

    # -- what other resources use ----------------------------------------------------------
    def for_invoice(
        self, ctx: Ctx, acct: Account, amount: int, currency: str, customer: str, description: str
    ) -> Obj:
        """The PaymentIntent collecting an invoice (cards only, as Billing creates them)."""
        p: Obj = {
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "description": description,
            "payment_method_types": ["card"],
            "setup_future_usage": "off_session",
        }
        pi = acct.put(objects.payment_intent(p, None, ctx.now()))
        self.emit(ctx, "payment_intent.created", pi)
        return pi

    def charge(self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj) -> StripeError | None:
        """Confirm ``pi`` with ``pm`` now (Billing's automatic collection): it succeeds, needs
        3DS (``requires_action``) or is declined (the returned card error; state already set)."""
        pi["payment_method"] = pm["id"]
        pi["last_payment_error"] = None
        return self._attempt(ctx, acct, pi, pm, acct.specs[pm["id"]], False, None)

    def _pi(self, acct: Account, pi_id: str) -> Obj:
        return get(acct, pi_id, "payment_intent", "payment_intent", "intent")

    @endpoint("POST", "/v1/payment_intents", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        cur = check_currency(p.get("currency"))
        check_amount(p["amount"], cur)
        p["currency"] = cur
        customer_ref(acct, p.get("customer"))
        if not p.get("confirm") and p.get("payment_method_data") is not None:
            raise invalid(
                "payment_method_data can only be used with confirm=true.", "payment_method_data"
            )
        apm, pm = self.payment_methods.for_new_intent(ctx, acct, p, "PaymentIntent")
        pi = acct.put(objects.payment_intent(p, apm, ctx.now()))
        use_payment_method(pi, pm)
        self.emit(ctx, "payment_intent.created", pi)
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
            return self.confirm(ctx, confirm, pi["id"])
        return pi

    @endpoint("GET", "/v1/payment_intents/{id}", RETRIEVE)
    def retrieve(self, ctx: Ctx, p: Obj, pi_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        return retrieve(acct, pi_id, "payment_intent", "payment_intent", "intent")

    @endpoint("POST", "/v1/payment_intents/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, pi_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pi = self._pi(acct, pi_id)
        money = {"amount", "currency", "payment_method", "capture_method", "payment_method_types"}
        if money & set(p) and pi["status"] not in CONFIRMABLE:
            field_name = sorted(money & set(p))[0]
            raise state_error(
                f"This PaymentIntent's {field_name} could not be updated because it has a status "
                f"of {pi['status']}. You may only update the {field_name} of a PaymentIntent "
                "with one of the following statuses: requires_payment_method, "
                "requires_confirmation, requires_action.",
                "payment_intent",
                clone(pi),
            )
        cur = check_currency(p["currency"]) if "currency" in p else pi["currency"]
        if "amount" in p:
            check_amount(p["amount"], cur)
        customer_ref(acct, p.get("customer"))
        pm = None
        if p.get("payment_method") is not None:
            pm = self.payment_methods.resolve(ctx, acct, p["payment_method"], "payment_method")
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                merge_metadata(pi, value)
            elif key == "currency":
                pi["currency"] = cur
            else:
                pi[key] = value
        use_payment_method(pi, pm)
        return pi

    @endpoint("POST", "/v1/payment_intents/{id}/confirm", CONFIRM)
    def confirm(self, ctx: Ctx, p: Obj, pi_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] == "succeeded":
            raise state_error(
                "You cannot confirm this PaymentIntent because it has already succeeded after "
                "being previously confirmed.",
                "payment_intent",
                clone(pi),
            )
        if pi["status"] not in CONFIRMABLE:
            raise wrong_status(pi, "confirm", CONFIRMABLE)
        return_url = p.get("return_url") or acct.return_urls.get(pi_id)
        pm = self.payment_methods.for_confirm(ctx, acct, pi, p, return_url, MISSING_PM)
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
                return self._decline(ctx, acct, pi, pm, spec, AUTH_REQUIRED)
            if not set_up:
                pi["status"] = "requires_action"
                pi["next_action"] = objects.next_action(pi, return_url)
                self.emit(ctx, "payment_intent.requires_action", pi)
                return None
        if spec.decline is not None and spec.outcome in ("decline", "charge_decline", "three_ds"):
            return self._decline(ctx, acct, pi, pm, spec, spec.decline)
        self._succeed(ctx, acct, pi, pm, spec)
        return None

    @staticmethod
    def _charge(
        ctx: Ctx, pi: Obj, pm: Obj, spec: CardSpec, decline: Decline | None, fields: tuple[str, ...]
    ) -> Obj:
        """The Charge of one attempt, carrying the intent's ``fields``."""
        return objects.charge(
            amount=pi["amount"],
            currency=pi["currency"],
            spec=spec,
            card=pm["card"],
            pm_id=pm["id"],
            source=None,
            customer=pi["customer"],
            payment_intent=pi["id"],
            captured=decline is None and pi["capture_method"] != "manual",
            decline=decline,
            fields={"metadata": dict(pi["metadata"]), **{k: pi[k] for k in fields}},
            created=ctx.now(),
        )

    def _succeed(self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec) -> None:
        manual = pi["capture_method"] == "manual"
        ch = self._charge(ctx, pi, pm, spec, None, CHARGE_FIELDS)
        if pi["id"] in acct.authenticated:
            ch["payment_method_details"]["card"]["three_d_secure"] = objects.three_d_secure()
        if not manual:
            ch["balance_transaction"] = self.balance.record(
                ctx, acct, pi["amount"], pi["currency"], ch["id"]
            )
        acct.put(ch)
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
            self.emit(ctx, "payment_method.attached", pm)
        self.emit(ctx, "charge.succeeded", ch)
        if manual:
            self.emit(ctx, "payment_intent.amount_capturable_updated", pi)
        else:
            self.emit(ctx, "payment_intent.succeeded", pi)
            for hook in self.on_succeeded:
                hook(ctx, acct, pi)

    def _decline(
        self, ctx: Ctx, acct: Account, pi: Obj, pm: Obj, spec: CardSpec, d: Decline
    ) -> StripeError:
        ch = self._charge(ctx, pi, pm, spec, d, ("description",))
        acct.put(ch)
        pi["last_payment_error"] = decline_error_object(
            d, charge=ch["id"], payment_method=clone(pm)
        )
        pi["latest_charge"] = ch["id"]
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["next_action"] = None
        acct.authenticated.discard(pi["id"])
        self.emit(ctx, "charge.failed", ch)
        self.emit(ctx, "payment_intent.payment_failed", pi)
        return card_error(d, charge=ch["id"], payment_intent=clone(pi), payment_method=clone(pm))

    def authenticate(self, ctx: Ctx, acct: Account, pi: Obj, succeed: bool) -> Obj:
        """Complete (or fail) the pending 3DS challenge of ``pi`` (our admin hook)."""
        pm = get(acct, pi["payment_method"], "payment_method", "PaymentMethod", "payment_method")
        if succeed:
            acct.authenticated.add(pi["id"])
            self._attempt(ctx, acct, pi, pm, acct.specs[pm["id"]], False, None)
            return pi
        pi["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": doc_url("payment_intent_authentication_failure"),
            "message": AUTH_FAILED_MESSAGE,
            "payment_method": clone(pm),
            "type": "invalid_request_error",
        }
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["next_action"] = None
        self.emit(ctx, "payment_intent.payment_failed", pi)
        return pi

    def process(self, ctx: Ctx, acct: Account, pi: Obj, pm_value: str) -> Obj:
        """Our extension: ``pi`` paid by a delayed method waits in ``processing`` for
        :meth:`settle` (what a bank debit does on Stripe; cards never do)."""
        if pi["status"] not in CONFIRMABLE:
            raise wrong_status(pi, "confirm", CONFIRMABLE)
        pm = self.payment_methods.resolve(ctx, acct, pm_value, "payment_method")
        pi["payment_method"] = pm["id"]
        pi["last_payment_error"] = None
        pi["next_action"] = None
        pi["status"] = "processing"
        self.emit(ctx, "payment_intent.processing", pi)
        return pi

    def settle(self, ctx: Ctx, acct: Account, pi: Obj, succeed: bool) -> Obj:
        """The outcome of a ``processing`` payment: it succeeds (Charge, balance) or fails back
        to ``requires_payment_method`` with a failed Charge, as a returned debit does."""
        pm = get(acct, pi["payment_method"], "payment_method", "PaymentMethod", "payment_method")
        spec = acct.specs[pm["id"]]
        if succeed:
            self._succeed(ctx, acct, pi, pm, spec)
        else:
            self._decline(ctx, acct, pi, pm, spec, GENERIC)
        return pi

    @endpoint("POST", "/v1/payment_intents/{id}/capture", CAPTURE)
    def capture(self, ctx: Ctx, p: Obj, pi_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
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
        ch = get(acct, pi["latest_charge"], "charge", "charge")
        previous = {"amount_captured": ch["amount_captured"], "captured": False}
        ch["captured"] = True
        ch["amount_captured"] = amount
        ch["balance_transaction"] = self.balance.record(ctx, acct, amount, ch["currency"], ch["id"])
        if "metadata" in p:
            merge_metadata(pi, p["metadata"])
        pi["status"] = "succeeded"
        pi["amount_received"] = amount
        pi["amount_capturable"] = 0
        self.emit(ctx, "charge.captured", ch, previous)
        self.emit(ctx, "payment_intent.succeeded", pi)
        return pi

    @endpoint("POST", "/v1/payment_intents/{id}/cancel", CANCEL)
    def cancel(self, ctx: Ctx, p: Obj, pi_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        pi = self._pi(acct, pi_id)
        if pi["status"] not in CANCELABLE:
            raise wrong_status(pi, "cancel", CANCELABLE)
        if pi["status"] == "requires_capture":
            ch = get(acct, pi["latest_charge"], "charge", "charge")
            ch["amount_refunded"] = ch["amount"]
            ch["refunded"] = True
        pi["status"] = "canceled"
        pi["canceled_at"] = ctx.now()
        pi["cancellation_reason"] = p.get("cancellation_reason")
        pi["amount_capturable"] = 0
        pi["next_action"] = None
        self.emit(ctx, "payment_intent.canceled", pi)
        return pi

    @endpoint("GET", "/v1/payment_intents", LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        return list_of(acct, "payment_intent", p, "payment_intent", customer=p.get("customer"))
