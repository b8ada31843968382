"""Events of the identity capability (EventBridge ``detail-type`` = ``name``).

They carry ids, roles and reasons, never emails or other personal data: consumers that
need contact details read them from the account.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.caller import Role
from chalicelib.core.events import DomainEvent
from chalicelib.identity.domain import Account

SOURCE = "bazaar.identity"


class AccountRegistered(DomainEvent):
    """A user or seller signed up; the account waits for email verification."""

    name = "account.registered"
    source = SOURCE

    account_id: str
    role: Role

    @classmethod
    def of(cls, account: Account) -> AccountRegistered:
        return cls(account_id=account.account_id, role=account.role)


class AccountVerified(DomainEvent):
    """An account confirmed its email with a one-time code and can sign in."""

    name = "account.verified"
    source = SOURCE

    account_id: str
    role: Role

    @classmethod
    def of(cls, account: Account) -> AccountVerified:
        return cls(account_id=account.account_id, role=account.role)


class AccountBanned(DomainEvent):
    """An admin banned an account: it cannot sign in and its tokens stopped working."""

    name = "account.banned"
    source = SOURCE

    account_id: str
    actor_id: str
    reason: str = Field(max_length=500)

    @classmethod
    def of(cls, account: Account, *, actor_id: str, reason: str) -> AccountBanned:
        return cls(account_id=account.account_id, actor_id=actor_id, reason=reason)


class AccountUnbanned(DomainEvent):
    """An admin lifted a ban."""

    name = "account.unbanned"
    source = SOURCE

    account_id: str
    actor_id: str

    @classmethod
    def of(cls, account: Account, *, actor_id: str) -> AccountUnbanned:
        return cls(account_id=account.account_id, actor_id=actor_id)


class AccountPromoted(DomainEvent):
    """An admin gave an account a new role (user → admin)."""

    name = "account.promoted"
    source = SOURCE

    account_id: str
    actor_id: str
    from_role: Role
    to_role: Role

    @classmethod
    def of(cls, account: Account, *, actor_id: str, to_role: Role) -> AccountPromoted:
        """``account`` as it was before the promotion."""
        return cls(
            account_id=account.account_id,
            actor_id=actor_id,
            from_role=account.role,
            to_role=to_role,
        )


class AccountPasswordChanged(DomainEvent):
    """The password changed (by the owner, or through a reset); other sessions ended."""

    name = "account.password_changed"
    source = SOURCE

    account_id: str
    via: Literal["change", "reset"]

    @classmethod
    def of(cls, account: Account, *, via: Literal["change", "reset"]) -> AccountPasswordChanged:
        return cls(account_id=account.account_id, via=via)


class SessionReuseDetected(DomainEvent):
    """A refresh token was used twice (likely stolen); its session was revoked."""

    name = "account.session_reuse_detected"
    source = SOURCE

    account_id: str
    session_id: str

    @classmethod
    def of(cls, account: Account, *, session_id: str) -> SessionReuseDetected:
        return cls(account_id=account.account_id, session_id=session_id)
