"""Amazon SES v1 (query API, XML) and v2 (REST JSON) through boto3 with ``endpoint_url``.

boto3 signs every request with SigV4; the access key id is the account. Nothing here is mocked:
the clients talk to the session's server over real sockets.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import boto3
import httpx
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from fakeservices.core.clock import ManualClock
from fakeservices.server import EmbeddedServer, start_server

from .helpers import list_emails, wait_emails

# total_max_attempts counts the first try (botocore's max_attempts counts only the retries).
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
SIGNED = (
    "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/ses/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


def client(server: EmbeddedServer, service: str, key: str, config: Config = NO_RETRY) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="anything",
        config=config,
    )


@pytest.fixture
def key(unique: str) -> str:
    return f"AKIA{unique.upper()}"


@pytest.fixture
def v2(server: EmbeddedServer, key: str) -> Any:
    return client(server, "sesv2", key)


@pytest.fixture
def v1(server: EmbeddedServer, key: str) -> Any:
    return client(server, "ses", key)


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    err = exc.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def mime(sender: str, to: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("raw text body")
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    return msg.as_bytes()


# -- SES v2 -------------------------------------------------------------------------------------
def test_v2_simple_send(v2: Any, admin: httpx.Client, key: str, addr: Callable[..., str]) -> None:
    to, cc, bcc = addr("to"), addr("cc"), addr("bcc")
    resp = v2.send_email(
        FromEmailAddress="Shop <shop@acme.example>",
        Destination={"ToAddresses": [to], "CcAddresses": [cc], "BccAddresses": [bcc]},
        ReplyToAddresses=["help@acme.example"],
        Content={
            "Simple": {
                "Subject": {"Data": "Order 42", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": "Thanks"}, "Html": {"Data": "<b>Thanks</b>"}},
                "Headers": [{"Name": "X-Order", "Value": "42"}],
                "Attachments": [
                    {"RawContent": b"col1,col2", "FileName": "order.csv", "ContentType": "text/csv"}
                ],
            }
        },
        EmailTags=[{"Name": "flow", "Value": "orders"}],
        ConfigurationSetName="transactional",
    )
    message_id = resp["MessageId"]
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["source"], mail["provider_message_id"]) == ("sesv2", message_id)
    assert (mail["from"], mail["to"], mail["cc"], mail["bcc"]) == (
        "shop@acme.example",
        [to],
        [cc],
        [bcc],
    )
    assert (mail["subject"], mail["text"], mail["html"]) == ("Order 42", "Thanks", "<b>Thanks</b>")
    assert mail["reply_to"] == ["help@acme.example"]
    assert mail["headers"]["X-Order"] == ["42"]
    assert (mail["tags"], mail["variables"]) == (["flow"], {"flow": "orders"})
    assert mail["configuration_set"] == "transactional"
    assert mail["message_id"] == f"<{message_id}@email.amazonses.com>"
    assert "simulator" not in mail
    [att] = mail["attachments"]
    assert (att["filename"], att["content_type"], att["size"]) == ("order.csv", "text/csv", 9)


def test_v2_raw_send_keeps_the_bytes(
    v2: Any, admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to = addr("raw")
    raw = mime("billing@acme.example", to, "Raw one")
    v2.send_email(Content={"Raw": {"Data": raw}})
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["from"], mail["subject"], mail["text"]) == (
        "billing@acme.example",
        "Raw one",
        "raw text body\n",
    )
    assert admin.get(f"/__admin/emails/{mail['id']}/raw").content == raw
    assert mail["attachments"][0]["filename"] == "a.pdf"


def test_v2_templates_stored_and_inline(
    v2: Any, admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    v2.create_email_template(
        TemplateName="welcome",
        TemplateContent={
            "Subject": "Hi {{name}}",
            "Text": "Plan: {{plan.name}}",
            "Html": "<p>{{name}}</p>",
        },
    )
    to = addr("tpl")
    v2.send_email(
        FromEmailAddress="a@acme.example",
        Destination={"ToAddresses": [to]},
        Content={
            "Template": {
                "TemplateName": "welcome",
                "TemplateData": '{"name":"Ada","plan":{"name":"Pro"}}',
            }
        },
    )
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["subject"], mail["text"], mail["html"]) == ("Hi Ada", "Plan: Pro", "<p>Ada</p>")
    assert (mail["template_id"], mail["template_data"]) == (
        "welcome",
        {"name": "Ada", "plan": {"name": "Pro"}},
    )
    inline_to = addr("inline")
    v2.send_email(
        FromEmailAddress="a@acme.example",
        Destination={"ToAddresses": [inline_to]},
        Content={
            "Template": {
                "TemplateContent": {"Subject": "Code {{code}}", "Text": "{{code}}"},
                "TemplateData": '{"code": 123456}',
            }
        },
    )
    [inline] = wait_emails(admin, to=inline_to, account=key)
    assert (inline["subject"], inline["text"]) == ("Code 123456", "123456")
    with pytest.raises(ClientError) as missing:
        v2.send_email(
            FromEmailAddress="a@acme.example",
            Destination={"ToAddresses": [to]},
            Content={"Template": {"TemplateName": "nope", "TemplateData": "{}"}},
        )
    assert code_of(missing) == (404, "NotFoundException", "Template nope does not exist.")
    with pytest.raises(ClientError) as again:
        v2.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "x"})
    assert code_of(again)[:2] == (400, "AlreadyExistsException")


@pytest.mark.parametrize(
    ("local", "outcome"),
    [
        ("success", "success"),
        ("bounce", "bounce"),
        ("ooto", "ooto"),
        ("complaint", "complaint"),
        ("suppressionlist", "suppressionlist"),
        ("bounce+signup-42", "bounce"),
    ],
)
def test_mailbox_simulator_outcome_is_stored(
    v2: Any, admin: httpx.Client, key: str, local: str, outcome: str
) -> None:
    to = f"{local}@simulator.amazonses.com"
    resp = v2.send_email(
        FromEmailAddress="a@acme.example",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": local}, "Body": {"Text": {"Data": "t"}}}},
    )
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["simulator"], mail["provider_message_id"]) == (outcome, resp["MessageId"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"FromEmailAddress": "no-at-sign"},
            (400, "BadRequestException", "Missing final '@domain'"),
        ),
        (
            {"Destination": {"ToAddresses": ["bad@@x"]}},
            (400, "BadRequestException", "Illegal address"),
        ),
        ({"Destination": {}}, (400, "BadRequestException", "Missing required header 'To'.")),
        (
            {"Destination": {"ToAddresses": [f"r{i}@acme.example" for i in range(51)]}},
            (400, "BadRequestException", "Recipient count exceeds 50."),
        ),
    ],
)
def test_v2_errors(v2: Any, change: dict[str, Any], expected: tuple[int, str, str]) -> None:
    params = {
        "FromEmailAddress": "a@acme.example",
        "Destination": {"ToAddresses": ["b@acme.example"]},
        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        **change,
    }
    with pytest.raises(ClientError) as raised:
        v2.send_email(**params)
    assert code_of(raised) == expected


# -- SES v1 -------------------------------------------------------------------------------------
def test_v1_send_email(v1: Any, admin: httpx.Client, key: str, addr: Callable[..., str]) -> None:
    to, bcc = addr("v1"), addr("v1-bcc")
    resp = v1.send_email(
        Source="Shop <shop@acme.example>",
        Destination={"ToAddresses": [to], "BccAddresses": [bcc]},
        Message={
            "Subject": {"Data": "Receipt"},
            "Body": {"Text": {"Data": "Paid"}, "Html": {"Data": "<i>Paid</i>"}},
        },
        ReplyToAddresses=["help@acme.example"],
        Tags=[{"Name": "kind", "Value": "receipt"}],
        ConfigurationSetName="main",
    )
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["source"], mail["provider_message_id"]) == ("ses", resp["MessageId"])
    assert (mail["from"], mail["to"], mail["bcc"]) == ("shop@acme.example", [to], [bcc])
    assert (mail["subject"], mail["text"], mail["html"]) == ("Receipt", "Paid", "<i>Paid</i>")
    assert (mail["reply_to"], mail["tags"], mail["configuration_set"]) == (
        ["help@acme.example"],
        ["kind"],
        "main",
    )


def test_v1_send_raw_email(
    v1: Any, admin: httpx.Client, key: str, addr: Callable[..., str]
) -> None:
    to, extra = addr("raw1"), addr("raw1-extra")
    raw = mime("billing@acme.example", to, "Raw v1")
    resp = v1.send_raw_email(RawMessage={"Data": raw}, Destinations=[to, extra])
    [mail] = wait_emails(admin, to=extra, account=key)
    assert mail["envelope_to"] == [to, extra]
    assert mail["bcc"] == [extra]  # an envelope recipient no header names
    assert mail["provider_message_id"] == resp["MessageId"]
    assert admin.get(f"/__admin/emails/{mail['id']}/raw").content == raw
    plain = addr("raw1-headers")
    v1.send_raw_email(RawMessage={"Data": mime("x@acme.example", plain, "headers only")})
    assert wait_emails(admin, to=plain, account=key)[0]["envelope_from"] == "x@acme.example"
    with pytest.raises(ClientError) as no_from:
        v1.send_raw_email(RawMessage={"Data": b"Subject: x\r\n\r\nbody"}, Destinations=[plain])
    assert code_of(no_from) == (400, "InvalidParameterValue", "Missing required header 'From'.")


def test_v1_templates_shared_with_v2(
    server: EmbeddedServer,
    v1: Any,
    v2: Any,
    admin: httpx.Client,
    key: str,
    addr: Callable[..., str],
) -> None:
    v1.create_template(
        Template={
            "TemplateName": "reset",
            "SubjectPart": "Reset, {{user}}",
            "TextPart": "Code {{code}}",
        }
    )
    to = addr("tpl1")
    v1.send_templated_email(
        Source="a@acme.example",
        Destination={"ToAddresses": [to]},
        Template="reset",
        TemplateData='{"user": "Bo", "code": "9"}',
    )
    [mail] = wait_emails(admin, to=to, account=key)
    assert (mail["subject"], mail["text"], mail["template_id"]) == ("Reset, Bo", "Code 9", "reset")
    to2 = addr("tpl2")
    v2.send_email(
        FromEmailAddress="a@acme.example",
        Destination={"ToAddresses": [to2]},
        Content={"Template": {"TemplateName": "reset", "TemplateData": '{"user": "Cy"}'}},
    )
    assert wait_emails(admin, to=to2, account=key)[0]["subject"] == "Reset, Cy"
    with pytest.raises(ClientError) as missing:
        v1.send_templated_email(
            Source="a@acme.example",
            Destination={"ToAddresses": [to]},
            Template="nope",
            TemplateData="{}",
        )
    assert code_of(missing) == (400, "TemplateDoesNotExist", "Template nope does not exist.")
    with pytest.raises(ClientError) as dup:
        v1.create_template(Template={"TemplateName": "reset"})
    assert code_of(dup) == (400, "AlreadyExists", "Template reset already exists.")
    other = client(server, "ses", f"{key}-other")
    with pytest.raises(ClientError) as elsewhere:  # templates belong to an account
        other.send_templated_email(
            Source="a@acme.example",
            Destination={"ToAddresses": [to]},
            Template="reset",
            TemplateData="{}",
        )
    assert code_of(elsewhere)[1] == "TemplateDoesNotExist"
    admin.post("/__admin/reset", params={"account": key})
    with pytest.raises(ClientError) as after_reset:
        v1.send_templated_email(
            Source="a@acme.example",
            Destination={"ToAddresses": [to]},
            Template="reset",
            TemplateData="{}",
        )
    assert code_of(after_reset)[1] == "TemplateDoesNotExist"


def test_v1_errors_are_ses_xml(v1: Any, server: EmbeddedServer, key: str) -> None:
    with pytest.raises(ClientError) as illegal:
        v1.send_email(
            Source="a@acme.example",
            Destination={"ToAddresses": ["b@@acme"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert code_of(illegal) == (400, "InvalidParameterValue", "Illegal address")
    url = server.url + "/"
    headers = {"Authorization": SIGNED.format(key=key)}
    unknown = requests.post(url, data={"Action": "DeleteEverything"}, headers=headers, timeout=10)
    assert unknown.status_code == 400
    assert unknown.headers["content-type"].startswith("text/xml")
    assert "<Code>InvalidAction</Code>" in unknown.text
    assert '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' in unknown.text
    no_action = requests.post(url, data={"Source": "a@acme.example"}, headers=headers, timeout=10)
    assert "<Code>MissingAction</Code>" in no_action.text
    unsigned = requests.post(url, data={"Action": "SendEmail"}, timeout=10)
    assert unsigned.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in unsigned.text
    malformed = requests.post(
        url,
        data={"Action": "SendEmail"},
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/2026"},
        timeout=10,
    )
    assert malformed.status_code == 400
    assert "<Code>IncompleteSignature</Code>" in malformed.text
    assert "Authorization header requires &apos;Signature&apos; parameter." in malformed.text or (
        "Authorization header requires 'Signature' parameter." in malformed.text
    )


def test_root_is_still_the_index_and_non_form_posts_are_not_ses(server: EmbeddedServer) -> None:
    assert requests.get(server.url + "/", timeout=10).status_code == 200
    posted = requests.post(server.url + "/", json={"Action": "SendEmail"}, timeout=10)
    assert posted.status_code == 405
    assert posted.json()["error"]["code"] == "method_not_allowed"


def test_v2_auth_errors(server: EmbeddedServer) -> None:
    url = server.url + "/v2/email/outbound-emails"
    unsigned = requests.post(url, json={}, timeout=10)
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    bad = requests.post(url, json={}, headers={"Authorization": "AWS4-HMAC-SHA256 x"}, timeout=10)
    assert (bad.status_code, bad.headers["x-amzn-ErrorType"]) == (
        400,
        "IncompleteSignatureException",
    )
    assert "Authorization header requires 'Credential' parameter." in bad.json()["message"]


# -- rate limits: botocore retries Throttling (v1) and TooManyRequestsException (v2) ------------

CLOCK = ManualClock()


@pytest.fixture(scope="module")
def limited() -> Iterator[EmbeddedServer]:
    with start_server(services=("fakeservices.email",), time=CLOCK) as s:
        yield s


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [("sesv2", 429, "TooManyRequestsException"), ("ses", 400, "Throttling")],
)
def test_rate_limit_is_retried_by_botocore_then_served_when_the_window_opens(
    limited: EmbeddedServer, unique: str, service: str, status: int, code: str
) -> None:
    key = f"AKIARL{unique.upper()}{service.upper()}"
    retrying = Config(retries={"total_max_attempts": 2, "mode": "standard"})
    ses = client(limited, service, key, retrying)
    with httpx.Client(base_url=limited.url) as admin:
        rule = {
            "service": service,
            "match": {"account": key},
            "action": {"type": "rate_limit", "limit": 1, "per_seconds": 2},
        }
        created = admin.post("/__admin/faults", json=rule).json()

        def send(n: int) -> str:
            if service == "sesv2":
                return str(
                    ses.send_email(
                        FromEmailAddress="a@acme.example",
                        Destination={"ToAddresses": ["b@acme.example"]},
                        Content={
                            "Simple": {"Subject": {"Data": f"{n}"}, "Body": {"Text": {"Data": "t"}}}
                        },
                    )["MessageId"]
                )
            return str(
                ses.send_email(
                    Source="a@acme.example",
                    Destination={"ToAddresses": ["b@acme.example"]},
                    Message={"Subject": {"Data": f"{n}"}, "Body": {"Text": {"Data": "t"}}},
                )["MessageId"]
            )

        first = send(1)
        with pytest.raises(ClientError) as throttled:
            send(2)
        assert code_of(throttled) == (status, code, "Maximum sending rate exceeded.")
        assert throttled.value.response["ResponseMetadata"]["RetryAttempts"] == 1  # it retried
        assert admin.get(f"/__admin/faults/{created['id']}").json()["hits"] == 2
        refused = admin.get("/__admin/requests", params={"service": service, "status": status})
        assert [e["account"] for e in refused.json()["data"]].count(key) == 2
        CLOCK.advance(2)
        third = send(3)
        stored = list_emails(admin, account=key)
        assert [m["provider_message_id"] for m in stored] == [first, third]


def test_injected_fault_uses_the_ses_envelopes(
    server: EmbeddedServer, admin: httpx.Client, v1: Any, v2: Any, addr: Callable[..., str]
) -> None:
    to = addr("faulted")
    try:
        for service in ("ses", "sesv2"):
            rule = {
                "service": service,
                "match": {"to": to},
                "action": {"type": "error", "status": 400},
                "times": 1,
            }
            assert admin.post("/__admin/faults", json=rule).status_code == 201
        with pytest.raises(ClientError) as v1_err:
            v1.send_email(
                Source="a@acme.example",
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
            )
        assert code_of(v1_err)[:2] == (400, "InvalidParameterValue")
        with pytest.raises(ClientError) as v2_err:
            v2.send_email(
                FromEmailAddress="a@acme.example",
                Destination={"ToAddresses": [to]},
                Content={"Raw": {"Data": mime("a@acme.example", to, "r")}},
            )
        assert code_of(v2_err)[:2] == (400, "BadRequestException")
        assert list_emails(admin, to=to) == []
    finally:
        admin.delete("/__admin/faults")


def test_raw_form_post_is_stored(server: EmbeddedServer, admin: httpx.Client, key: str) -> None:
    """What a hand-rolled client (or another SDK) posts: the query API's own form fields."""
    form = {
        "Action": "SendRawEmail",
        "Version": "2010-12-01",
        "RawMessage.Data": base64.b64encode(mime("f@acme.example", f"hand-{key}@x.example", "h")),
    }
    resp = requests.post(
        server.url + "/", data=form, headers={"Authorization": SIGNED.format(key=key)}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    assert "<SendRawEmailResult>" in resp.text
    assert wait_emails(admin, to=f"hand-{key}@x.example")[0]["source"] == "ses"
