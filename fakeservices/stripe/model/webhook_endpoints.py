"""WebhookEndpoints: where an account's events are POSTed, each with its signing secret."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fakeservices.core.ids import alnum
from fakeservices.stripe import objects
from fakeservices.stripe import params as P
from fakeservices.stripe.errors import invalid, missing
from fakeservices.stripe.model.accounts import Accounts, Ctx, Obj
from fakeservices.stripe.model.checks import get, list_of, merge_metadata
from fakeservices.stripe.model.resource import Page, Resource, endpoint

FIELDS: dict[str, P.Field] = {
    "url": P.Str(),
    "enabled_events": P.Arr(P.Str()),
    "description": P.Str(),
    "metadata": P.Meta(),
    "expand": P.EXPAND,
}
CREATE = P.Obj(
    {**FIELDS, "api_version": P.Str(), "connect": P.Bool()}, required=("url", "enabled_events")
)
UPDATE = P.Obj({**FIELDS, "disabled": P.Bool()})


def targets(accounts: Accounts, key: str, event_type: str) -> Sequence[tuple[Obj, str]]:
    """The enabled endpoints of ``key`` that want ``event_type``, each with its secret."""
    acct = accounts.get(key)
    if acct is None or not acct.by_kind.get("webhook_endpoint"):
        return ()  # asked twice for every event: most accounts have no endpoint
    return [
        (we, acct.secrets[we["id"]])
        for we in acct.of_kind("webhook_endpoint")
        if we["status"] == "enabled"
        and ("*" in we["enabled_events"] or event_type in we["enabled_events"])
    ]


@dataclass(eq=False)
class WebhookEndpoints(Resource):
    accounts: Accounts

    @endpoint("POST", "/v1/webhook_endpoints", CREATE)
    def create(self, ctx: Ctx, p: Obj) -> Obj:
        acct = self.accounts.open(ctx.account)
        url = p["url"]
        if not url.startswith(("http://", "https://")):
            raise invalid(f"Invalid URL: {url}", "url", "url_invalid")
        if not p["enabled_events"]:
            raise missing("enabled_events")
        secret = f"whsec_{alnum(32)}"
        we = objects.webhook_endpoint(p, secret, ctx.now())
        stored = dict(we)
        del stored["secret"]  # shown once, at creation
        acct.put(stored)
        acct.secrets[we["id"]] = secret
        return we

    @endpoint("GET", "/v1/webhook_endpoints/{id}", P.ONLY_EXPAND)
    def retrieve(self, ctx: Ctx, p: Obj, we_id: str) -> Obj:
        acct = self.accounts.open(ctx.account)
        return get(acct, we_id, "webhook_endpoint", "webhook_endpoint")

    @endpoint("POST", "/v1/webhook_endpoints/{id}", UPDATE)
    def update(self, ctx: Ctx, p: Obj, we_id: str) -> Obj:
        we = self.retrieve(ctx, p, we_id)
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

    @endpoint("DELETE", "/v1/webhook_endpoints/{id}", P.Obj())
    def delete(self, ctx: Ctx, p: Obj, we_id: str) -> Obj:
        self.retrieve(ctx, p, we_id)
        self.accounts.open(ctx.account).remove(we_id)
        return objects.deleted(we_id, "webhook_endpoint")

    @endpoint("GET", "/v1/webhook_endpoints", P.LIST)
    def list(self, ctx: Ctx, p: Obj) -> Page:
        acct = self.accounts.open(ctx.account)
        return list_of(acct, "webhook_endpoint", p, "webhook_endpoint")
