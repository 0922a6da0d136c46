"""The admin endpoints the web UI reads, over HTTP: the UI's files, accounts, Stripe objects, a
mail's HTML under its CSP, journal summaries and webhook answers."""

from __future__ import annotations

import re
import smtplib
import uuid
from email.message import EmailMessage
from importlib import resources

import httpx
import stripe

from fakeservices.server import EmbeddedServer


def test_ui_files_are_served_from_the_package_with_relative_urls_only(
    admin: httpx.Client,
) -> None:
    assert admin.get("/__admin/ui").headers["location"] == "ui/"
    page = admin.get("/__admin/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        r = admin.get(f"/__admin/ui/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    assert admin.get("/__admin/ui/nope.js").json()["error"]["code"] == "not_found"
    assert admin.get("/__admin/ui/..%2Fstatic%2Fdocs.html").status_code == 404
    # Nothing from the internet and no absolute path: a path prefix in front keeps working.
    static = resources.files("fakeservices.ui").joinpath("static")
    for name in ("index.html", "app.js", "app.css"):
        text = static.joinpath(name).read_text()
        assert not re.search(r"https?://(?!example\.com)", text), name
        assert not re.search(r"""["'`]/__admin""", text), name


def send(server: EmbeddedServer, user: str, html: str, cid_image: bytes | None = None) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@x.test", "b@x.test", "html"
    msg.set_content("text")
    msg.add_alternative(html, subtype="html")
    if cid_image is not None:
        msg.get_payload()[1].add_related(cid_image, "image", "png", cid="<logo@x>")
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        smtp.login(user, "pw")
        smtp.send_message(msg)


def test_a_mails_html_is_served_under_a_policy_that_blocks_scripts_and_remote_images(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    user = f"html-{uuid.uuid4().hex[:8]}"
    send(server, user, "<p>hi</p><img src='cid:logo@x'><script>x()</script>", b"PNGDATA")
    [mail] = admin.get("/__admin/emails/wait", params={"account": user}).json()["data"]
    r = admin.get(f"/__admin/emails/{mail['id']}/html")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    for directive in ("script-src 'none'", "form-action 'none'", "img-src 'self' data:;"):
        assert directive in csp
    assert csp.endswith("sandbox")
    # cid: images point at the mail's own attachment, relative to the HTML's URL.
    assert "src='attachments/0'" in r.text
    assert admin.get(f"/__admin/emails/{mail['id']}/attachments/0").content == b"PNGDATA"
    relaxed = admin.get(f"/__admin/emails/{mail['id']}/html", params={"remote_images": "1"})
    relaxed_csp = relaxed.headers["content-security-policy"]
    assert "img-src 'self' data: http: https:;" in relaxed_csp
    assert relaxed_csp.replace(" http: https:", "") == csp  # only img-src changed
    assert (
        admin.get(f"/__admin/emails/{mail['id']}/html", params={"account": "x"}).status_code == 404
    )
    bad = admin.get(f"/__admin/emails/{mail['id']}/html", params={"remote_images": "yes"})
    assert bad.json()["error"]["param"] == "remote_images"


def test_accounts_lists_who_has_what(server: EmbeddedServer, admin: httpx.Client) -> None:
    user = f"acct-{uuid.uuid4().hex[:8]}"
    send(server, user, "<p>x</p>")
    admin.get("/__admin/emails/wait", params={"account": user})
    data = {a["account"]: a["counts"] for a in admin.get("/__admin/accounts").json()["data"]}
    assert data[user] == {"emails": 1, "requests": 1}
    assert "" not in data


def test_stripe_objects_per_account_newest_first(
    server: EmbeddedServer, admin: httpx.Client
) -> None:
    key, other = f"sk_test_{uuid.uuid4().hex[:10]}", f"sk_test_{uuid.uuid4().hex[:10]}"
    for k in (key, other):
        client = stripe.StripeClient(k, base_addresses={"api": server.url}, max_network_retries=0)
        first = client.v1.customers.create(params={"email": "1@x.test"})
        second = client.v1.customers.create(params={"email": "2@x.test"})
    r = admin.get("/__admin/stripe/objects", params={"account": other, "object": "customer"})
    body = r.json()
    assert [d["resource"]["id"] for d in body["data"]] == [second.id, first.id]
    assert {d["account"] for d in body["data"]} == {other}
    assert body["kinds"] == {"customer": 2} and body["has_more"] is False
    both = admin.get(
        "/__admin/stripe/objects", params=[("account", key), ("account", other), ("limit", 3)]
    ).json()
    assert len(both["data"]) == 3 and both["has_more"] is True
    assert admin.get("/__admin/stripe/objects", params={"limit": 0}).status_code == 400


def test_journal_summaries_leave_the_bodies_out(admin: httpx.Client) -> None:
    admin.get("/v1/customers", headers={"Authorization": "Bearer sk_test_summary"})
    summary = admin.get("/__admin/requests", params={"view": "summary", "path": "/v1/customers"})
    entry = summary.json()["data"][-1]
    assert entry["path"] == "/v1/customers" and "response_body" not in entry
