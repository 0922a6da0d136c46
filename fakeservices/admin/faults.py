"""``/__admin/faults``: create, list, read and delete fault rules."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fakeservices.core.errors import AdminError, bad_param, json_body
from fakeservices.core.faults import FaultEngine, FaultError
from fakeservices.core.openapi import ApiDoc, Param
from fakeservices.core.query import Query

ACTION_TAGS = ("error", "delay", "timeout", "drop", "malformed", "smtp_reply", "rate_limit")


def _field(loc: tuple[int | str, ...]) -> str:
    # A discriminated union puts the tag in the location: ("action", "error", "status").
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "action" and parts[1] in ACTION_TAGS:
        del parts[1]
    return ".".join(parts) or "rule"


def invalid_rule(field: str, message: str, **extra: Any) -> AdminError:
    return AdminError(422, "invalid_fault", f"{field}: {message}", field=field, **extra)


class FaultRoutes:
    def __init__(self, engine: FaultEngine) -> None:
        self.engine = engine

    async def create(self, request: Request) -> Response:
        Query(request.query_params).done()
        payload = await json_body(request)
        # pydantic and the rule models are imported with the first rule, not at start-up.
        from pydantic import ValidationError

        from fakeservices.core.faults import FaultSpec

        try:
            spec = FaultSpec.model_validate(payload)
        except ValidationError as exc:
            errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
            raise invalid_rule(errors[0]["field"], errors[0]["message"], errors=errors) from None
        try:
            rule = self.engine.add(spec)
        except FaultError as exc:
            raise invalid_rule(exc.field, str(exc)) from None
        return JSONResponse(rule.to_json(), status_code=201)

    async def list_rules(self, request: Request) -> Response:
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        rules = [
            r.to_json()
            for r in self.engine.rules.values()
            if account is None or r.spec.match.account == account
        ]
        return JSONResponse({"data": rules, "fired": self.engine.fired})

    def _rule_id(self, request: Request) -> str:
        rule_id: str = request.path_params["id"]
        if self.engine.get(rule_id) is None:
            raise AdminError(404, "not_found", f"No fault rule with id {rule_id!r}")
        return rule_id

    async def get(self, request: Request) -> Response:
        rule = self.engine.get(self._rule_id(request))
        assert rule is not None
        return JSONResponse(rule.to_json())

    async def delete_one(self, request: Request) -> Response:
        self.engine.delete(self._rule_id(request))
        return JSONResponse({"deleted": 1})

    async def delete_all(self, request: Request) -> Response:
        q = Query(request.query_params)
        account = q.text("account")
        q.done()
        if account == "":
            raise bad_param("account", "must not be empty")
        return JSONResponse({"deleted": self.engine.reset(account)})

    def routes(self, doc: ApiDoc) -> list[BaseRoute]:
        # The request body (FaultSpec, as posted) and the answer (FaultRule: the spec plus id,
        # hits, remaining...) are described by the models that parse them.
        rule = doc.model("fakeservices.core.fault_specs:FaultSpec", mode="validation")
        account = [Param("account", description="only rules matching this account")]
        doc.add(
            "POST",
            "/__admin/faults",
            "Add a fault rule",
            responses={201: "The rule, with its id", 422: "Invalid rule: `field` names it"},
            body_schema=rule,
            schema=doc.model("FaultRule"),
        )
        one = doc.model("FaultRule")
        rules = {
            "type": "object",
            "required": ["data", "fired"],
            "properties": {
                "data": {"type": "array", "items": one},
                "fired": {"type": "integer", "description": "faults fired since start"},
            },
        }
        deleted, path_id = doc.model("Deleted"), [Param("id", location="path")]
        doc.add("GET", "/__admin/faults", "List rules with their hits", account, schema=rules)
        doc.add(
            "DELETE",
            "/__admin/faults",
            "Delete every rule (or one account's)",
            account,
            schema=deleted,
        )
        doc.add("GET", "/__admin/faults/{id}", "One rule", path_id, schema=one)
        doc.add("DELETE", "/__admin/faults/{id}", "Delete one rule", path_id, schema=deleted)
        return [
            Route("/faults", self.create, methods=["POST"]),
            Route("/faults", self.list_rules, methods=["GET"]),
            Route("/faults", self.delete_all, methods=["DELETE"]),
            Route("/faults/{id}", self.get, methods=["GET"]),
            Route("/faults/{id}", self.delete_one, methods=["DELETE"]),
        ]
