"""The core SMTP listener with no mail fake loaded: session handling and the journal."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import httpx
import pytest

from fakeservices.server import EmbeddedServer, start_server


@pytest.fixture(scope="module")
def bare() -> Iterator[EmbeddedServer]:
    with start_server(services=(), max_message_bytes=2048) as s:
        yield s


def test_ehlo_and_quit(bare: EmbeddedServer) -> None:
    smtp = smtplib.SMTP(bare.smtp_host, bare.smtp_port, timeout=10)
    code, _banner = smtp.ehlo("me.test")
    assert code == 250
    assert smtp.esmtp_features["size"] == "2048"
    code, _ = smtp.quit()
    assert code == 221


def test_transaction_is_journaled_with_the_auth_user_as_account(
    bare: EmbeddedServer, unique: str
) -> None:
    with smtplib.SMTP(bare.smtp_host, bare.smtp_port, timeout=10) as smtp:
        smtp.login(unique, "any password")
        with pytest.raises(smtplib.SMTPDataError) as exc:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nbody\r\n")
        assert exc.value.smtp_code == 554  # no fake takes mail in this server
    entries = httpx.get(
        f"{bare.url}/__admin/requests", params={"service": "smtp", "account": unique}
    ).json()["data"]
    assert len(entries) == 1
    e = entries[0]
    assert e["method"] == "DATA" and e["status"] == 554
    assert e["detail"]["mail_from"] == "a@example.com"
    assert e["detail"]["rcpt_to"] == ["b@example.com"]


def test_oversized_message_gets_552_and_session_continues(bare: EmbeddedServer) -> None:
    with smtplib.SMTP(bare.smtp_host, bare.smtp_port, timeout=10) as smtp:
        # smtplib declares SIZE= in MAIL FROM, so the refusal comes before any data is sent.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("a@example.com", ["b@example.com"], b"x" * 5000)
        assert refused.value.smtp_code == 552
        # A client that does not declare the size is stopped at DATA.
        assert smtp.mail("a@example.com")[0] == 250
        assert smtp.rcpt("b@example.com")[0] == 250
        code, _ = smtp.data((b"x" * 70 + b"\r\n") * 80)
        assert code == 552
        assert smtp.noop()[0] == 250
