"""Isolation holds on a shared sidecar: the README's pytest file and the example shop's suite run
against a real ``fakeservices serve`` process, twice in a row on the same one and under
``pytest -n 2``; a test whose application sends nothing times out instead of passing on the
mail of an earlier run (the false pass this project once had)."""

from __future__ import annotations

import os
import re
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.test_cli import serve, urls
from tests.test_readme import blocks

ROOT = Path(__file__).resolve().parents[1]

SENDS_NOTHING = """
def test_registration_sends_a_welcome_email(fake):
    # The application under test is broken: it sends nothing.
    [mail] = fake.emails.wait(to="john@example.com", subject="Welcome", timeout=1)
    assert "John Doe" in mail.text
"""


@dataclass
class Sidecar:
    url: str
    smtp_host: str
    smtp_port: int

    @property
    def env(self) -> dict[str, str]:
        return {
            "FAKESERVICES_URL": self.url,
            "FAKESERVICES_SMTP": f"{self.smtp_host}:{self.smtp_port}",
        }


@pytest.fixture(scope="module")
def sidecar() -> Iterator[Sidecar]:
    with serve("--http-port", "0", "--smtp-port", "0") as (_proc, banner):
        yield Sidecar(*urls(banner))


def run_pytest(
    args: list[str], cwd: Path, env: dict[str, str] | None
) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess, on the sidecar when ``env`` names one, else embedded."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FAKESERVICES_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def old_welcome_mail(sidecar: Sidecar, user: str | None) -> None:
    """The mail an earlier run left on the sidecar (as another test's user, or without AUTH)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "shop@example.com", "john@example.com", "Welcome!"
    msg.set_content("Hello John Doe")
    with smtplib.SMTP(sidecar.smtp_host, sidecar.smtp_port, timeout=10) as smtp:
        if user is not None:
            smtp.login(user, "pw")
        smtp.send_message(msg)


def test_readme_pytest_file_on_a_sidecar_twice_and_under_two_workers(
    sidecar: Sidecar, tmp_path: Path
) -> None:
    [code] = blocks("pytest")
    (tmp_path / "test_readme_example.py").write_text(code)
    tests = len(re.findall(r"^def test_", code, re.M))
    for args in ([], [], ["-n", "2"]):
        proc = run_pytest([*args, str(tmp_path)], tmp_path, sidecar.env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"{tests} passed" in proc.stdout


@pytest.mark.parametrize("where", ["sidecar", "embedded"])
def test_a_test_that_sends_nothing_times_out_instead_of_passing_on_old_mail(
    sidecar: Sidecar, tmp_path: Path, where: str
) -> None:
    old_welcome_mail(sidecar, "fs-an-earlier-test")
    old_welcome_mail(sidecar, None)
    assert httpx.get(f"{sidecar.url}/__admin/emails", params={"to": "john@example.com"}).json()[
        "data"
    ], "the old mail is there to be found"
    (tmp_path / "test_sends_nothing.py").write_text(SENDS_NOTHING)
    proc = run_pytest([str(tmp_path)], tmp_path, sidecar.env if where == "sidecar" else None)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "1 failed" in out
    assert "WaitTimeout: Timed out after 1s waiting for 1 emails" in out
    # The failure report says what the test's scope saw: nothing.
    assert "- fakeservices -" in out and "emails: none" in out


def test_shop_suite_on_one_sidecar_twice_then_under_two_workers(sidecar: Sidecar) -> None:
    for args in (["examples/shop/tests"], ["-n", "2", "examples/shop/tests"]):
        proc = run_pytest(args, ROOT, sidecar.env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "11 passed" in proc.stdout
    # Each test used its own credentials: no two welcome mails share an issued SMTP user.
    emails = httpx.get(f"{sidecar.url}/__admin/emails", params={"limit": 1000}).json()["data"]
    users = [e["account"] for e in emails if e["account"].startswith("fs-")]
    users = [u for u in users if u != "fs-an-earlier-test"]
    assert len(users) == len(set(users)) >= 12  # six welcome mails per run of the shop suite
