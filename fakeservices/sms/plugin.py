"""The SMS fake as a :class:`FakeService`: Twilio Messages API, lifecycle, admin read-back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from fakeservices.core.registry import FakeService
from fakeservices.core.runtime import Runtime
from fakeservices.core.store import Store
from fakeservices.sms.admin import SendNow, sms_readback
from fakeservices.sms.errors import for_status
from fakeservices.sms.lifecycle import Lifecycle
from fakeservices.sms.model import Message, SmsModel
from fakeservices.sms.render import admin_json
from fakeservices.sms.wire import FORM_TYPE, PREFIX, SmsWire

_ACCOUNTS = f"{PREFIX}/Accounts/"


class SmsService(FakeService):
    name = "sms"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.store: Store[Message] = runtime.new_store("sms")
        self.model = SmsModel(self.store)
        self.lifecycle = Lifecycle(self.model, runtime.outbound, runtime.config.sms_step_seconds)
        self.wire = SmsWire(self.model, self.lifecycle)
        self.readback = sms_readback(self.store)
        self.send_now = SendNow(self.model, self.lifecycle)

    def http_routes(self) -> list[BaseRoute]:
        return self.wire.routes()

    def admin_routes(self) -> list[BaseRoute]:
        doc = self.runtime.api_doc
        return self.send_now.routes(doc) + self.readback.routes(doc)

    def journal_service(self, method: str, path: str) -> str | None:
        return "sms" if path == PREFIX or path.startswith(PREFIX + "/") else None

    def account_of(self, service: str, headers: Headers, path: str) -> str:
        """The tenant is the Account SID in the URL (the Basic user must match it)."""
        if not path.startswith(_ACCOUNTS):
            return ""
        account = path[len(_ACCOUNTS) :].split("/", 1)[0]
        return account.removesuffix(".json")

    def addresses(
        self, service: str, headers: Headers, body: bytes
    ) -> tuple[str | None, list[str]]:
        """``From`` and ``To`` of a form-encoded Message create (for fault rules' from/to)."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM_TYPE or not body:
            return None, []
        params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        senders = params.get("From") or []
        return (senders[0] if senders else None), [to for to in params.get("To", []) if to]

    def stores(self) -> dict[str, Store[Any]]:
        return {"sms": self.store}

    def event_views(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        return {"sms": admin_json}

    def reset(self, account: str | None) -> None:
        self.model.reset(account)

    def error_response(self, service: str, status: int, message: str) -> Response:
        return JSONResponse(for_status(status, message), status_code=status)

    async def start(self) -> None:
        self.lifecycle.start()

    async def stop(self) -> None:
        await self.lifecycle.stop()


def create(runtime: Runtime) -> FakeService:
    return SmsService(runtime)
