"""Providers are one shape: a new one is a Provider subclass plus its line in PROVIDERS.

The test-only "memo" provider below is added the way Resend will be: one class, one entry in
``PROVIDERS``. Routing, the journal, fault rules (by its own name and by ``email-http``), native
errors (raised and injected), the ``source`` read-back filter and the edge that renders bugs all
follow without touching anything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import requests
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakeservices.core.http import bearer_token, loads
from fakeservices.email import plugin
from fakeservices.email.compose import Mailbox, Outgoing, store_all
from fakeservices.email.provider import Handler, Provider, SendError
from fakeservices.server import EmbeddedServer, start_server


class MemoApi(Provider):
    """``POST /memo/send {"from","to","text"}`` with a Bearer key; errors ``{"oops": ...}``."""

    name = "memo"
    paths = ("/memo/send", "/memo/{kind}/crash")

    def account_of(self, headers: Headers, path: str) -> str:
        return bearer_token(headers.get("authorization"))

    def addresses(self, headers: Headers, body: bytes) -> tuple[str | None, list[str]]:
        data = loads(body)
        return data.get("from"), [data.get("to")]

    def render(self, error: SendError) -> Response:
        return JSONResponse({"oops": error.message, "status": error.status}, error.status)

    def handlers(self) -> dict[str, Handler]:
        return {"/memo/send": self.send, "/memo/{kind}/crash": self.crash}

    async def send(self, request: Request) -> Response:
        key = self.account_of(request.headers, request.url.path)
        if not key:
            raise SendError(401, "no key")
        data = loads(await self.body(request))
        if not isinstance(data, dict) or not isinstance(data.get("to"), str):
            raise SendError(422, "to is required")
        out = Outgoing(
            sender=Mailbox(str(data.get("from"))),
            to=[Mailbox(data["to"])],
            subject="memo",
            text=str(data.get("text")),
        )
        [stored] = store_all(self.inbox, [out], account=key, source=self.name)
        return JSONResponse({"id": stored.id})

    async def crash(self, request: Request) -> Response:
        raise RuntimeError("a bug in the handler")


@pytest.fixture(scope="module")
def memo_server() -> Iterator[EmbeddedServer]:
    saved = plugin.PROVIDERS
    plugin.PROVIDERS = (*saved, MemoApi)  # the "one line"
    try:
        with start_server() as server:
            yield server
    finally:
        plugin.PROVIDERS = saved


def test_a_new_provider_is_routed_stored_journaled_and_filtered(
    memo_server: EmbeddedServer, unique: str
) -> None:
    url = memo_server.url
    key = f"memo-{unique}"
    to = f"to-{unique}@example.com"
    auth = {"Authorization": f"Bearer {key}"}
    sent = requests.post(
        f"{url}/memo/send", json={"from": "a@example.com", "to": to, "text": "hi"}, headers=auth
    )
    assert sent.status_code == 200, sent.text
    with httpx.Client(base_url=url) as admin:
        [mail] = admin.get("/__admin/emails", params={"source": "memo", "account": key}).json()[
            "data"
        ]
        assert (mail["id"], mail["to"], mail["text"]) == (sent.json()["id"], [to], "hi")
        [entry] = admin.get("/__admin/requests", params={"service": "memo"}).json()["data"]
        assert (entry["account"], entry["status"]) == (key, 200)
        unknown = admin.get("/__admin/emails", params={"source": "nope"})
        assert unknown.status_code == 400
        assert "memo" in unknown.json()["error"]["message"]


def test_a_new_provider_renders_raised_and_injected_errors_natively(
    memo_server: EmbeddedServer, unique: str
) -> None:
    url = memo_server.url
    auth = {"Authorization": f"Bearer memo-{unique}"}
    missing = requests.post(f"{url}/memo/send", json={})
    assert (missing.status_code, missing.json()) == (401, {"oops": "no key", "status": 401})
    bad = requests.post(f"{url}/memo/send", data=b"[" * 5000, headers=auth)
    assert (bad.status_code, bad.json()["oops"]) == (400, "Bad Request")  # the default bad_json
    crash = requests.post(f"{url}/memo/x/crash", headers=auth)
    assert crash.json() == {"oops": "Internal Server Error", "status": 500}
    to = f"faulted-{unique}@example.com"
    with httpx.Client(base_url=url) as admin:
        for service in ("memo", "email-http"):
            rule = {
                "service": service,
                "match": {"to": to},
                "action": {"type": "error", "status": 429},
                "times": 1,
            }
            assert admin.post("/__admin/faults", json=rule).status_code == 201
            body = {"from": "a@example.com", "to": to}
            refused = requests.post(f"{url}/memo/send", json=body, headers=auth)
            assert refused.status_code == 429
            assert refused.json()["oops"].startswith("Injected fault")
        assert requests.post(f"{url}/memo/send", json=body, headers=auth).ok


@pytest.mark.parametrize(
    ("path", "headers", "status", "body"),
    [
        (
            "/v3/mail/send",
            {"Authorization": "Bearer SG.x"},
            400,
            {"errors": [{"message": "Bad Request", "field": None, "help": None}]},
        ),
        (
            "/email",
            {"X-Postmark-Server-Token": "pm-x"},
            422,
            {"ErrorCode": 402, "Message": "Received invalid JSON input."},
        ),
    ],
)
@pytest.mark.parametrize(
    "payload",
    [b"[" * 100_000, b"{" * 70 + b"}" * 70, b'{"subject": "\xff"}'],
    ids=["recursion", "too-deep", "not-utf8"],
)
def test_hostile_json_gets_the_providers_own_400(
    server: EmbeddedServer,
    path: str,
    headers: dict[str, str],
    status: int,
    body: dict[str, object],
    payload: bytes,
) -> None:
    resp = requests.post(f"{server.url}{path}", data=payload, headers=headers, timeout=10)
    assert (resp.status_code, resp.json()) == (status, body)


def test_mailgun_recipient_variables_too_deep_is_its_own_400(server: EmbeddedServer) -> None:
    form = {
        "from": "a@example.com",
        "to": "b@example.com",
        "text": "t",
        "recipient-variables": "[" * 100_000,
    }
    resp = requests.post(
        f"{server.url}/v3/example.com/messages", data=form, auth=("api", "key-x"), timeout=10
    )
    assert resp.status_code == 400
    assert resp.json() == {"message": "'recipient-variables' parameter is not a valid JSON"}
