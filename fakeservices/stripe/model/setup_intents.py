"""SetupIntents: saving a card for later, with the same test cards and 3DS."""

from __future__ import annotations

from fakeservices.core.ids import alnum
from fakeservices.stripe import objects
from fakeservices.stripe.cards import (
    SLOW_SECONDS,
)
from fakeservices.stripe.errors import (
    HoldRequest,
    decline_error_object,
    doc_url,
    state_error,
)
from fakeservices.stripe.model.base import (
    SI_CANCELABLE,
    SI_CONFIRMABLE,
    SI_MISSING_PM,
    Account,
    Ctx,
    Obj,
    merge_metadata,
)
from fakeservices.stripe.model.charges import Charges
from fakeservices.stripe.objects import clone


class SetupIntents(Charges):
    """SetupIntents."""

    def _si(self, acct: Account, si_id: str) -> Obj:
        return self._get(acct, si_id, "setup_intent", "setupintent", "intent")

    def create_setup_intent(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        self._customer_ref(acct, p.get("customer"))
        if p.get("confirm"):
            spec = self._peek_spec(acct, p.get("payment_method"), p.get("payment_method_data"))
            if spec is not None and spec.outcome == "timeout":
                raise HoldRequest()
        apm = p.get("automatic_payment_methods")
        if apm is None and p.get("payment_method_types") is None:
            apm = {"allow_redirects": "always", "enabled": True}
        elif apm is not None:
            apm = {"allow_redirects": apm.get("allow_redirects") or "always", **apm}
        if p.get("confirm"):
            self._check_return_url(
                {"automatic_payment_methods": apm}, p.get("return_url"), "SetupIntent"
            )
        pm = None
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
        si = self._add(acct, objects.setup_intent(p, apm))
        if pm is not None:
            si["payment_method"] = pm["id"]
            si["status"] = "requires_confirmation"
        self._emit(ctx, "setup_intent.created", si)
        if p.get("confirm"):
            confirm = {k: p[k] for k in ("payment_method_data", "return_url") if p.get(k)}
            return self.confirm_setup_intent(ctx, si["id"], confirm)
        return si

    def retrieve_setup_intent(self, ctx: Ctx, si_id: str) -> Obj:
        return self._si(self.account(ctx.account), si_id)

    def update_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] in ("succeeded", "canceled"):
            raise state_error(
                f"You cannot update this SetupIntent because it has a status of {si['status']}.",
                "setup_intent",
                clone(si),
            )
        self._customer_ref(acct, p.get("customer"))
        for key, value in p.items():
            if key in ("expand", "payment_method", "payment_method_data"):
                continue
            if key == "metadata":
                merge_metadata(si, value)
            else:
                si[key] = value
        if p.get("payment_method") is not None:
            pm = self._resolve_pm(acct, p["payment_method"], "payment_method")
            si["payment_method"] = pm["id"]
            si["status"] = "requires_confirmation"
        return si

    def confirm_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in SI_CONFIRMABLE:
            raise state_error(
                f"You cannot confirm this SetupIntent because it has a status of {si['status']}. "
                "Only a SetupIntent with one of the following statuses may be confirmed: "
                "requires_payment_method, requires_confirmation, requires_action.",
                "setup_intent",
                clone(si),
            )
        return_url = p.get("return_url")
        pm = self._pm_for_confirm(acct, si, p, return_url, SI_MISSING_PM)
        si["payment_method"] = pm["id"]
        si["last_setup_error"] = None
        spec = acct.specs[pm["id"]]
        if spec.outcome == "slow":
            ctx.delay = SLOW_SECONDS
        if spec.outcome == "three_ds" and si["id"] not in acct.authenticated:
            si["status"] = "requires_action"
            si["next_action"] = objects.next_action(si, return_url)
            self._emit(ctx, "setup_intent.requires_action", si)
            return si
        if spec.outcome == "decline" and spec.decline is not None:
            d = spec.decline
            error = decline_error_object(d, payment_method=clone(pm))
            self._fail_si(ctx, acct, si, pm, d.code, d.message, error=error)
            raise self._card_error(d, setup_intent=clone(si), payment_method=clone(pm))
        self._succeed_si(ctx, acct, si, pm)
        return si

    def _succeed_si(self, ctx: Ctx, acct: Account, si: Obj, pm: Obj) -> None:
        si["status"] = "succeeded"
        si["next_action"] = None
        si["last_setup_error"] = None
        si["latest_attempt"] = f"setatt_{'1'}{alnum(23)}"
        acct.set_up.add(pm["id"])
        if si["customer"] and pm["customer"] is None:
            pm["customer"] = si["customer"]
            self._emit(ctx, "payment_method.attached", pm)
        self._emit(ctx, "setup_intent.succeeded", si)

    def _fail_si(
        self,
        ctx: Ctx,
        acct: Account,
        si: Obj,
        pm: Obj,
        code: str,
        message: str,
        error: Obj | None = None,
    ) -> None:
        """``error`` is a card decline's error object; else an ``invalid_request_error``."""
        if error is None:
            error = {
                "code": code,
                "doc_url": doc_url(code),
                "message": message,
                "payment_method": clone(pm),
                "type": "invalid_request_error",
            }
        si["last_setup_error"] = error
        si["status"] = "requires_payment_method"
        si["payment_method"] = None
        si["next_action"] = None
        self._emit(ctx, "setup_intent.setup_failed", si)

    def cancel_setup_intent(self, ctx: Ctx, si_id: str, p: Obj) -> Obj:
        acct = self.account(ctx.account)
        si = self._si(acct, si_id)
        if si["status"] not in SI_CANCELABLE:
            raise state_error(
                "You cannot cancel this SetupIntent because it has a status of "
                f"{si['status']}. Only a SetupIntent with one of the following statuses may be "
                "canceled: requires_payment_method, requires_confirmation, requires_action.",
                "setup_intent",
                clone(si),
            )
        si["status"] = "canceled"
        si["cancellation_reason"] = p.get("cancellation_reason")
        si["next_action"] = None
        self._emit(ctx, "setup_intent.canceled", si)
        return si

    def list_setup_intents(self, ctx: Ctx, p: Obj) -> tuple[list[Obj], bool]:
        cus, pm = p.get("customer"), p.get("payment_method")
        return self.list_of(
            ctx,
            "setup_intent",
            p,
            "setupintent",
            lambda o: (
                (cus is None or o["customer"] == cus) and (pm is None or o["payment_method"] == pm)
            ),
        )

    # -- webhook endpoints -------------------------------------------------------------------
