"""Every test card row, by ``pm_card_*``, by ``tok_*`` and by number, from the one table."""

from __future__ import annotations

import pytest
import stripe

from fakeservices.stripe import cards
from fakeservices.stripe.cards import CardSpec
from tests.stripe.conftest import CARD, EXP_YEAR

CHARGEABLE = [s for s in cards.CARDS if s.outcome not in ("timeout", "slow", "incorrect_number")]
BY_PM = [(name, s) for s in CHARGEABLE for name in s.pm_names]
BY_TOKEN = [(name, s) for s in CHARGEABLE for name in s.tok_names]
BY_NUMBER = [(n, s) for s in CHARGEABLE for n in (s.number, *s.other_numbers)]


def check_pi_outcome(client: stripe.StripeClient, spec: CardSpec, call: object) -> None:
    if spec.outcome in ("decline", "charge_decline"):
        assert spec.decline is not None
        with pytest.raises(stripe.CardError) as info:
            call()  # type: ignore[operator]
        err = info.value
        assert err.http_status == 402
        assert err.code == spec.decline.code
        assert err.error.decline_code == spec.decline.decline_code
        assert err.user_message == spec.decline.message
        assert err.error.type == "card_error"
        pi = err.error.payment_intent
        assert pi.status == "requires_payment_method"
        assert pi.payment_method is None
        assert pi.last_payment_error.code == spec.decline.code
        assert pi.latest_charge == err.error.charge
        charge = client.v1.charges.retrieve(err.error.charge)
        assert (charge.status, charge.paid, charge.failure_code) == (
            "failed",
            False,
            spec.decline.code,
        )
        assert charge.failure_message == spec.decline.message
        assert charge.outcome.type == spec.decline.outcome_type
        stored = client.v1.payment_intents.retrieve(pi.id)
        assert stored.status == "requires_payment_method"
        assert stored.last_payment_error.to_dict().get("decline_code") == spec.decline.decline_code
        return
    pi = call()  # type: ignore[operator]
    if spec.outcome == "three_ds":
        assert pi.status == "requires_action"
        assert pi.next_action.type == "use_stripe_sdk"
        assert pi.latest_charge is None
        return
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    details = charge.payment_method_details.card
    assert (details.brand, details.funding, details.last4) == (
        spec.brand,
        spec.funding,
        charge.payment_method_details.card.last4,
    )
    assert charge.outcome.type == "authorized"
    assert charge.outcome.risk_level == spec.risk_level


@pytest.mark.parametrize(("name", "spec"), BY_PM, ids=[n for n, _ in BY_PM])
def test_pm_card(client: stripe.StripeClient, name: str, spec: CardSpec) -> None:
    def call() -> stripe.PaymentIntent:
        return client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": name,
                "confirm": True,
                **CARD,
            }  # type: ignore[typeddict-item]
        )

    check_pi_outcome(client, spec, call)


@pytest.mark.parametrize(("number", "spec"), BY_NUMBER, ids=[n for n, _ in BY_NUMBER])
def test_card_number(client: stripe.StripeClient, number: str, spec: CardSpec) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": EXP_YEAR, "cvc": "123"},
        }
    )
    assert pm.card.last4 == number[-4:]
    assert pm.card.brand == spec.brand

    def call() -> stripe.PaymentIntent:
        return client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": pm.id,
                "confirm": True,
                **CARD,
            }  # type: ignore[typeddict-item]
        )

    check_pi_outcome(client, spec, call)


@pytest.mark.parametrize(("name", "spec"), BY_TOKEN, ids=[n for n, _ in BY_TOKEN])
def test_token_as_charge_source(gstripe: stripe, name: str, spec: CardSpec) -> None:
    declined = spec.outcome in ("decline", "charge_decline", "three_ds")
    if not declined:
        ch = gstripe.Charge.create(amount=2000, currency="usd", source=name)
        assert (ch.status, ch.paid, ch.captured) == ("succeeded", True, True)
        assert ch.source.brand == spec.display_brand
        assert ch.source.object == "card"
        return
    with pytest.raises(stripe.CardError) as info:
        gstripe.Charge.create(amount=2000, currency="usd", source=name)
    expected = spec.decline or cards.AUTH_REQUIRED
    assert info.value.code == expected.code
    assert info.value.error.decline_code == expected.decline_code
    failed = gstripe.Charge.retrieve(info.value.error.charge)
    assert failed.status == "failed"


def test_incorrect_number_fails_at_creation(client: stripe.StripeClient, gstripe: stripe) -> None:
    for number in ("4242424242424241", "4242424242424243"):
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {"number": number, "exp_month": 1, "exp_year": EXP_YEAR},
                }
            )
        assert (info.value.code, info.value.param) == ("incorrect_number", "number")
        assert info.value.user_message == "Your card number is incorrect."
    with pytest.raises(stripe.CardError) as tinfo:
        gstripe.Token.create(
            card={"number": "4242424242424241", "exp_month": 1, "exp_year": EXP_YEAR}
        )
    assert tinfo.value.code == "incorrect_number"


@pytest.mark.parametrize(
    ("card", "code", "param"),
    [
        ({"exp_month": 13}, "invalid_expiry_month", "exp_month"),
        ({"exp_year": 2001}, "invalid_expiry_year", "exp_year"),
        ({"cvc": "12"}, "invalid_cvc", "cvc"),
    ],
)
def test_invalid_card_data(
    client: stripe.StripeClient, card: dict[str, object], code: str, param: str
) -> None:
    data = {"number": "4242424242424242", "exp_month": 12, "exp_year": EXP_YEAR, **card}
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_methods.create(params={"type": "card", "card": data})  # type: ignore[typeddict-item]
    assert (info.value.code, info.value.param) == (code, param)


def test_attach_runs_a_card_check(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create()
    for spec in cards.CARDS:
        if spec.outcome != "decline" or not spec.pm_names:
            continue
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_methods.attach(spec.pm_names[0], params={"customer": cus.id})
        assert info.value.code == spec.decline.code  # type: ignore[union-attr]
    # chargeCustomerFail attaches fine, then declines every charge
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": cus.id})
    assert pm.customer == cus.id
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 900,
                "currency": "usd",
                "customer": cus.id,
                "payment_method": pm.id,
                "confirm": True,
                **CARD,
            }  # type: ignore[typeddict-item]
        )
    assert info.value.error.decline_code == "generic_decline"


def test_magic_pm_ids_become_new_payment_methods(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 700, "currency": "usd", "payment_method": "pm_card_mastercard", **CARD}
    )
    assert pi.payment_method.startswith("pm_1") and pi.payment_method != "pm_card_mastercard"
    pm = client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.card.brand, pm.card.last4, len(pm.card.fingerprint)) == ("mastercard", "4444", 16)


def test_off_session_3ds_card_needs_authentication(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            params={
                "amount": 800,
                "currency": "usd",
                "payment_method": "pm_card_authenticationRequired",
                "confirm": True,
                "off_session": True,
                **CARD,
            }  # type: ignore[typeddict-item]
        )
    assert info.value.code == "authentication_required"
    assert info.value.error.decline_code == "authentication_required"
    assert info.value.error.payment_intent.status == "requires_payment_method"
