"""Events of the identity capability (EventBridge ``detail-type`` = ``name``).

They carry ids, roles and reasons, never emails or other personal data: consumers that
need contact details read them from the account.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.events import DomainEvent

SOURCE = "bazaar.identity"
Role = Literal["user", "seller", "admin"]


class AccountRegistered(DomainEvent):
    """A user or seller signed up; the account waits for email verification."""

    name = "account.registered"
    source = SOURCE

    account_id: str
    role: Role


class AccountVerified(DomainEvent):
    """An account confirmed its email with a one-time code and can sign in."""

    name = "account.verified"
    source = SOURCE

    account_id: str
    role: Role


class AccountBanned(DomainEvent):
    """An admin banned an account: it cannot sign in and its tokens stopped working."""

    name = "account.banned"
    source = SOURCE

    account_id: str
    actor_id: str
    reason: str = Field(max_length=500)


class AccountUnbanned(DomainEvent):
    """An admin lifted a ban."""

    name = "account.unbanned"
    source = SOURCE

    account_id: str
    actor_id: str


class AccountPromoted(DomainEvent):
    """An admin gave an account a new role (user → admin)."""

    name = "account.promoted"
    source = SOURCE

    account_id: str
    actor_id: str
    from_role: Role
    to_role: Role


class AccountPasswordChanged(DomainEvent):
    """The password changed (by the owner, or through a reset); other sessions ended."""

    name = "account.password_changed"
    source = SOURCE

    account_id: str
    via: Literal["change", "reset"]


class SessionReuseDetected(DomainEvent):
    """A refresh token was used twice (likely stolen); its session was revoked."""

    name = "account.session_reuse_detected"
    source = SOURCE

    account_id: str
    session_id: str
