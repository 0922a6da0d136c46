"""Where real responses differ from the published specs: each entry with its evidence.

Only keys (or types) that real responses are *recorded* carrying belong here; anything else the
conformance check finds is a bug in the fake.
"""

from __future__ import annotations

#: (spec type, key) -> evidence: keys real Stripe responses carry that the endive schema lacks.
#: ``("list", key)`` is a key of a list object (stripe-node's ``ApiList``).
STRIPE_EXTRA_KEYS: dict[tuple[str, str], str] = {
    ("list", "total_count"): (
        "Lists embedded in objects carry `total_count`: a 2026 test-mode recording of a "
        "destination charge shows `transfer.reversals` and `application_fee.refunds` as "
        '`{"object": "list", "data": [], "has_more": false, "total_count": 0, "url": ...}`; '
        "stripe-node's ApiList type has no such key."
    ),
}

#: (OpenAPI schema, key) -> evidence: keys real Twilio responses carry that the spec lacks.
TWILIO_EXTRA_KEYS: dict[tuple[str, str], str] = {}

#: (OpenAPI schema, property) -> (the schema real responses follow, evidence).
SENDGRID_TYPE_OVERRIDES: dict[tuple[str, str], tuple[dict[str, object], str]] = {
    ("ErrorResponse.errors[]", "help"): (
        {"type": "string", "nullable": True},
        "The spec says `help` is an object; real responses send a documentation URL string or "
        "null, e.g. `http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
        "#message.from` (captured real responses gathered for this project, "
        "and sendgrid-python's own error tests).",
    ),
}
