"""A failed test that used ``fake`` explains itself: its report gets a "fakeservices" section
listing what arrived in its scope (run as users run it, with ``pytester`` in a subprocess)."""

from __future__ import annotations

import re

import pytest

from fakeservices.failure_report import MAX_CHARS, MAX_ITEMS

pytest_plugins = ["pytester"]

TESTS = """
import pytest

SHOP = "shop@example.com"


def test_a_quiet_neighbour_sends_mail(fake):
    with fake.smtp() as smtp:
        smtp.sendmail(SHOP, ["neighbour@example.com"], b"Subject: Not yours\\r\\n\\r\\nx")


def test_fails_after_activity(fake):
    with fake.smtp() as smtp:
        message = b"To: ann@example.com\\r\\nSubject: Your order\\r\\n\\r\\nhi"
        smtp.sendmail(SHOP, ["ann@example.com"], message)
    fake.twilio_client().messages.create(to="+15558675310", from_="+15005550006", body="Order paid")
    fake.stripe_client().v1.payment_intents.create(
        params={"amount": 100, "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": True, "payment_method_types": ["card"]}
    )
    fake.faults.add("stripe", {"type": "error", "status": 500}, {"path": "/v1/customers"})
    with pytest.raises(Exception):
        fake.stripe_client().v1.customers.create()
    fake.sms.wait(status="delivered")
    assert False, "the app misbehaved"


def test_fails_after_many_emails(fake):
    with fake.smtp() as smtp:
        for n in range(25):
            smtp.sendmail(SHOP, [f"m{n}@example.com"], f"Subject: mail {n}\\r\\n\\r\\nx")
    assert False


def test_fails_having_seen_nothing(fake):
    assert False


def test_passes_after_activity(fake):
    with fake.smtp() as smtp:
        smtp.sendmail(SHOP, ["ok@example.com"], b"Subject: fine\\r\\n\\r\\nx")


def test_fails_without_fake():
    assert False
"""


def sections(out: str) -> dict[str, str]:
    """Each failed test's part of the failure report, by test name."""
    parts = re.split(r"^_{3,} (test_\w+) _{3,}$", out, flags=re.M)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def fakeservices_section(body: str) -> str | None:
    match = re.search(r"^-+ fakeservices -+$\n(.*?)(?=^[-=_]{3,}|\Z)", body, re.M | re.S)
    return match.group(1) if match else None


def test_failed_tests_report_what_arrived_in_their_scope(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAKESERVICES_URL", raising=False)
    monkeypatch.delenv("FAKESERVICES_SMTP", raising=False)
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=4)
    failed = sections(result.stdout.str())
    assert set(failed) == {
        "test_fails_after_activity",
        "test_fails_after_many_emails",
        "test_fails_having_seen_nothing",
        "test_fails_without_fake",
    }

    report = fakeservices_section(failed["test_fails_after_activity"])
    assert report is not None
    assert "to=ann@example.com subject='Your order'" in report
    assert "to=+15558675310 status=delivered body='Order paid'" in report
    assert re.search(r"payment_intent\.succeeded pi_\w+", report)
    assert re.search(r"charge\.succeeded ch_\w+", report)
    assert "faults that fired" in report and "POST /v1/customers -> 500 fault=error" in report
    assert "1 hits" in report
    assert "last requests" in report and "stripe POST /v1/payment_intents -> 200" in report
    assert "Not yours" not in report  # the neighbour's mail is not in this test's scope

    many = fakeservices_section(failed["test_fails_after_many_emails"])
    assert many is not None
    assert f"emails ({MAX_ITEMS}+)" in many
    assert "subject='mail 0'" in many and f"subject='mail {MAX_ITEMS}'" not in many
    assert len(many) <= MAX_CHARS + 1

    nothing = fakeservices_section(failed["test_fails_having_seen_nothing"])
    assert nothing is not None
    assert "emails: none" in nothing and "sms: none" in nothing
    assert "stripe events: none" in nothing and "webhook deliveries: none" in nothing

    assert fakeservices_section(failed["test_fails_without_fake"]) is None
    assert "fakeservices ---" not in result.stdout.str().split("short test summary")[1]
