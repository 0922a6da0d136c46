"""Host-side checks used by docker/test-image.sh against a running fakeservices container.

Needs the test dependencies (``stripe``, ``twilio``, ``httpx``): run it with the project's venv.
Every subcommand exits non-zero with one explaining line when a check fails.

    check_image.py free-ports N          print N free loopback TCP ports, one a line
    check_image.py config                check `podman image inspect` JSON (read from stdin)
    check_image.py health URL            one health probe: exit 0 if /__admin/health says ok
    check_image.py traffic URL SMTP_PORT send SMTP mail, a Stripe payment and a Twilio SMS with
                                         the real clients, then read all three back via /__admin
"""

from __future__ import annotations

import json
import smtplib
import socket
import sys
import uuid
from email.message import EmailMessage
from typing import Any

import httpx

EXPECTED_USER = "10001:10001"


class CheckFailed(Exception):
    pass


def ensure(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def check_config(inspect: list[dict[str, Any]]) -> None:
    config = inspect[0]["Config"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    ensure(config.get("User") == EXPECTED_USER, f"image USER is {config.get('User')!r}")
    ensure(
        env.get("FAKESERVICES_HOST") == "0.0.0.0",
        f"FAKESERVICES_HOST is {env.get('FAKESERVICES_HOST')!r}",
    )
    ensure(
        config.get("Entrypoint") == ["fakeservices", "serve"],
        f"ENTRYPOINT is {config.get('Entrypoint')}",
    )
    ensure(
        config.get("StopSignal") in ("SIGTERM", "15"), f"STOPSIGNAL is {config.get('StopSignal')!r}"
    )
    ports = set(config.get("ExposedPorts") or {})
    ensure({"4010/tcp", "2525/tcp"} <= ports, f"EXPOSE is {sorted(ports)}")
    # Docker keeps it in Config; podman reports it next to Config.
    health = config.get("Healthcheck") or inspect[0].get("Healthcheck") or {}
    test = " ".join(health.get("Test") or [])
    ensure("/__admin/health" in test and "curl" not in test, f"HEALTHCHECK is {test!r}")
    print(f"config ok: user {config['User']}, entrypoint {config['Entrypoint']}, healthcheck set")


def health(url: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/__admin/health", timeout=2)
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    ensure(body.get("status") == "ok", f"health answered {body}")
    return body


def admin_wait(client: httpx.Client, collection: str, **params: str) -> list[dict[str, Any]]:
    r = client.get(f"/__admin/{collection}/wait", params={"timeout": "10", **params})
    where = f"GET /__admin/{collection}/wait {params}"
    ensure(r.status_code == 200, f"{where} -> {r.status_code} {r.text}")
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def send_email(smtp_port: int, to: str) -> None:
    msg = EmailMessage()
    msg["From"] = "shop@example.com"
    msg["To"] = to
    msg["Subject"] = "Your order from the container test"
    msg.set_content("Thanks for your order.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def stripe_payment(url: str, key: str) -> str:
    import stripe

    # The module-level API as an app configures it: one line redirects the SDK.
    stripe.api_base = url
    stripe.api_key = key
    stripe.max_network_retries = 0
    intent = stripe.PaymentIntent.create(
        amount=4200, currency="usd", payment_method="pm_card_visa", payment_method_types=["card"]
    )
    intent = stripe.PaymentIntent.confirm(intent.id)
    ensure(intent.status == "succeeded", f"PaymentIntent {intent.id} is {intent.status}")
    return str(intent.id)


def twilio_sms(url: str, sid: str, to: str) -> str:
    from twilio.rest import Client

    client = Client(sid, "token")
    client.region = None
    client.edge = None
    client.api.base_url = url
    message = client.messages.create(to=to, from_="+15005550006", body="Your code is 123456")
    return str(message.sid)


def traffic(url: str, smtp_port: int) -> None:
    tag = uuid.uuid4().hex[:10]
    to_email = f"buyer-{tag}@example.com"
    stripe_key = f"sk_test_image{tag}"
    twilio_sid = "AC" + uuid.uuid4().hex
    to_phone = "+1555" + str(int(tag, 16))[-7:]

    send_email(smtp_port, to_email)
    intent_id = stripe_payment(url, stripe_key)
    sms_sid = twilio_sms(url, twilio_sid, to_phone)

    with httpx.Client(base_url=url, timeout=15) as admin:
        emails = admin_wait(admin, "emails", to=to_email)
        ensure(emails[0]["subject"] == "Your order from the container test", f"email {emails[0]}")
        print(f"email ok: {emails[0]['id']} to {to_email} read back over /__admin/emails")

        confirms = admin_wait(
            admin,
            "requests",
            service="stripe",
            account=stripe_key,
            path=f"/v1/payment_intents/{intent_id}/confirm",
        )
        ensure(confirms[0]["status"] == 200, f"confirm journaled as {confirms[0]['status']}")
        print(f"stripe ok: {intent_id} succeeded, confirm read back over /__admin/requests")

        sms = admin_wait(admin, "sms", to=to_phone, account=twilio_sid)
        ensure(sms[0]["sid"] == sms_sid, f"sms read back {sms[0]['sid']}, sent {sms_sid}")
        ensure(sms[0]["body"] == "Your code is 123456", f"sms body {sms[0]['body']!r}")
        print(f"sms ok: {sms_sid} to {to_phone} read back over /__admin/sms")

        counts = admin.get("/__admin/health").json()["counts"]
        print(f"health counts: {json.dumps(counts, sort_keys=True)}")


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["free-ports", n]:
                print("\n".join(str(p) for p in free_ports(int(n))))
            case ["config"]:
                check_config(json.load(sys.stdin))
            case ["health", url]:
                health(url)
            case ["traffic", url, smtp_port]:
                traffic(url, int(smtp_port))
            case _:
                print(__doc__, file=sys.stderr)
                return 2
    except (CheckFailed, httpx.HTTPError, OSError) as exc:
        print(f"check failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
