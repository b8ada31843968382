"""Admin use cases: list accounts, ban, unban, promote, read the audit log; provisioning.

Every change writes its audit entry in the same DynamoDB transaction as the change, and
then announces it on the bus.
"""

from __future__ import annotations

from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.catalog import blocklist
from chalicelib.core import clock
from chalicelib.core.caller import Role
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.observability import logger
from chalicelib.core.pagination import Page
from chalicelib.identity import passwords, repository
from chalicelib.identity.errors import AccountStateError
from chalicelib.identity.events import AccountBanned, AccountPromoted, AccountUnbanned
from chalicelib.identity.models import Account, AuditEntry
from chalicelib.identity.service import (
    ACTIVE,
    BANNED,
    DELETED,
    PENDING,
    normalize_email,
    publish,
)
from chalicelib.realtime import service as realtime_service

BOOTSTRAP_ACTOR = "bootstrap"


def list_accounts(role: Role, *, limit: int, cursor: str | None) -> Page[Account]:
    """One page of the accounts of ``role``, newest first."""
    return repository.list_accounts(role, limit=limit, cursor=cursor)


def get_account(account_id: str) -> Account:
    """An account by id; raises NotFoundError."""
    account = repository.get_account(account_id)
    if account is None:
        raise NotFoundError("No such account")
    return account


def _changed(account: Account) -> Account:
    return get_account(account.account_id)


def ban(actor_id: str, account_id: str, *, reason: str) -> Account:
    """Ban an account: it cannot sign in, its sessions and tokens end now.

    Raises NotFoundError, AccountStateError (yourself, deleted, or changed meanwhile).
    Banning a banned account changes nothing.
    """
    if actor_id == account_id:
        raise AccountStateError("You cannot ban yourself")
    account = get_account(account_id)
    if account.status == BANNED:
        return account
    if account.status == DELETED:
        raise AccountStateError("A deleted account cannot be banned")
    now = clock.now()
    changed = repository.update_account(
        account,
        [
            Account.status.set(BANNED),
            Account.banned_at.set(now),
            Account.ban_reason.set(reason),
            Account.token_version.add(1),
            Account.sessions.set({}),
            Account.updated_at.set(now),
        ],
        expect_status=[ACTIVE, PENDING],
        audit=repository.new_audit_entry(
            action="account.banned", actor_id=actor_id, target_id=account_id, at=now, reason=reason
        ),
    )
    if not changed:
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountBanned(account_id=account_id, actor_id=actor_id, reason=reason))
    _close_websockets(account_id)
    return _changed(account)


def unban(actor_id: str, account_id: str) -> Account:
    """Lift a ban (back to ACTIVE, or PENDING_VERIFICATION if never verified).

    Raises NotFoundError, AccountStateError. Unbanning an account that is not banned
    changes nothing.
    """
    account = get_account(account_id)
    if account.status != BANNED:
        return account
    now = clock.now()
    changed = repository.update_account(
        account,
        [
            Account.status.set(ACTIVE if account.verified_at else PENDING),
            Account.banned_at.remove(),
            Account.ban_reason.remove(),
            Account.updated_at.set(now),
        ],
        expect_status=[BANNED],
        audit=repository.new_audit_entry(
            action="account.unbanned", actor_id=actor_id, target_id=account_id, at=now
        ),
    )
    if not changed:
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountUnbanned(account_id=account_id, actor_id=actor_id))
    return _changed(account)


def promote(actor_id: str, account_id: str) -> Account:
    """Make an active user an admin; raises NotFoundError, AccountStateError."""
    account = get_account(account_id)
    if account.role == "admin":
        return account
    if account.role != "user":
        raise AccountStateError("Only user accounts can be promoted to admin")
    if account.status != ACTIVE:
        raise AccountStateError("Only active accounts can be promoted")
    now = clock.now()
    changed = repository.update_account(
        account,
        [*repository.role_actions("admin"), Account.updated_at.set(now)],
        expect_status=[ACTIVE],
        expect_role="user",
        audit=repository.new_audit_entry(
            action="account.promoted",
            actor_id=actor_id,
            target_id=account_id,
            at=now,
            details={"from_role": "user", "to_role": "admin"},
        ),
    )
    if not changed:
        raise AccountStateError("The account changed meanwhile; try again")
    publish(
        AccountPromoted(account_id=account_id, actor_id=actor_id, from_role="user", to_role="admin")
    )
    return _changed(account)


def audit_log(*, limit: int, cursor: str | None, account_id: str | None) -> Page[AuditEntry]:
    """Audit entries, newest first: all of them, or of one account."""
    return repository.list_audit(limit=limit, cursor=cursor, target_id=account_id)


def admin_exists() -> bool:
    """Whether any admin account exists."""
    return bool(repository.list_accounts("admin", limit=1, cursor=None).items)


def provision_account(
    email: str,
    password: str,
    *,
    role: Literal["user", "seller", "admin"],
    display_name: str | None = None,
    actor_id: str = BOOTSTRAP_ACTOR,
) -> Account:
    """Create an already-verified account (first admin, demo data); audit-logged.

    Raises WeakPasswordError, or ConflictError if the email is taken.
    """
    email = normalize_email(email)
    passwords.require_strong(password, email=email)
    if blocklist.is_email_blocked(email):
        raise ConflictError("This email may not be used for a new account")
    now = clock.now()
    account = repository.new_account(
        email=email,
        role=role,
        status=ACTIVE,
        password_hash=passwords.hash_password(password),
        display_name=display_name,
        now=now,
        verified=True,
    )
    account_id = account.account_id
    audit = repository.new_audit_entry(
        action="account.provisioned",
        actor_id=actor_id,
        target_id=account_id,
        at=now,
        details={"role": role},
    )
    if not repository.create_account(account, audit):
        raise ConflictError("An account with this email already exists")
    logger.info("Account provisioned", extra={"account_id": account_id, "role": role})
    return account


def _close_websockets(account_id: str) -> None:
    """Disconnect a banned account's open WebSocket connections (best effort)."""
    try:
        realtime_service.disconnect_account(account_id)
    except (BotoCoreError, ClientError, PynamoDBException):
        logger.exception("Could not close the banned account's connections")
