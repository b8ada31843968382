"""Identity's domain values: accounts and their sessions, addresses, audit entries, one-time
code challenges, and the pure rules about them. The repository returns these; services and
schemas read them. Nothing here touches a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.core.caller import Role
from chalicelib.core.dynamo import new_id

# Who the audit log names for changes no person made.
SYSTEM_ACTOR = "system"
BOOTSTRAP_ACTOR = "bootstrap"


class AccountStatus(StrEnum):
    """Where an account is in its life: sign-up → verified → (banned) → (deleted)."""

    PENDING_VERIFICATION = "PENDING_VERIFICATION"
    ACTIVE = "ACTIVE"
    BANNED = "BANNED"
    DELETED = "DELETED"


class CodePurpose(StrEnum):
    """What a one-time code is for (also the name of the email that carries it)."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: stored and looked up lower-case."""
    return email.strip().lower()


@dataclass(frozen=True)
class Session:
    """One signed-in device: its current refresh token id and times (epoch seconds)."""

    token_id: str
    expires_at: int
    issued_at: int


@dataclass(frozen=True)
class Account:
    """A user, seller or admin as stored. ``email`` is lower-case and unique.

    Read from an admin list, only the listed fields are filled (no password hash,
    sessions, verification or ban reason).
    """

    account_id: str
    email: str
    role: Role
    status: AccountStatus
    created_at: datetime
    password_hash: str = ""
    display_name: str | None = None
    # The seller's shop (the catalog records it when the shop is created).
    shop_id: str | None = None
    updated_at: datetime | None = None
    verified_at: datetime | None = None
    banned_at: datetime | None = None
    ban_reason: str | None = None
    # Bumped whenever every session must end (password reset/change, ban); reset tokens
    # carry it, which makes each of them single-use.
    token_version: int = 0
    sessions: Mapping[str, Session] = field(default_factory=dict)
    address_count: int = 0

    @classmethod
    def new(
        cls,
        *,
        email: str,
        role: Role,
        password_hash: str,
        display_name: str | None,
        now: datetime,
        verified: bool,
    ) -> Account:
        """A new account: ACTIVE when already verified, else waiting for its email code."""
        return cls(
            account_id=new_id(),
            email=email,
            role=role,
            status=AccountStatus.ACTIVE if verified else AccountStatus.PENDING_VERIFICATION,
            password_hash=password_hash,
            display_name=display_name,
            created_at=now,
            updated_at=now,
            verified_at=now if verified else None,
        )

    def sessions_to_evict(self, *, now_epoch: int, keep: int) -> list[str]:
        """Sessions to end before opening one more: the expired ones, then the oldest
        until at most ``keep - 1`` remain."""
        expired = [sid for sid, session in self.sessions.items() if session.expires_at <= now_epoch]
        live = sorted(
            (sid for sid in self.sessions if sid not in expired),
            key=lambda sid: self.sessions[sid].issued_at,
        )
        overflow = len(live) + 1 - keep
        return expired + live[: max(0, overflow)]


@dataclass(frozen=True)
class Address:
    """A shopper's delivery address."""

    address_id: str
    account_id: str
    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str
    created_at: datetime
    label: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One privileged or security-relevant action on an account."""

    action: str
    actor_id: str
    target_id: str
    at: datetime
    reason: str | None = None
    details: dict[str, Any] | None = None
    audit_id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class OtpChallenge:
    """The live one-time code of one purpose for one email (hashed), or its lockout."""

    purpose: CodePurpose
    email: str
    account_id: str
    # None once the challenge is used up or locked.
    code_hash: str | None
    sent_at: datetime
    code_expires_at: datetime
    attempts: int = 0
    locked_until: datetime | None = None
