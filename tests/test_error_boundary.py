"""The gateway's outermost error boundary and routing errors, through the echo test fake.

The echo fake (tests/fakes/echo) comes in through the registry seam like any fake; its
``/echo/boom`` route raises, standing in for a bug in any fake's handler.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server


@pytest.fixture(scope="module")
def echo() -> Iterator[EmbeddedServer]:
    with start_server(services=("tests.fakes.echo",)) as s:
        yield s


@pytest.fixture
def http(echo: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=echo.url, timeout=30) as client:
        yield client


def journaled(http: httpx.Client, account: str, path: str) -> list[int]:
    r = http.get("/__admin/requests", params={"account": account, "path": path})
    assert r.status_code == 200, r.text
    return [e["status"] for e in r.json()["data"]]


def test_a_bug_in_a_fake_answers_its_500_and_is_journaled_as_500(
    http: httpx.Client, unique: str
) -> None:
    r = http.post("/echo/boom", content=b"x", headers={"X-Echo-Account": unique})
    assert r.status_code == 500
    # The echo fake's own envelope (FakeService.error_response), not the admin API's.
    assert r.json()["error"]["code"] == "fault"
    assert "Internal Server Error" in r.json()["error"]["message"]
    assert journaled(http, unique, "/echo/boom") == [500]
    five = http.get("/__admin/requests", params={"account": unique, "status": "5xx"}).json()
    assert [e["path"] for e in five["data"]] == ["/echo/boom"]
    # The server goes on serving.
    assert http.get("/__admin/health").json()["status"] == "ok"
    ok = http.post("/echo/items", content=b"after", headers={"X-Echo-Account": unique})
    assert ok.status_code == 201


def test_unrouted_path_and_wrong_method_under_a_fake_are_its_own(
    http: httpx.Client, unique: str
) -> None:
    headers = {"X-Echo-Account": unique}
    missing = http.get("/echo/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "fault",
        "message": "No route for GET /echo/nothing-here",
    }
    wrong = http.delete("/echo/items", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert wrong.json()["error"]["message"] == "DELETE is not allowed on /echo/items"
    assert journaled(http, unique, "/echo/*") == [404, 405]


def test_paths_no_fake_serves_keep_the_admin_envelope(http: httpx.Client) -> None:
    r = http.get("/nobody/serves/this")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
