"""The identity table: every item of the identity context, keyed for its access patterns.

One table (``pk``/``sk``), one GSI (``gsi1``), TTL on ``expires_at``:

==================  ===========================  ======================  ====================
item                pk                           sk                      gsi1pk / gsi1sk
==================  ===========================  ======================  ====================
Account             ``ACCOUNT#<id>``             ``ACCOUNT``             ``ROLE#<role>`` /
                                                                         ``<created>#<id>``
EmailClaim          ``EMAIL#<email>``            ``EMAIL``
Address             ``ACCOUNT#<id>``             ``ADDRESS#<addr id>``
AuditEntry          ``ACCOUNT#<target id>``      ``AUDIT#<at>#<id>``     ``AUDIT`` / ``<at>#<id>``
OtpChallenge        ``OTP#<purpose>#<email>``    ``OTP``
Throttle            ``RATE#<scope>#<key hash>``  ``<window start>``
BlockedEmail        ``BLOCKED#<email>``          ``BLOCK``
==================  ===========================  ======================  ====================

Lookups are GetItem or Query; nothing here scans. An account's refresh sessions live in
its ``sessions`` map, so the one GetItem that authenticates a request also sees whether
the session was revoked.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

ACCOUNT_SK = "ACCOUNT"
EMAIL_SK = "EMAIL"
OTP_SK = "OTP"
BLOCKED_SK = "BLOCK"
ADDRESS_PREFIX = "ADDRESS#"
AUDIT_PREFIX = "AUDIT#"
AUDIT_LIST = "AUDIT"
# What gsi1 projects (must match infra/template.yaml IdentityTable.gsi1.NonKeyAttributes).
LIST_ATTRIBUTES = [
    "account_id",
    "email",
    "role",
    "status",
    "display_name",
    "shop_id",
    "created_at",
    "banned_at",
    "audit_id",
    "action",
    "actor_id",
    "target_id",
    "reason",
    "at",
    "details",
]


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def email_pk(email: str) -> str:
    return f"EMAIL#{email}"


def role_list_pk(role: str) -> str:
    return f"ROLE#{role}"


def otp_pk(purpose: str, email: str) -> str:
    return f"OTP#{purpose}#{email}"


def blocked_pk(email: str) -> str:
    return f"BLOCKED#{email}"


class AccountsByRole(GlobalSecondaryIndex["Account"]):  # type: ignore[no-untyped-call]
    """Accounts of one role, newest first (admin lists)."""

    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(LIST_ATTRIBUTES)

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


@bind_table("identity_table")
class Account(Model):
    """A user, seller or admin. ``email`` is lower-case and unique (see EmailClaim)."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ACCOUNT_SK)
    account_id = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    # The seller's shop (the catalog sets it when the shop is created); None for other roles.
    shop_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    verified_at = UTCDateTimeAttribute(null=True)
    banned_at = UTCDateTimeAttribute(null=True)
    ban_reason = UnicodeAttribute(null=True)
    # Bumped whenever every session must end (password reset/change, ban); reset tokens
    # carry it, which makes each of them single-use.
    token_version = NumberAttribute(default=0)
    # session id → {"jti": current refresh token id, "exp": epoch, "iat": epoch}
    sessions = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    address_count = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_role = AccountsByRole()


@bind_table("identity_table")
class EmailClaim(Model):
    """Reserves an email for one account (written in the same transaction as the account)."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=EMAIL_SK)
    account_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


@bind_table("identity_table")
class OtpChallenge(Model):
    """The live one-time code of one purpose for one email (hashed), or its lockout."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=OTP_SK)
    purpose = UnicodeAttribute()
    email = UnicodeAttribute()
    account_id = UnicodeAttribute()
    # Absent once the challenge is used up or locked.
    code_hash = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    sent_at = UTCDateTimeAttribute()
    code_expires_at = UTCDateTimeAttribute()
    locked_until = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class AddressAttributes(MapAttribute[str, Any]):
    """Postal fields of an address."""

    label = UnicodeAttribute(null=True)
    recipient = UnicodeAttribute()
    line1 = UnicodeAttribute()
    line2 = UnicodeAttribute(null=True)
    city = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute()
    country = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)


@bind_table("identity_table")
class Address(Model):
    """A shopper's delivery address."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    address_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    fields = AddressAttributes()  # type: ignore[no-untyped-call]
    created_at = UTCDateTimeAttribute()


class AuditByTime(GlobalSecondaryIndex["AuditEntry"]):  # type: ignore[no-untyped-call]
    """The whole audit log, newest first."""

    class Meta:
        index_name = "gsi1"
        projection = IncludeProjection(LIST_ATTRIBUTES)

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


@bind_table("identity_table")
class AuditEntry(Model):
    """One privileged or security-relevant action on an account."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    audit_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    target_id = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)
    at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(default=AUDIT_LIST)
    gsi1sk = UnicodeAttribute()
    by_time = AuditByTime()


@bind_table("identity_table")
class Throttle(Model):
    """A rate-limit counter for one window, or a cooldown (``hits`` stays 0)."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    until = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


@bind_table("identity_table")
class BlockedEmail(Model):
    """An email that may not sign up again (the seller of a purged shop)."""

    class Meta:
        table_name = "identity"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=BLOCKED_SK)
    email = UnicodeAttribute()
    reason = UnicodeAttribute()
    shop_id = UnicodeAttribute(null=True)
    blocked_at = UTCDateTimeAttribute()
