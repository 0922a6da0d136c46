"""Declines carry every field real Stripe sends, in the error, last_payment_error and outcome."""

from __future__ import annotations

import re

import pytest
import stripe

from .conftest import CARD, EXP_YEAR

#: (magic PaymentMethod, code, decline_code, param, advice_code, network_decline_code)
DECLINES = [
    (
        "pm_card_visa_chargeDeclined",
        "card_declined",
        "generic_decline",
        None,
        "try_again_later",
        "01",
    ),
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "card_declined",
        "insufficient_funds",
        None,
        "try_again_later",
        "51",
    ),
    (
        "pm_card_chargeDeclinedExpiredCard",
        "expired_card",
        "expired_card",
        "exp_month",
        "confirm_card_data",
        "54",
    ),
    (
        "pm_card_chargeDeclinedIncorrectCvc",
        "incorrect_cvc",
        "incorrect_cvc",
        "cvc",
        "confirm_card_data",
        "N7",
    ),
    (
        "pm_card_chargeDeclinedProcessingError",
        "processing_error",
        "processing_error",
        None,
        "try_again_later",
        None,
    ),
    (
        "pm_card_visa_chargeDeclinedLostCard",
        "card_declined",
        "lost_card",
        None,
        "do_not_try_again",
        "41",
    ),
]


@pytest.mark.parametrize(("pm", "code", "decline", "param", "advice", "network"), DECLINES)
def test_decline_fields_in_error_last_payment_error_and_outcome(
    client: stripe.StripeClient,
    pm: str,
    code: str,
    decline: str,
    param: str | None,
    advice: str,
    network: str | None,
) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "usd",
                "confirm": True,
                "payment_method": pm,
                **CARD,
            }
        )
    err = info.value.error
    assert err is not None
    assert (err.code, err.decline_code, err.param, err.advice_code) == (
        code,
        decline,
        param,
        advice,
    )
    raw = info.value.json_body["error"]
    assert raw.get("network_decline_code") == network
    assert "network_advice_code" not in raw  # null, and Stripe leaves null keys out of errors

    pi = client.v1.payment_intents.retrieve(err.payment_intent.id)
    lpe = pi.last_payment_error
    assert lpe is not None
    lpe_raw = lpe.to_dict()
    assert (lpe.code, lpe.decline_code, lpe_raw.get("param"), lpe.advice_code) == (
        code,
        decline,
        param,
        advice,
    )
    assert lpe_raw.get("network_decline_code") == network

    charge = client.v1.charges.retrieve(err.charge)
    outcome = charge.outcome
    assert outcome is not None
    assert outcome.network_status == "declined_by_network"
    assert outcome.reason == decline
    assert outcome.type == "issuer_declined"
    assert outcome.risk_level == "normal"
    assert outcome.advice_code == advice
    assert outcome.network_decline_code == network
    assert outcome.network_advice_code is None
    assert outcome.seller_message.startswith("The bank")
    card = charge.payment_method_details.card
    assert card.authorization_code is None
    assert card.regulated_status == "unregulated"


def test_radar_block_is_not_sent_to_the_network(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_radarBlock",
                **CARD,
            }
        )
    err = info.value.error
    assert err is not None
    assert (err.decline_code, err.advice_code) == ("fraudulent", "do_not_try_again")
    charge = client.v1.charges.retrieve(err.charge)
    assert charge.outcome.network_status == "not_sent_to_network"
    assert charge.outcome.network_decline_code is None
    assert charge.payment_method_details.card.network_transaction_id is None


def test_incorrect_number_names_the_field(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": "4242424242424241", "exp_month": 12, "exp_year": EXP_YEAR},
            }
        )
    err = info.value.error
    assert err is not None
    assert (err.code, err.param, err.advice_code) == (
        "incorrect_number",
        "number",
        "confirm_card_data",
    )


def test_successful_charge_card_details(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2200,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **CARD,
        }
    )
    assert pi.customer_account is None
    assert pi.excluded_payment_method_types is None
    assert pi.allowed_payment_method_types is None
    assert pi.managed_payments.enabled is False
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    card = charge.payment_method_details.card
    assert re.fullmatch(r"\d{6}", card.authorization_code)
    assert re.fullmatch(r"\d{15}", card.network_transaction_id)
    assert card.overcapture.maximum_amount_capturable == 2200
    assert (card.overcapture.status, card.multicapture.status) == ("unavailable", "unavailable")
    assert card.incremental_authorization.status == "unavailable"
    assert card.extended_authorization.status == "disabled"
    assert charge.outcome.advice_code is None
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.payment_method == charge.payment_method
    assert refund.customer is None and refund.customer_account is None


def test_request_log_url_has_the_workbench_form(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_missing")
    err = info.value.error
    assert err is not None
    url = info.value.json_body["error"]["request_log_url"]
    assert re.fullmatch(
        r"https://dashboard\.stripe\.com/acct_1[0-9A-Za-z]{15}/test/workbench/logs\?object=req_\w+",
        url,
    )
    assert url.endswith(f"object={info.value.request_id}")
