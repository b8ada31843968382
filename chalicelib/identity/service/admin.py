"""Admin use cases: list accounts, ban, unban, promote, read the audit log; provisioning.

Every change writes its audit entry in the same DynamoDB transaction as the change, and
then announces it on the bus.
"""

from __future__ import annotations

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.events import publish
from chalicelib.core.observability import logger
from chalicelib.core.pagination import Page
from chalicelib.identity import passwords, repository
from chalicelib.identity.domain import (
    BOOTSTRAP_ACTOR,
    Account,
    AccountStatus,
    AuditEntry,
    normalize_email,
)
from chalicelib.identity.errors import AccountStateError
from chalicelib.identity.events import AccountBanned, AccountPromoted, AccountUnbanned
from chalicelib.identity.service import sockets
from chalicelib.identity.service.accounts import is_signup_blocked


def list_accounts(role: Role, *, limit: int, cursor: str | None) -> Page[Account]:
    """One page of the accounts of ``role``, newest first."""
    return repository.get().list_accounts(role, limit=limit, cursor=cursor)


def get_account(account_id: str) -> Account:
    """An account by id; raises NotFoundError."""
    account = repository.get().get_account(account_id)
    if account is None:
        raise NotFoundError("No such account")
    return account


def ban(caller: Caller, account_id: str, *, reason: str) -> Account:
    """Ban an account: it cannot sign in, its sessions and tokens end now.

    Raises NotFoundError, AccountStateError (yourself, deleted, or changed meanwhile).
    Banning a banned account changes nothing.
    """
    if caller.account_id == account_id:
        raise AccountStateError("You cannot ban yourself")
    account = get_account(account_id)
    if account.status == AccountStatus.BANNED:
        return account
    if account.status == AccountStatus.DELETED:
        raise AccountStateError("A deleted account cannot be banned")
    audit = AuditEntry(
        action="account.banned",
        actor_id=caller.account_id,
        target_id=account_id,
        at=clock.now(),
        reason=reason,
    )
    if not repository.get().ban(account_id, reason=reason, audit=audit):
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountBanned.of(account, actor_id=caller.account_id, reason=reason), best_effort=True)
    sockets.close_account(account_id)
    return get_account(account_id)


def unban(caller: Caller, account_id: str) -> Account:
    """Lift a ban (back to ACTIVE, or PENDING_VERIFICATION if never verified).

    Raises NotFoundError, AccountStateError. Unbanning an account that is not banned
    changes nothing.
    """
    account = get_account(account_id)
    if account.status != AccountStatus.BANNED:
        return account
    back = AccountStatus.ACTIVE if account.verified_at else AccountStatus.PENDING_VERIFICATION
    audit = AuditEntry(
        action="account.unbanned", actor_id=caller.account_id, target_id=account_id, at=clock.now()
    )
    if not repository.get().unban(account_id, status=back, audit=audit):
        raise AccountStateError("The account changed meanwhile; try again")
    publish(AccountUnbanned.of(account, actor_id=caller.account_id), best_effort=True)
    return get_account(account_id)


def promote(caller: Caller, account_id: str) -> Account:
    """Make an active user an admin; raises NotFoundError, AccountStateError."""
    account = get_account(account_id)
    if account.role == Role.ADMIN:
        return account
    if account.role != Role.USER:
        raise AccountStateError("Only user accounts can be promoted to admin")
    if account.status != AccountStatus.ACTIVE:
        raise AccountStateError("Only active accounts can be promoted")
    audit = AuditEntry(
        action="account.promoted",
        actor_id=caller.account_id,
        target_id=account_id,
        at=clock.now(),
        details={"from_role": Role.USER.value, "to_role": Role.ADMIN.value},
    )
    promoted = repository.get().change_role(
        account_id, from_role=Role.USER, to_role=Role.ADMIN, audit=audit
    )
    if not promoted:
        raise AccountStateError("The account changed meanwhile; try again")
    event = AccountPromoted.of(account, actor_id=caller.account_id, to_role=Role.ADMIN)
    publish(event, best_effort=True)
    return get_account(account_id)


def audit_log(*, limit: int, cursor: str | None, account_id: str | None) -> Page[AuditEntry]:
    """Audit entries, newest first: all of them, or of one account."""
    return repository.get().list_audit(limit=limit, cursor=cursor, target_id=account_id)


def admin_exists() -> bool:
    """Whether any admin account exists."""
    return bool(repository.get().list_accounts(Role.ADMIN, limit=1, cursor=None).items)


def provision_account(
    email: str,
    password: str,
    *,
    role: Role,
    display_name: str | None = None,
    actor_id: str = BOOTSTRAP_ACTOR,
) -> Account:
    """Create an already-verified account (first admin, demo data); audit-logged.

    Raises WeakPasswordError, or ConflictError if the email is taken or blocked.
    """
    role = Role(role)
    email = normalize_email(email)
    passwords.require_strong(password, email=email)
    if is_signup_blocked(email):
        raise ConflictError("This email may not be used for a new account")
    now = clock.now()
    account = Account.new(
        email=email,
        role=role,
        password_hash=passwords.hash_password(password),
        display_name=display_name,
        now=now,
        verified=True,
    )
    audit = AuditEntry(
        action="account.provisioned",
        actor_id=actor_id,
        target_id=account.account_id,
        at=now,
        details={"role": role.value},
    )
    if not repository.get().add_account(account, audit):
        raise ConflictError("An account with this email already exists")
    logger.info("Account provisioned", extra={"account_id": account.account_id, "role": role})
    return account
