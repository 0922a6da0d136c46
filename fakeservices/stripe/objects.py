"""Builders of Stripe's JSON objects (plain dicts) with the fields the real objects carry."""

from __future__ import annotations

import functools
import hashlib
import time
from typing import Any

from fakeservices.core.ids import alnum, digits, uuid4
from fakeservices.core.jsonio import clone as clone
from fakeservices.stripe.cards import CardSpec, Decline

Obj = dict[str, Any]

#: Prefixes whose ids are ``prefix_`` + 14 characters; every other id gets 24.
SHORT_IDS = {"cus", "req", "prod"}
#: Objects tied to a charge carry a leading ``3``, others ``1`` (as real ids do).
LEADING = {"pi": "3", "ch": "3", "re": "3", "txn": "3", "py": "3"}


def new_id(prefix: str) -> str:
    if prefix in SHORT_IDS:
        return f"{prefix}_{alnum(14)}"
    return f"{prefix}_{LEADING.get(prefix, '1')}{alnum(23)}"


def account_id(key: str) -> str:
    """The ``acct_`` id standing for a secret key's account (stable per key)."""
    digest = hashlib.sha256(key.encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "acct_1" + "".join(alphabet[b % 62] for b in digest[:15])


def request_log_url(key: str, req_id: str) -> str:
    """An error's ``request_log_url`` in its current real form (Workbench logs)."""
    return f"https://dashboard.stripe.com/{account_id(key)}/test/workbench/logs?object={req_id}"


@functools.lru_cache(maxsize=1024)
def fingerprint(number: str) -> str:
    """The card's ``fingerprint``: the same for the same number (cached: the test cards are a
    few dozen numbers, hashed for every PaymentMethod and Charge)."""
    return hashlib.sha256(number.encode()).hexdigest()[:16]


def default_expiry(now: int) -> tuple[int, int]:
    """The expiry of magic test cards: this month, three years on."""
    t = time.gmtime(now)
    return t.tm_mon, t.tm_year + 3


def pm_card(spec: CardSpec, exp_month: int, exp_year: int, cvc_checked: bool) -> Obj:
    return {
        "brand": spec.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass" if cvc_checked else None,
        },
        "country": "US",
        "display_brand": spec.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint(spec.number),
        "funding": spec.funding,
        "generated_from": None,
        "last4": spec.last4,
        "networks": {"available": [spec.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def payment_method(
    spec: CardSpec,
    exp_month: int,
    exp_year: int,
    *,
    billing: Obj | None = None,
    metadata: dict[str, str] | None = None,
    cvc_given: bool = False,
    allow_redisplay: str | None = None,
    created: int,
) -> Obj:
    b = billing or {}
    addr = b.get("address") or {}
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": allow_redisplay or "unspecified",
        "billing_details": {
            "address": {
                k: addr.get(k)
                for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": b.get("email"),
            "name": b.get("name"),
            "phone": b.get("phone"),
            "tax_id": None,
        },
        "card": pm_card(spec, exp_month, exp_year, cvc_given),
        "created": created,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata or {},
        "type": "card",
    }


def legacy_card(spec: CardSpec, exp_month: int, exp_year: int, customer: str | None) -> Obj:
    """The legacy Card object (``source`` of a Charge, ``card`` of a Token)."""
    return {
        "id": new_id("card"),
        "object": "card",
        "address_city": None,
        "address_country": None,
        "address_line1": None,
        "address_line1_check": None,
        "address_line2": None,
        "address_state": None,
        "address_zip": None,
        "address_zip_check": None,
        "brand": spec.display_brand,
        "country": "US",
        "customer": customer,
        "cvc_check": None,
        "dynamic_last4": None,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint(spec.number),
        "funding": spec.funding,
        "last4": spec.last4,
        "metadata": {},
        "name": None,
        "regulated_status": "unregulated",
        "tokenization_method": None,
    }


def token(card: Obj, created: int) -> Obj:
    return {
        "id": new_id("tok"),
        "object": "token",
        "card": card,
        "client_ip": "127.0.0.1",
        "created": created,
        "livemode": False,
        "type": "card",
        "used": False,
    }


def customer(fields: Obj, created: int) -> Obj:
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": fields.get("address"),
        "balance": fields.get("balance") or 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": fields.get("description"),
        "discount": None,
        "email": fields.get("email"),
        "invoice_prefix": fields.get("invoice_prefix") or alnum(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": fields.get("metadata") or {},
        "name": fields.get("name"),
        "next_invoice_sequence": fields.get("next_invoice_sequence") or 1,
        "phone": fields.get("phone"),
        "preferred_locales": fields.get("preferred_locales") or [],
        "shipping": fields.get("shipping"),
        "tax_exempt": fields.get("tax_exempt") or "none",
        "test_clock": None,
    }


def payment_intent(p: Obj, automatic_pms: Obj | None, created: int) -> Obj:
    pi_id = new_id("pi")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "allowed_payment_method_types": None,
        "amount": p["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": p.get("application_fee_amount"),
        "automatic_payment_methods": automatic_pms,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": p.get("capture_method") or "automatic_async",
        "client_secret": f"{pi_id}_secret_{alnum(25)}",
        "confirmation_method": p.get("confirmation_method") or "automatic",
        "created": created,
        "currency": p["currency"],
        "customer": p.get("customer"),
        "customer_account": None,
        "description": p.get("description"),
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": p.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": p.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": p.get("payment_method_types") or ["card"],
        "payment_record": None,
        "processing": None,
        "receipt_email": p.get("receipt_email"),
        "review": None,
        "setup_future_usage": p.get("setup_future_usage"),
        "shipping": p.get("shipping"),
        "source": None,
        "statement_descriptor": p.get("statement_descriptor"),
        "statement_descriptor_suffix": p.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": p.get("transfer_data"),
        "transfer_group": p.get("transfer_group"),
    }


def outcome(spec: CardSpec, d: Decline | None) -> Obj:
    if d is not None and d.outcome_type == "blocked":
        return {
            "advice_code": d.advice_code,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "not_sent_to_network",
            "reason": "highest_risk_level",
            "risk_level": "highest",
            "risk_score": 95,
            "seller_message": "Stripe blocked this payment as too risky.",
            "type": "blocked",
        }
    if d is not None:
        reason = d.decline_code or d.code
        seller = (
            "The bank did not return any further details with this decline."
            if reason == "generic_decline"
            else f"The bank returned the decline code `{reason}`."
        )
        return {
            "advice_code": d.advice_code,
            "network_advice_code": d.network_advice_code,
            "network_decline_code": d.network_decline_code,
            "network_status": "declined_by_network",
            "reason": reason,
            "risk_level": spec.risk_level,
            "risk_score": 20,
            "seller_message": seller,
            "type": "issuer_declined",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": spec.risk_level,
        "risk_score": 20 if spec.risk_level == "normal" else 70,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def charge(
    *,
    amount: int,
    currency: str,
    spec: CardSpec,
    card: Obj,
    pm_id: str | None,
    source: Obj | None,
    customer: str | None,
    payment_intent: str | None,
    captured: bool,
    decline: Decline | None,
    fields: Obj,
    created: int,
) -> Obj:
    ch_id = new_id("ch")
    d = decline
    declined = d is not None
    sent_to_network = d is None or d.outcome_type != "blocked"
    return {
        "id": ch_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured and not declined else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": {
                k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "FAKESERVICES",
        "captured": captured and not declined,
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": fields.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": d.code if d else None,
        "failure_message": d.message if d else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": fields.get("metadata") or {},
        "on_behalf_of": None,
        "outcome": outcome(spec, d),
        "paid": not declined,
        "payment_intent": payment_intent,
        "payment_method": pm_id or (source or {}).get("id"),
        "payment_method_details": {
            "card": {
                "amount_authorized": None if declined else amount,
                "authorization_code": None if declined else digits(6),
                "brand": spec.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": card.get("checks", {}).get("cvc_check")
                    if "checks" in card
                    else card.get("cvc_check"),
                },
                "country": "US",
                "electronic_commerce_indicator": None,
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": fingerprint(spec.number),
                "funding": spec.funding,
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": spec.last4,
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": spec.brand,
                "network_token": {"used": False},
                "network_transaction_id": digits(15) if sent_to_network else None,
                "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": fields.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{alnum(40)}",
        "refunded": False,
        "review": None,
        "shipping": fields.get("shipping"),
        "source": source,
        "source_transfer": None,
        "statement_descriptor": fields.get("statement_descriptor"),
        "statement_descriptor_suffix": fields.get("statement_descriptor_suffix"),
        "status": "failed" if declined else "succeeded",
        "transfer_data": None,
        "transfer_group": fields.get("transfer_group"),
    }


def three_d_secure(result: str = "authenticated") -> Obj:
    """``payment_method_details.card.three_d_secure`` of a charge after a 3DS2 challenge."""
    return {
        "authentication_flow": "challenge",
        "electronic_commerce_indicator": "05",
        "exemption_indicator": None,
        "result": result,
        "result_reason": None,
        "transaction_id": uuid4(),
        "version": "2.2.0",
    }


def balance_transaction(amount: int, currency: str, source: str, kind: str, created: int) -> Obj:
    fee = 0 if kind == "refund" else round(amount * 0.029) + 30
    return {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86400,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [],
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "pending",
        "type": kind,
    }


def refund(amount: int, ch: Obj, fields: Obj, txn: str | None, created: int) -> Obj:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn,
        "charge": ch["id"],
        "created": created,
        "currency": ch["currency"],
        "customer": ch["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": fields.get("metadata") or {},
        "payment_intent": ch["payment_intent"],
        "payment_method": ch["payment_method"],
        "reason": fields.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def setup_intent(p: Obj, automatic_pms: Obj | None, created: int) -> Obj:
    si_id = new_id("seti")
    return {
        "id": si_id,
        "object": "setup_intent",
        "allowed_payment_method_types": None,
        "application": None,
        "automatic_payment_methods": automatic_pms,
        "cancellation_reason": None,
        "client_secret": f"{si_id}_secret_{alnum(25)}",
        "created": created,
        "customer": p.get("customer"),
        "description": p.get("description"),
        "excluded_payment_method_types": None,
        "flow_directions": p.get("flow_directions"),
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": p.get("metadata") or {},
        "next_action": None,
        "on_behalf_of": p.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": p.get("payment_method_types") or ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": p.get("usage") or "off_session",
    }


def webhook_endpoint(p: Obj, secret: str, created: int) -> Obj:
    return {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": p.get("api_version"),
        "application": None,
        "created": created,
        "description": p.get("description"),
        "enabled_events": p["enabled_events"],
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "secret": secret,
        "status": "enabled",
        "url": p["url"],
    }


def next_action(pi: Obj, return_url: str | None) -> Obj:
    if return_url:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "return_url": return_url,
                "url": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={pi['id']}",
            },
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": f"https://hooks.stripe.com/redirect/authenticate/src_{alnum(24)}",
            "source": f"src_{alnum(24)}",
        },
    }


def deleted(obj_id: str, kind: str) -> Obj:
    return {"id": obj_id, "object": kind, "deleted": True}
