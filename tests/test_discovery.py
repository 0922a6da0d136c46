"""Discovery: ``GET /`` (JSON for curl, HTML for a browser), the ``/__admin/`` index, response
schemas for every admin endpoint in the OpenAPI document, and ``/__admin/docs`` from the package."""

from __future__ import annotations

import re
import smtplib

import httpx
import pytest

from fakeservices.schemas import Email, Health
from fakeservices.server import EmbeddedServer

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_root_answers_curl_with_a_json_index(server: EmbeddedServer, admin: httpx.Client) -> None:
    r = admin.get("/", headers={"accept": "*/*"})  # what curl sends
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    index = r.json()
    assert index["base_url"] == server.url
    assert index["smtp"] == {
        "host": "127.0.0.1",
        "port": server.smtp_port,
        "url": f"smtp://127.0.0.1:{server.smtp_port}",
    }
    fakes = {f["name"]: f for f in index["fakes"]}
    assert set(fakes) == {"stripe", "sms", "email"}
    assert all(f["base_url"] == server.url for f in fakes.values())
    assert f'stripe.api_base = "{server.url}"' in fakes["stripe"]["sdks"]["stripe (Python)"]
    assert f'client.api.base_url = "{server.url}"' in fakes["sms"]["sdks"]["twilio (Python)"]
    assert f'smtplib.SMTP("127.0.0.1", {server.smtp_port})' == fakes["email"]["sdks"]["smtplib"]
    # Every admin link answers.
    for name, link in index["admin"].items():
        assert link.startswith(server.url + "/__admin")
        with admin.stream("GET", link) as answer:  # the events link is a stream
            assert answer.status_code == 200, name
    # The index is not a request to a fake: nothing is journaled for it (POST / is SES's).
    assert (
        admin.get("/__admin/requests", params={"path": "/", "method": "GET"}).json()["data"] == []
    )


def test_root_sends_a_browser_to_the_web_ui_by_a_relative_url(admin: httpx.Client) -> None:
    r = admin.get("/", headers=BROWSER)
    # Relative: behind a path prefix (/fs/ -> /fs/__admin/ui/) or a port mapping it still works.
    assert r.status_code == 307 and r.headers["location"] == "__admin/ui/"
    page = admin.get("/", headers=BROWSER, follow_redirects=True)
    assert page.url.path == "/__admin/ui/"
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="app.js"' in page.text


def test_admin_index_lists_every_admin_endpoint(admin: httpx.Client) -> None:
    index = admin.get("/__admin/").json()
    listed = {(e["method"], e["path"]) for e in index["endpoints"]}
    doc = admin.get("/__admin/openapi.json").json()
    assert listed == {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert ("GET", "/__admin/emails/wait") in listed
    html = admin.get("/__admin/", headers=BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert "/__admin/sms/wait" in html.text


def test_openapi_gives_a_response_schema_for_every_admin_endpoint(admin: httpx.Client) -> None:
    doc = admin.get("/__admin/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = [code for code in op["responses"] if code < "400"]
            assert ok, (method, path)
            for code in ok:
                [(media, body)] = op["responses"][code]["content"].items()
                assert media and body["schema"], (method, path, code)
    # From the pydantic models the client parses with.
    assert schemas["Email"]["properties"].keys() >= {"id", "seq", "account", "from", "subject"}
    assert set(schemas["Health"]["required"]) == {
        n for n, f in Health.model_fields.items() if f.is_required()
    }
    emails = doc["paths"]["/__admin/emails"]["get"]["responses"]["200"]["content"]
    page = emails["application/json"]["schema"]
    assert page["properties"]["data"]["items"] == {"$ref": "#/components/schemas/Email"}
    wait = doc["paths"]["/__admin/sms/wait"]["get"]["responses"]["200"]["content"]
    assert wait["application/json"]["schema"]["properties"]["data"]["items"]["$ref"].endswith(
        "/Sms"
    )
    faults = doc["paths"]["/__admin/faults"]["post"]
    assert faults["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FaultRule"
    }
    assert "FaultSpec" in faults["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    raw = doc["paths"]["/__admin/emails/{id}/raw"]["get"]["responses"]["200"]["content"]
    assert list(raw) == ["message/rfc822"]
    account = next(
        p for p in doc["paths"]["/__admin/emails"]["get"]["parameters"] if p["name"] == "account"
    )
    assert account["schema"]["type"] == "array"  # repeatable


def test_answers_match_their_schemas(
    server: EmbeddedServer, admin: httpx.Client, unique: str
) -> None:
    doc = admin.get("/__admin/openapi.json").json()
    schemas = doc["components"]["schemas"]
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        smtp.login(f"fs-{unique}", "pw")
        smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx")
    [mail] = admin.get("/__admin/emails", params={"account": f"fs-{unique}"}).json()["data"]
    assert set(schemas["Email"]["required"]) <= set(mail)
    Email.model_validate(mail)
    health = admin.get("/__admin/health").json()
    assert set(schemas["Health"]["required"]) <= set(health)


@pytest.mark.parametrize("path", ["/__admin/docs"])
def test_docs_render_from_the_package_without_a_cdn(admin: httpx.Client, path: str) -> None:
    r = admin.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'fetch("openapi.json")' in page
    # Nothing is loaded from elsewhere: no external script, style or font.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
