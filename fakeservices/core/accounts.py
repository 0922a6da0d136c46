"""Which accounts were issued to one test, and which are shared.

A credential names an account (the tenant). Credentials handed out per test (by the pytest
plugin's ``fake`` fixture, or the JavaScript client) carry a marker, so the server can tell them
from shared ones without being told: read-back scoped to a test sees its own accounts and, of the
*shared* ones (``default``, i.e. SMTP without AUTH, or any credential without a marker), only
what arrived after the test began.
"""

from __future__ import annotations

import re

#: SMTP without AUTH (and anything else no credential names) lands here.
DEFAULT_ACCOUNT = "default"

#: Prefixes of issued credentials, one per kind of credential.
STRIPE_KEY_MARKER = "sk_test_fs"
EMAIL_API_KEY_MARKER = "SG.fs"
SMTP_USER_MARKER = "fs-"
TWILIO_SID_MARKER = "ACfa4e"

_TWILIO_ISSUED = re.compile(r"ACfa4e[0-9a-f]{28}")


def is_issued(account: str) -> bool:
    """True for a credential issued to one test (it carries one of the markers)."""
    return (
        account.startswith((STRIPE_KEY_MARKER, EMAIL_API_KEY_MARKER, SMTP_USER_MARKER))
        or _TWILIO_ISSUED.fullmatch(account) is not None
    )


def is_shared(account: str) -> bool:
    """True for an account several tests may write to: ``default`` or any non-issued one."""
    return not is_issued(account)
