"""The pytest plugin, run as users run it: pytest in a subprocess, embedded or with a sidecar."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PLUGIN_TESTS = """
import smtplib

import pytest

seen_keys = []


def test_fresh_credentials_and_helpers(fake):
    assert fake.stripe_key.startswith("sk_test_")
    assert fake.twilio_sid.startswith("AC") and len(fake.twilio_sid) == 34
    assert fake.smtp_user and fake.email_api_key
    seen_keys.append(fake.stripe_key)
    customer = fake.stripe_client().v1.customers.create(params={"email": "a@example.com"})
    assert customer.id.startswith("cus_")
    message = fake.twilio_client().messages.create(
        to="+15558675310", from_="+15005550006", body="hi"
    )
    assert message.sid.startswith("SM")
    response = fake.sendgrid_client().send(
        {
            "personalizations": [{"to": [{"email": "sg@example.com"}]}],
            "from": {"email": "shop@example.com"},
            "subject": "via sendgrid",
            "content": [{"type": "text/plain", "value": "hello"}],
        }
    )
    assert response.status_code == 202
    with fake.smtp() as smtp:
        smtp.sendmail("shop@example.com", ["first@example.com"], b"Subject: one\\r\\n\\r\\nx")
    assert fake.emails.wait(to="first@example.com")[0].account == fake.smtp_user
    assert fake.emails.wait(to="sg@example.com")[0].account == fake.email_api_key


def test_next_test_starts_clean_with_new_credentials(fake):
    assert fake.stripe_key not in seen_keys
    # The embedded server is ours: everything was reset before this test.
    assert fake.emails.list() == []
    assert fake.sms.list() == []
    assert fake.faults.list() == []


def test_faults_added_through_fake_are_removed_after_the_test(fake):
    fake.faults.add("smtp", {"type": "smtp_reply", "code": 451, "stage": "rcpt"})
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        with fake.smtp() as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"x")


def test_no_fault_left_over(fake):
    assert fake.faults.list() == []
"""


def run_pytest(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_plugin_with_an_embedded_server(tmp_path: Path) -> None:
    (tmp_path / "test_with_plugin.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKESERVICES_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


def test_an_unreachable_sidecar_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    (tmp_path / "test_uses_fake.py").write_text("def test_it(fake):\n    pass\n")
    proc = run_pytest([str(tmp_path)], tmp_path, {"FAKESERVICES_URL": url})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 error" in proc.stdout
    assert f"FakeServicesUnreachable: Cannot reach the fakeservices server at {url} " in proc.stdout
    assert "or set FAKESERVICES_URL to the URL of the one you run." in proc.stdout
