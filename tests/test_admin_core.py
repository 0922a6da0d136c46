"""The admin core and shared machinery through real sockets, with a minimal plugged-in fake."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server


@pytest.fixture(scope="module")
def echo() -> Iterator[EmbeddedServer]:
    with start_server(services=("tests.fakes.echo",), max_messages=5) as s:
        yield s


@pytest.fixture
def http(echo: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=echo.url, timeout=30) as client:
        yield client


def post_item(http: httpx.Client, account: str, text: str) -> httpx.Response:
    return http.post("/echo/items", content=text, headers={"X-Echo-Account": account})


def test_plugin_routes_stores_and_journal(http: httpx.Client, unique: str) -> None:
    r = post_item(http, unique, "hello")
    assert r.status_code == 201
    item = r.json()
    assert item["text"] == "hello" and item["account"] == unique

    got = http.get(f"/__admin/echo-items/{item['id']}").json()
    assert got == item

    entries = http.get("/__admin/requests", params={"account": unique}).json()["data"]
    assert len(entries) == 1
    e = entries[0]
    assert (e["service"], e["method"], e["path"], e["status"]) == (
        "echo",
        "POST",
        "/echo/items",
        201,
    )
    assert e["request_body"] == "hello"
    assert json.loads(e["response_body"])["id"] == item["id"]
    assert e["duration_ms"] >= 0 and e["received_at"].endswith("Z")


def test_health_counts_every_store(http: httpx.Client, echo: EmbeddedServer) -> None:
    body = http.get("/__admin/health").json()
    assert body["status"] == "ok"
    assert (body["http_port"], body["smtp_port"]) == (echo.http_port, echo.smtp_port)
    assert set(body["counts"]) == {"requests", "webhook_deliveries", "echo_items"}
    assert set(body["evicted"]) == set(body["counts"])


def test_retention_cap_evicts_oldest_and_health_counts_it(http: httpx.Client, unique: str) -> None:
    before = http.get("/__admin/health").json()["evicted"]["echo_items"]
    ids = [post_item(http, unique, str(i)).json()["id"] for i in range(7)]
    listed = http.get("/__admin/echo-items", params={"account": unique}).json()["data"]
    assert [i["text"] for i in listed] == ["2", "3", "4", "5", "6"]  # cap 5, oldest went first
    assert http.get(f"/__admin/echo-items/{ids[0]}").status_code == 404
    after = http.get("/__admin/health").json()["evicted"]["echo_items"]
    assert after - before >= 2


def test_list_pagination_by_after_and_limit(http: httpx.Client, unique: str) -> None:
    for i in range(4):
        post_item(http, unique, str(i))
    first = http.get("/__admin/requests", params={"account": unique, "limit": 3}).json()
    assert len(first["data"]) == 3 and first["has_more"] is True
    rest = http.get(
        "/__admin/requests", params={"account": unique, "after": first["next_after"]}
    ).json()
    assert len(rest["data"]) == 1 and rest["has_more"] is False
    seqs = [e["seq"] for e in first["data"] + rest["data"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_journal_filters(http: httpx.Client, unique: str) -> None:
    post_item(http, unique, "x")
    post_item(http, "", "no account")  # 401 from the fake
    http.get("/nowhere", headers={"X-Echo-Account": unique})

    def count(**params: str) -> int:
        return len(http.get("/__admin/requests", params=params).json()["data"])

    assert count(account=unique, status="201") == 1
    assert count(account=unique, status="2xx") == 1
    assert count(account=unique, path="/echo/*") == 1
    assert count(account=unique, method="post") == 1
    assert count(account=unique, service="echo") == 1
    unmatched = http.get("/__admin/requests", params={"service": "unmatched"}).json()["data"]
    assert any(e["path"] == "/nowhere" and e["status"] == 404 for e in unmatched)


def test_requests_wait_answers_as_soon_as_count_is_reached(
    http: httpx.Client, echo: EmbeddedServer, unique: str
) -> None:
    post_item(http, unique, "before")  # not counted: the wait starts after it
    after = http.get("/__admin/health").json()["seq"]
    result: dict[str, httpx.Response] = {}

    def waiter() -> None:
        with httpx.Client(base_url=echo.url, timeout=30) as c:
            result["r"] = c.get(
                "/__admin/requests/wait",
                params={"account": unique, "count": 2, "after": after, "timeout": 20},
            )

    t = threading.Thread(target=waiter)
    t.start()
    # Make sure the waiter is registered before producing (no sleep: wait on the store).
    echo.run(echo.runtime.journal.store.until_waiting(1), timeout=10)
    post_item(http, unique, "a")
    post_item(http, unique, "b")
    t.join(20)
    r = result["r"]
    assert r.status_code == 200
    texts = [e["request_body"] for e in r.json()["data"]]
    assert texts == ["a", "b"]


def test_requests_wait_times_out_with_matched_and_recent(http: httpx.Client, unique: str) -> None:
    post_item(http, unique, "first")
    http.get("/echo/nowhere", headers={"X-Echo-Account": unique})
    post_item(http, unique + "-other", "not mine")
    r = http.get(
        "/__admin/requests/wait",
        params={"account": unique, "method": "POST", "count": 2, "timeout": 0.2},
    )
    assert r.status_code == 408
    err = r.json()["error"]
    assert err["code"] == "wait_timeout"
    assert err["matched"] == 1
    assert err["recent"], "near misses explain the failure"
    # The near miss is this account's GET; the other account's request is not shown.
    assert [(e["method"], e["account"]) for e in err["recent"]] == [("GET", unique)]
    assert "1 matched" in err["message"]
    everyone = http.get(
        "/__admin/requests/wait", params={"path": "/nothing-like-this", "timeout": 0.1}
    ).json()["error"]
    assert unique + "-other" in {e["account"] for e in everyone["recent"]}


def test_disconnecting_client_frees_its_waiter(echo: EmbeddedServer) -> None:
    store = echo.runtime.journal.store
    with httpx.Client(base_url=echo.url) as c, pytest.raises(httpx.ReadTimeout):
        c.get(
            "/__admin/requests/wait",
            params={"account": "nobody-ever", "timeout": 60},
            timeout=httpx.Timeout(5, read=0.3),
        )
    # The server notices the disconnect and drops the waiter; wait for that on its loop.
    echo.run(store.until_no_waiters(), timeout=10)
    assert store.waiter_count == 0


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/__admin/requests?limit=0", "limit"),
        ("/__admin/requests?limit=abc", "limit"),
        ("/__admin/requests?after=-1", "after"),
        ("/__admin/requests?status=abc", "status"),
        ("/__admin/requests?too=bob", "too"),
        ("/__admin/requests/wait?timeout=500", "timeout"),
        ("/__admin/requests/wait?timeout=nan", "timeout"),
        ("/__admin/requests/wait?count=0", "count"),
        ("/__admin/reset?service=nope", "service"),
        ("/__admin/health?x=1", "x"),
    ],
)
def test_malformed_query_values_get_400_naming_the_parameter(
    http: httpx.Client, path: str, param: str
) -> None:
    method = "POST" if "reset" in path else "GET"
    r = http.request(method, path)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_parameter"
    assert err["param"] == param and f"'{param}'" in err["message"]
    assert http.get("/__admin/health").status_code == 200  # still serving


def test_unknown_paths_and_methods_get_the_envelope(http: httpx.Client) -> None:
    r = http.get("/__admin/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = http.delete("/__admin/health")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = http.get("/__admin/requests/jr_does_not_exist")
    assert r.status_code == 404 and "jr_does_not_exist" in r.json()["error"]["message"]


def test_reset_by_account_and_by_service(http: httpx.Client, unique: str) -> None:
    mine, theirs = unique, unique + "-b"
    post_item(http, mine, "1")
    post_item(http, theirs, "2")
    r = http.post("/__admin/reset", params={"account": mine})
    assert r.status_code == 200 and r.json()["account"] == mine
    assert http.get("/__admin/echo-items", params={"account": mine}).json()["data"] == []
    assert http.get("/__admin/requests", params={"account": mine}).json()["data"] == []
    assert len(http.get("/__admin/echo-items", params={"account": theirs}).json()["data"]) == 1
    http.post("/__admin/reset", params={"service": "journal"})
    assert http.get("/__admin/requests", params={"account": theirs}).json()["data"] == []
    assert len(http.get("/__admin/echo-items", params={"account": theirs}).json()["data"]) == 1
    http.post("/__admin/reset", params={"service": "echo"})
    assert http.get("/__admin/echo-items", params={"account": theirs}).json()["data"] == []


def test_delete_collection_and_item(http: httpx.Client, unique: str) -> None:
    a = post_item(http, unique, "1").json()
    post_item(http, unique, "2")
    assert http.delete(f"/__admin/echo-items/{a['id']}").json() == {"deleted": 1}
    assert http.delete(f"/__admin/echo-items/{a['id']}").status_code == 404
    assert http.delete("/__admin/echo-items", params={"account": unique}).json() == {"deleted": 1}


def test_metrics_are_prometheus_text(http: httpx.Client, unique: str) -> None:
    post_item(http, unique, "m")
    r = http.get("/__admin/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE fakeservices_requests_total counter" in text
    assert 'fakeservices_requests_total{service="echo",status="201"}' in text
    assert 'fakeservices_store_items{store="echo_items"}' in text
    assert 'fakeservices_store_evicted_total{store="requests"}' in text
    for line in text.splitlines():
        assert line.startswith("#") or len(line.rsplit(" ", 1)) == 2


def test_openapi_describes_the_admin_api(http: httpx.Client) -> None:
    doc = http.get("/__admin/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for p in ("/__admin/health", "/__admin/reset", "/__admin/requests", "/__admin/requests/wait"):
        assert p in paths
    assert "/__admin/echo-items/wait" in paths  # plugins' read-back routes are described too
    names = {p["name"] for p in paths["/__admin/requests/wait"]["get"]["parameters"]}
    assert {"count", "timeout", "after", "account", "status"} <= names


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_against_the_admin_api(echo: EmbeddedServer, unique: str) -> None:
    def curl(*args: str) -> tuple[int, str]:
        out = subprocess.run(
            ["curl", "-s", "-w", "\n%{http_code}", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        body, _, code = out.rpartition("\n")
        return int(code), body

    code, body = curl(f"{echo.url}/__admin/health")
    assert code == 200 and json.loads(body)["status"] == "ok"
    code, body = curl(
        "-X",
        "POST",
        "-H",
        f"X-Echo-Account: {unique}",
        "--data",
        "via curl",
        f"{echo.url}/echo/items",
    )
    assert code == 201
    code, body = curl(f"{echo.url}/__admin/requests/wait?account={unique}&timeout=5")
    assert code == 200 and json.loads(body)["data"][0]["request_body"] == "via curl"
    code, body = curl("-X", "POST", f"{echo.url}/__admin/reset?account={unique}")
    assert code == 200
    code, body = curl(f"{echo.url}/__admin/requests/wait?account={unique}&timeout=0.1")
    assert code == 408 and json.loads(body)["error"]["code"] == "wait_timeout"
