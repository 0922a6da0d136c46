"""The web UI in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Every wait is Playwright's auto-waiting (bounded by its timeout) or the admin wait API; nothing
sleeps. With ``FAKESERVICES_SCREENSHOTS=docs/img`` the tests also write the screenshots that
docs/ui.md shows.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import threading
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import stripe
from twilio.rest import Client

from fakeservices.server import EmbeddedServer, start_server

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt-get install chromium)"
)
if CHROMIUM is not None:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright

SHOTS = os.environ.get("FAKESERVICES_SCREENSHOTS")
WIDE = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
SCRIPTED_HTML = (
    "<h1>Welcome</h1><p id='hello'>Hello HTML</p>"
    "<img alt='remote' src='{probe}'>"
    "<script>document.getElementById('hello').textContent = 'SCRIPT RAN';"
    "parent.postMessage('pwned', '*');</script>"
    "<form action='https://example.com/steal'><input name='q' aria-label='q'></form>"
)
ATTACHMENT = bytes(range(256)) * 40 + b"\r\n\x00end"
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def shot(page: Page, name: str) -> None:
    """Save a screenshot into $FAKESERVICES_SCREENSHOTS (docs/img) when asked to."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"ui-{name}.png"))


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with start_server(sms_step_seconds=0.0, delivery_backoff_seconds=0.05) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class UiPage:
    """One browser tab on the UI, recording console errors and uncaught exceptions."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.console: list[ConsoleMessage] = []
        self.errors: list[str] = []
        page.on("console", lambda message: self.console.append(message))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)

    def open(self, path: str = "/") -> Page:
        self.page.goto(self.base + path)
        expect(self.page.locator("#live")).to_have_text("live")
        return self.page

    def console_errors(self) -> list[str]:
        return [m.text for m in self.console if m.type == "error"] + self.errors


@pytest.fixture
def ui(browser: Browser, server: EmbeddedServer) -> Iterator[UiPage]:
    context = browser.new_context(viewport=WIDE, accept_downloads=True)
    try:
        yield UiPage(context.new_page(), server.url)
    finally:
        context.close()


class ImageHost:
    """Another origin serving one image and noting that it was asked for."""

    def __init__(self) -> None:
        self.hit = threading.Event()
        hit = self.hit

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hit.set()
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(GIF)))
                self.end_headers()
                self.wfile.write(GIF)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/pixel.gif"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def image_host() -> Iterator[ImageHost]:
    host = ImageHost()
    yield host
    host.close()


def send_mail(
    server: EmbeddedServer,
    subject: str,
    user: str | None = None,
    html: str | None = None,
    attachment: bytes | None = None,
    to: str = "bob@example.test",
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "shop@example.test", to, subject
    msg.set_content(f"Plain text of {subject}")
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(
            attachment, maintype="application", subtype="octet-stream", filename="report.bin"
        )
    with smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=10) as smtp:
        if user is not None:
            smtp.login(user, "pw")
        smtp.send_message(msg)


def token() -> str:
    return uuid.uuid4().hex[:10]


def test_the_page_loads_with_no_console_errors_and_every_control_labelled(ui: UiPage) -> None:
    page = ui.open()
    # / sends a browser to the UI, by a relative URL.
    assert page.url.endswith("/__admin/ui/")
    for view in ("inbox", "sms", "stripe", "webhooks", "requests", "faults", "setup"):
        page.get_by_role("link", name=view.capitalize() if view != "sms" else "SMS").first.click()
        expect(page.locator(f"#view-{view}")).to_be_visible()
    expect(page.locator("#setup")).to_contain_text("smtp://127.0.0.1")
    # Every input, select and button has an accessible name (a label, text or aria-label).
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    assert ui.console_errors() == []


def test_a_mail_appears_live_its_html_is_sandboxed_and_its_attachment_downloads(
    ui: UiPage, server: EmbeddedServer, tmp_path: Path, image_host: ImageHost
) -> None:
    page = ui.open()
    page.evaluate("window.addEventListener('message', e => { window.__messages = e.data; })")
    subject = f"Order {token()} confirmed"
    html = SCRIPTED_HTML.format(probe=image_host.url)
    send_mail(server, subject, html=html, attachment=ATTACHMENT)
    row = page.locator(".row", has_text=subject)
    expect(row).to_be_visible()  # no reload: it came over /__admin/events
    row.click()
    expect(page.locator("[data-detail=inbox] h3")).to_have_text(subject)
    frame = page.frame_locator("iframe.mail")
    expect(frame.locator("h1")).to_have_text("Welcome")
    iframe = page.locator("iframe.mail")
    assert iframe.get_attribute("sandbox") == ""  # no allow-scripts, no allow-forms
    iframe.element_handle().content_frame().wait_for_load_state("load")  # type: ignore[union-attr]
    # The script did not run: the text is the mail's own and no message reached the page.
    expect(frame.locator("#hello")).to_have_text("Hello HTML")
    assert page.evaluate("window.__messages") is None
    assert any("Blocked script execution" in m.text for m in ui.console)
    # The remote image was not fetched (the frame has loaded); the toggle loads it, and only
    # images: the script still does not run.
    assert not image_host.hit.is_set()
    page.get_by_label("Load remote images").check()
    assert image_host.hit.wait(10)
    expect(frame.locator("#hello")).to_have_text("Hello HTML")
    # The attachment downloads byte-exact.
    with page.expect_download() as download:
        page.get_by_role("link", name="report.bin").click()
    saved = tmp_path / "report.bin"
    download.value.save_as(saved)
    assert saved.read_bytes() == ATTACHMENT
    # Text, headers and raw source are one click away.
    page.get_by_role("tab", name="Text").click()
    expect(page.locator("[data-detail=inbox] [role=tabpanel]")).to_contain_text(
        f"Plain text of {subject}"
    )
    page.get_by_role("tab", name="Raw source").click()
    expect(page.get_by_label("Raw message source")).to_contain_text(f"Subject: {subject}")
    shot(page, "inbox")


def test_a_fault_added_in_the_form_fails_the_next_smtp_send(
    ui: UiPage, server: EmbeddedServer
) -> None:
    user = f"fs-ui-{token()}"
    page = ui.open("/__admin/ui/#faults")
    form = page.locator("#fault-form")
    form.get_by_label("Service").select_option("smtp")
    form.get_by_label("Action").select_option("smtp_reply")
    form.get_by_label("SMTP code").fill("451")
    form.get_by_label("Enhanced code").fill("4.7.1")
    form.get_by_label("Message").fill("Greylisted by the UI")
    form.get_by_label("Match account").fill(user)
    form.get_by_label("Times").fill("1")
    form.get_by_role("button", name="Add rule").click()
    rule = page.locator("[data-list=faults] li", has_text=user)
    expect(rule).to_contain_text("smtp: smtp_reply 451")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_mail(server, "refused", user=user)
    [(code, message)] = refused.value.recipients.values()
    assert code == 451 and b"Greylisted by the UI" in message
    expect(rule).to_contain_text("expired")  # fault.fired arrived live: 1 of 1 used
    shot(page, "faults")
    # The journal shows the fault on that SMTP transaction.
    page.get_by_role("link", name="Requests").click()
    expect(
        page.locator("[data-list=requests] .row", has_text="fault: smtp_reply").first
    ).to_be_visible()
    # Removed from the UI, it is gone from the server.
    page.get_by_role("link", name="Faults").click()
    rule.get_by_role("button", name="Remove rule").click()
    expect(rule).to_have_count(0)
    with httpx.Client(base_url=server.url, timeout=10) as admin:
        rules = admin.get("/__admin/faults", params={"account": user}).json()["data"]
    assert rules == []
    # An invalid rule shows the server's 422 message.
    form.get_by_label("Action").select_option("error")
    form.get_by_label("Service").select_option("smtp")
    form.get_by_role("button", name="Add rule").click()
    expect(page.locator("#fault-error")).to_contain_text("does not apply to smtp")


def test_a_rate_limit_added_in_the_form_refuses_the_mail_past_the_limit(
    ui: UiPage, server: EmbeddedServer
) -> None:
    user = f"fs-ui-{token()}"
    page = ui.open("/__admin/ui/#faults")
    form = page.locator("#fault-form")
    form.get_by_label("Service").select_option("smtp")
    form.get_by_label("Action").select_option("rate_limit")
    form.get_by_label("Limit", exact=True).fill("1")
    form.get_by_label("Per seconds").fill("3600")
    form.get_by_label("SMTP answer").select_option("451")
    form.get_by_label("Match account").fill(user)
    form.get_by_role("button", name="Add rule").click()
    rule = page.locator("[data-list=faults] li", has_text=user)
    expect(rule).to_contain_text("smtp: rate_limit 1 per 3600 s")
    send_mail(server, "first within the limit", user=user)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # refused at MAIL FROM
        send_mail(server, "second past the limit", user=user)
    assert refused.value.smtp_code == 451
    expect(rule).to_contain_text("1 hit")
    rule.get_by_role("button", name="Remove rule").click()
    expect(rule).to_have_count(0)


def test_checkout_sessions_are_completed_and_expired_from_the_stripe_view(
    ui: UiPage, server: EmbeddedServer
) -> None:
    key = f"sk_test_ui{token()}"
    sc = stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)

    def session(amount: int) -> str:
        created = sc.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.test/ok",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": amount,
                            "product_data": {"name": "Mug"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )
        return str(created.id)

    paid, expired = session(1234), session(4321)
    page = ui.open()
    page.get_by_role("link", name="Stripe").click()
    page.get_by_label("Account", exact=True).select_option(key)
    page.get_by_label("Show").select_option("checkout.session")
    row = page.locator("[data-list=stripe] .row", has_text=paid)
    expect(row).to_contain_text("open")
    row.click()
    detail = page.locator("[data-detail=stripe]")
    # A declined card shows Stripe's message and leaves the session open, as the hosted page does.
    detail.get_by_label("Test card").select_option("pm_card_visa_chargeDeclined")
    detail.get_by_role("button", name="Complete checkout").click()
    expect(page.locator("#error")).to_contain_text("Your card was declined")
    expect(row).to_contain_text("open")
    detail.get_by_label("Test card").select_option("pm_card_visa")
    detail.get_by_role("button", name="Complete checkout").click()
    expect(row).to_contain_text("complete")
    assert sc.v1.checkout.sessions.retrieve(paid).payment_status == "paid"

    other = page.locator("[data-list=stripe] .row", has_text=expired)
    other.click()
    detail.get_by_role("button", name="Expire checkout").click()
    expect(other).to_contain_text("expired")
    assert sc.v1.checkout.sessions.retrieve(expired).status == "expired"


def test_the_account_switcher_hides_other_accounts_and_keys_move_through_lists(
    ui: UiPage, server: EmbeddedServer
) -> None:
    alice, bob = f"alice-{token()}", f"bob-{token()}"
    page = ui.open()
    send_mail(server, f"for {alice} one", user=alice)
    send_mail(server, f"for {alice} two", user=alice)
    send_mail(server, f"for {bob}", user=bob)
    expect(page.locator(".row", has_text=f"for {bob}")).to_be_visible()
    expect(page.locator("#account option", has_text=alice)).to_have_count(1)
    page.get_by_label("Account", exact=True).select_option(alice)
    expect(page.locator(".row", has_text=f"for {alice} two")).to_be_visible()
    expect(page.locator("[data-list=inbox] .row")).to_have_count(2)
    expect(page.locator(".row", has_text=f"for {bob}")).to_have_count(0)
    assert f"account={alice}" in page.url
    # Live updates stay scoped: bob's next mail does not appear, alice's does.
    send_mail(server, f"late for {bob}", user=bob)
    send_mail(server, f"for {alice} three", user=alice)
    expect(page.locator("[data-list=inbox] .row")).to_have_count(3)
    expect(page.locator(".row", has_text=bob)).to_have_count(0)
    # Keyboard: arrows move between rows, Enter opens one.
    rows = page.locator("[data-list=inbox] .row")
    rows.nth(0).focus()
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(rows.nth(2)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-detail=inbox] h3")).to_have_text(f"for {alice} one")
    # Delete from the UI (the inbox of this account only), then reset it.
    page.get_by_role("button", name="Delete this email").click()
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Reset").click()
    expect(rows).to_have_count(0)
    with httpx.Client(base_url=server.url, timeout=10) as admin:
        left = admin.get("/__admin/emails", params=[("account", alice), ("account", bob)])
    assert [m["subject"] for m in left.json()["data"]] == [f"for {bob}", f"late for {bob}"]
    assert ui.console_errors() == []


def delivered_sms_row(page: Page, server: EmbeddedServer, to: str, body: str) -> Locator:
    """Send an SMS to ``to`` with the real twilio client (a new account), open the SMS view and
    return its row once the live status changes have reached ``delivered``."""
    client = Client("AC" + uuid.uuid4().hex, "token")
    client.api.base_url = server.url
    client.messages.create(to=to, from_="+15557650000", body=body)
    page.get_by_role("link", name="SMS").click()
    row = page.locator("[data-list=sms] .row", has_text=to)
    expect(row).to_contain_text("delivered")  # status changes arrive live
    return row


def test_sms_stripe_3ds_webhooks_and_journal(ui: UiPage, server: EmbeddedServer) -> None:
    key = f"sk_test_ui{token()}"
    page = ui.open()
    row = delivered_sms_row(page, server, "+15551230000", "Your code is 123456")
    row.click()
    detail = page.locator("[data-detail=sms]")
    expect(detail).to_contain_text("Your code is 123456")
    expect(detail.locator("tbody tr")).to_have_count(3)  # queued, sent, delivered
    shot(page, "sms")

    sc = stripe.StripeClient(key, base_addresses={"api": server.url}, max_network_retries=0)
    sc.v1.webhook_endpoints.create(
        params={"url": f"{server.url}/no-such-hook", "enabled_events": ["*"]}
    )
    intent = sc.v1.payment_intents.create(
        params={
            "amount": 2599,
            "currency": "eur",
            "payment_method": "pm_card_threeDSecure2Required",
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    assert intent.status == "requires_action"
    page.get_by_role("link", name="Stripe").click()
    page.get_by_label("Account", exact=True).select_option(key)
    page.get_by_label("Show").select_option("payment_intent")
    stripe_row = page.locator("[data-list=stripe] .row", has_text="25.99 EUR")
    expect(stripe_row).to_contain_text("requires_action")
    stripe_row.click()
    page.get_by_role("button", name="Complete 3D Secure").click()
    expect(stripe_row).to_contain_text("succeeded")  # the model changed and the list followed
    shot(page, "stripe")
    page.get_by_label("Show").select_option("event")
    expect(
        page.locator("[data-list=stripe] .row", has_text="payment_intent.succeeded")
    ).to_be_visible()

    page.get_by_role("link", name="Webhooks").click()
    delivery = page.locator("[data-list=webhooks] .row", has_text="payment_intent.succeeded")
    delivery.first.click()
    attempts = page.locator("[data-detail=webhooks] tbody").last
    expect(attempts).to_contain_text("404")  # the fake's own 404 answered each attempt
    expect(attempts).to_contain_text("No route for POST /no-such-hook")  # its answer, kept
    expect(page.locator("[data-detail=webhooks]")).to_contain_text("Stripe-Signature")
    shot(page, "webhooks")
    page.get_by_role("link", name="Requests").click()
    expect(
        page.locator("[data-list=requests] .row", has_text="/v1/payment_intents").first
    ).to_be_visible()
    page.locator("[data-list=requests] .row", has_text="POST /v1/payment_intents").first.click()
    expect(page.locator("[data-detail=requests]")).to_contain_text("requires_action")
    shot(page, "requests")
    assert ui.console_errors() == []


def test_a_click_survives_the_list_rerendering_between_press_and_release(
    ui: UiPage, server: EmbeddedServer
) -> None:
    """Live updates re-render a list at any moment; a row pressed before one and released after
    it is still clicked (a list rebuilt in between lost the click: the pressed row had left the
    page, the browser gave the click to the list, and the detail stayed empty)."""
    page = ui.open()
    row = delivered_sms_row(page, server, "+15551239999", "press and release")
    box = row.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    # What a live update does: the filter's input handler re-renders the list, the same rows.
    page.locator("[data-filter=sms]").dispatch_event("input")
    page.mouse.up()
    expect(page.locator("[data-detail=sms]")).to_contain_text("press and release")
    expect(row).to_have_attribute("aria-current", "true")
    assert ui.console_errors() == []


def test_phone_width_is_readable(browser: Browser, server: EmbeddedServer) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
    try:
        ui = UiPage(context.new_page(), server.url)
        page = ui.open()
        subject = f"Phone {token()}"
        send_mail(server, subject, html="<p>Small screens too</p>")
        page.locator(".row", has_text=subject).click()
        expect(page.frame_locator("iframe.mail").locator("p")).to_have_text("Small screens too")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0  # nothing wider than the screen: no sideways scrolling
        # The list and the message stack: the detail is below the list, full width.
        listbox = page.locator("[data-list=inbox]").bounding_box()
        detail = page.locator("[data-detail=inbox]").bounding_box()
        assert listbox is not None and detail is not None
        assert detail["y"] >= listbox["y"] + listbox["height"]
        assert detail["width"] > PHONE["width"] * 0.85
        shot(page, "phone")
        assert ui.console_errors() == []
    finally:
        context.close()
