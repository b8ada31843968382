"""Identity's use cases: ``accounts`` (sign-up, sign-in, sessions, passwords, the sign-up
blocklist), ``admin`` (lists, bans, promotions, audit, provisioning) and ``addresses``;
``otp`` and ``ratelimit`` are the one-time codes and counters they use.

What other capabilities and the wiring in ``app.py`` call is exported here.
"""

from chalicelib.identity.domain import normalize_email
from chalicelib.identity.service.accounts import (
    account_of,
    attach_shop,
    authenticate_caller,
    block_signups,
    email_of,
    is_signup_blocked,
)
from chalicelib.identity.service.addresses import saved_address

__all__ = [
    "account_of",
    "attach_shop",
    "authenticate_caller",
    "block_signups",
    "email_of",
    "is_signup_blocked",
    "normalize_email",
    "saved_address",
]
