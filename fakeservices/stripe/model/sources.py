"""Customer sources: the legacy Card API under ``/v1/customers/{id}/sources``.

Apps written before PaymentMethods still attach ``tok_*`` cards to a customer and charge the
customer's ``default_source``. A source is a legacy ``card`` object whose ``customer`` is set;
attaching runs the card check (the decline rows answer their 402 and nothing is attached). The
first card attached becomes the default; deleting the default makes the most recently added
remaining card the default (or none), as Stripe does.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import StripeError, invalid
from fakeservices.stripe.model.accounts import Account, Accounts, Ctx, Obj
from fakeservices.stripe.model.card_data import card_check, token_spec
from fakeservices.stripe.model.checks import get, merge_metadata, paginate
from fakeservices.stripe.model.emitter import Emitter
from fakeservices.stripe.model.resource import Page, Resource, endpoint

CREATE = P.Obj(
    {"source": P.Str(), "metadata": P.Meta(), "validate": P.Bool(), "expand": P.EXPAND},
    required=("source",),
)
UPDATE = P.Obj(
    {
        **{
            k: P.Str()
            for k in (
                "address_city",
                "address_country",
                "address_line1",
                "address_line2",
                "address_state",
                "address_zip",
                "name",
            )
        },
        "exp_month": P.Str(),
        "exp_year": P.Str(),
        "metadata": P.Meta(),
        "expand": P.EXPAND,
    }
)
LIST = P.LIST.extend({"object": P.Str()})
#: The kinds of source this fake holds (bank accounts and Sources are not served).
KINDS = ("card",)


def no_linked_source(cus_id: str, src_id: str, param: str = "id", status: int = 404) -> StripeError:
    """Stripe's answer for a source that is not one of the customer's."""
    return StripeError(
        status,
        f"Customer {cus_id} does not have a linked source with ID {src_id}.",
        code="resource_missing",
        param=param,
    )


def source_of(acct: Account, cus: Obj, src_id: str, param: str = "id", status: int = 404) -> Obj:
    """The customer's card ``src_id``, or Stripe's "does not have a linked source" error."""
    card = acct.objects.get(src_id)
    if card is None or card["object"] not in KINDS or card.get("customer") != cus["id"]:
        raise no_linked_source(cus["id"], src_id, param, status)
    return card


def cards_of(acct: Account, cus_id: str) -> list[Obj]:
    """The customer's cards, newest first."""
    return [c for c in acct.of_kind("card") if c.get("customer") == cus_id]


@dataclass(eq=False)
class CustomerSources(Resource):
    accounts: Accounts
    emit: Emitter

    # -- what Customers use ---------------------------------------------------------------
    def attach(self, ctx: Ctx, acct: Account, cus: Obj, token: str, param: str = "source") -> Obj:
        """A card from ``token`` attached to ``cus`` (the default when it has none)."""
        spec = token_spec(acct, token, param)
        card_check(spec)
        m, y = objects.default_expiry(ctx.now())
        card = objects.legacy_card(spec, m, y, cus["id"])
        card["cvc_check"] = "pass"
        acct.put(card)
        acct.specs[card["id"]] = spec
        if cus["default_source"] is None:
            cus["default_source"] = card["id"]
        return card

    def detach(self, ctx: Ctx, acct: Account, cus: Obj, card: Obj) -> None:
        """Remove the card; the customer's newest remaining card becomes the default."""
        acct.remove(card["id"])
        if cus["default_source"] == card["id"]:
            rest = cards_of(acct, cus["id"])
            cus["default_source"] = rest[0]["id"] if rest else None

    # -- endpoints ------------------------------------------------------------------------
    @endpoint("POST", "/v1/customers/{id}/sources", CREATE)
    def create(self, ctx: Ctx, p: Obj, cus_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, cus_id, "customer", "customer")
        previous_default = cus["default_source"]
        card = self.attach(ctx, acct, cus, p["source"])
        if p.get("metadata"):
            merge_metadata(card, p["metadata"])
        self.emit(ctx, "customer.source.created", card)
        if cus["default_source"] != previous_default:
            self.emit(ctx, "customer.updated", cus, {"default_source": previous_default})
        return card

    @endpoint("GET", "/v1/customers/{id}/sources/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, cus_id: str, src_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        return source_of(acct, get(acct, cus_id, "customer", "customer"), src_id)

    @endpoint("POST", "/v1/customers/{id}/sources/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, cus_id: str, src_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        card = source_of(acct, get(acct, cus_id, "customer", "customer"), src_id)
        previous: Obj = {}
        for key, value in p.items():
            if key == "expand":
                continue
            previous[key] = objects.clone(card.get(key))
            if key == "metadata":
                merge_metadata(card, value)
            elif key in ("exp_month", "exp_year"):
                if not value.isdigit():
                    raise invalid(f"Invalid integer: {value}", key, "parameter_invalid_integer")
                card[key] = int(value)
            else:
                card[key] = value
        self.emit(ctx, "customer.source.updated", card, previous)
        return card

    @endpoint("DELETE", "/v1/customers/{id}/sources/{id}", P.ONLY_EXPAND)
    def delete(self, ctx: Ctx, p: Obj, cus_id: str, src_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        cus = get(acct, cus_id, "customer", "customer")
        card = source_of(acct, cus, src_id)
        previous_default = cus["default_source"]
        self.detach(ctx, acct, cus, card)
        self.emit(ctx, "customer.source.deleted", card)
        if cus["default_source"] != previous_default:
            self.emit(ctx, "customer.updated", cus, {"default_source": previous_default})
        return objects.deleted(src_id, "card")

    @endpoint("GET", "/v1/customers/{id}/sources", LIST, sublist=("customer", "sources"))
    def list(self, ctx: Ctx, p: Obj, cus_id: str) -> Page:
        acct = self.accounts.open(ctx.account)
        get(acct, cus_id, "customer", "customer")
        kind = p.get("object")
        items = [] if kind is not None and kind not in KINDS else cards_of(acct, cus_id)
        return paginate(items, p, "source")
