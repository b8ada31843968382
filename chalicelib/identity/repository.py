"""Data access for the identity table: every read and write of it goes through here.

Invariants are held by DynamoDB itself: email uniqueness by a transaction with a claim
item, single-use codes and refresh tokens by conditional writes, the address limit by a
conditional counter in the same transaction as the address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.identity.models import (
    ACCOUNT_SK,
    ADDRESS_PREFIX,
    AUDIT_LIST,
    AUDIT_PREFIX,
    EMAIL_SK,
    OTP_SK,
    Account,
    Address,
    AuditEntry,
    EmailClaim,
    OtpChallenge,
    Throttle,
    account_pk,
    email_pk,
    otp_pk,
    role_list_pk,
)

CONDITION_FAILED = "ConditionalCheckFailedException"


def new_id() -> str:
    """A random identifier (hex, 32 characters)."""
    return uuid.uuid4().hex


def _condition_failed(error: PutError | UpdateError | DeleteError) -> bool:
    return error.cause_response_code == CONDITION_FAILED


def _cancelled(error: TransactWriteError) -> bool:
    return error.cause_response_code == "TransactionCanceledException"


def list_sort_key(moment: datetime, item_id: str) -> str:
    """``<ISO time>#<id>``: sorts by time, unique per item."""
    return f"{moment.isoformat()}#{item_id}"


# ---------- accounts ----------
def get_account(account_id: str) -> Account | None:
    """The account (strongly consistent read), or None."""
    try:
        return Account.get(account_pk(account_id), ACCOUNT_SK, consistent_read=True)
    except Account.DoesNotExist:
        return None


def account_id_for_email(email: str) -> str | None:
    """The id of the account that claimed ``email`` (already normalised), or None."""
    try:
        claim = EmailClaim.get(email_pk(email), EMAIL_SK, consistent_read=True)
    except EmailClaim.DoesNotExist:
        return None
    return claim.account_id


def find_account_by_email(email: str) -> Account | None:
    """The account registered with ``email`` (already normalised), or None."""
    account_id = account_id_for_email(email)
    return get_account(account_id) if account_id else None


def new_account(
    *,
    email: str,
    role: str,
    status: str,
    password_hash: str,
    display_name: str | None,
    now: datetime,
    verified: bool,
) -> Account:
    """A new, unsaved account item with its role-list index keys."""
    account_id = new_id()
    return Account(
        pk=account_pk(account_id),
        account_id=account_id,
        email=email,
        role=role,
        status=status,
        password_hash=password_hash,
        display_name=display_name,
        shop_id=None,
        created_at=now,
        updated_at=now,
        verified_at=now if verified else None,
        token_version=0,
        sessions={},
        address_count=0,
        gsi1pk=role_list_pk(role),
        gsi1sk=list_sort_key(now, account_id),
    )


def create_account(account: Account, audit: AuditEntry | None = None) -> bool:
    """Store a new account and claim its email atomically; False if the email is taken."""
    claim = EmailClaim(
        pk=email_pk(account.email), account_id=account.account_id, created_at=account.created_at
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(claim, condition=EmailClaim.pk.does_not_exist())
            transaction.save(account, condition=Account.pk.does_not_exist())
            if audit is not None:
                transaction.save(audit)
    except TransactWriteError as error:
        if _cancelled(error):
            return False
        raise
    return True


def update_account(
    account: Account,
    actions: list[Action],
    *,
    expect_status: Iterable[str] | None = None,
    expect_version: int | None = None,
    expect_role: str | None = None,
    audit: AuditEntry | None = None,
) -> bool:
    """Apply ``actions`` if the account is still as expected; False when it changed.

    With ``audit``, the audit entry is written in the same transaction.
    """
    condition = Account.pk.exists()
    if expect_status is not None:
        condition &= Account.status.is_in(*expect_status)
    if expect_role is not None:
        condition &= Account.role == expect_role
    if expect_version is not None:
        condition &= Account.token_version == expect_version
    if audit is None:
        try:
            account.update(actions=actions, condition=condition)
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise
        return True
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(account, actions=actions, condition=condition)
            transaction.save(audit, condition=AuditEntry.pk.does_not_exist())
    except TransactWriteError as error:
        if _cancelled(error):
            return False
        raise
    return True


def role_actions(role: str) -> list[Action]:
    """The updates that move an account to ``role`` (its admin-list partition follows)."""
    return [Account.role.set(role), Account.gsi1pk.set(role_list_pk(role))]


def put_session(
    account: Account, session_id: str, entry: dict[str, Any], evict: Iterable[str] = ()
) -> bool:
    """Add a refresh session (evicting ``evict``) unless the account changed since it was read."""
    actions: list[Action] = [Account.sessions[session_id].set(entry)]
    actions += [Account.sessions[old].remove() for old in evict]
    return update_account(
        account, actions, expect_status=[account.status], expect_version=int(account.token_version)
    )


def rotate_session(
    account_id: str,
    session_id: str,
    *,
    presented_jti: str,
    entry: dict[str, Any],
    version: int,
    status: str,
) -> bool:
    """Replace a session's refresh token if ``presented_jti`` is still its current one."""
    account = Account(pk=account_pk(account_id), sk=ACCOUNT_SK)
    condition = (
        (Account.sessions[session_id]["jti"] == presented_jti)
        & (Account.status == status)
        & (Account.token_version == version)
    )
    try:
        account.update(actions=[Account.sessions[session_id].set(entry)], condition=condition)
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def remove_session(account_id: str, session_id: str) -> None:
    """End one session (idempotent)."""
    account = Account(pk=account_pk(account_id), sk=ACCOUNT_SK)
    try:
        account.update(
            actions=[Account.sessions[session_id].remove()], condition=Account.pk.exists()
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise


def set_shop(account_id: str, shop_id: str | None) -> bool:
    """Attach (or detach) a seller's shop; False unless the account is a seller."""
    account = Account(pk=account_pk(account_id), sk=ACCOUNT_SK)
    action = Account.shop_id.set(shop_id) if shop_id else Account.shop_id.remove()
    try:
        account.update(actions=[action], condition=Account.role == "seller")
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def _page_start(cursor: str | None, partition_key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(partition_key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def list_accounts(role: str, *, limit: int, cursor: str | None) -> Page[Account]:
    """Accounts of ``role``, newest first, one page (a Query on gsi1; never a Scan)."""
    partition = role_list_pk(role)
    results = Account.by_role.query(
        partition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=_page_start(cursor, "gsi1pk", partition),
    )
    items = list(results)
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


# ---------- audit ----------
def new_audit_entry(
    *,
    action: str,
    actor_id: str,
    target_id: str,
    at: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """An audit entry, ready to be written with the change it records."""
    audit_id = new_id()
    return AuditEntry(
        pk=account_pk(target_id),
        sk=f"{AUDIT_PREFIX}{list_sort_key(at, audit_id)}",
        audit_id=audit_id,
        action=action,
        actor_id=actor_id,
        target_id=target_id,
        reason=reason,
        details=details,
        at=at,
        gsi1pk=AUDIT_LIST,
        gsi1sk=list_sort_key(at, audit_id),
    )


def put_audit(entry: AuditEntry) -> None:
    """Write an audit entry on its own (for actions with no other write)."""
    entry.save(condition=AuditEntry.pk.does_not_exist())


def list_audit(*, limit: int, cursor: str | None, target_id: str | None) -> Page[AuditEntry]:
    """Audit entries, newest first: of one account (its partition) or of all (gsi1)."""
    if target_id is not None:
        partition = account_pk(target_id)
        results = AuditEntry.query(
            partition,
            AuditEntry.sk.startswith(AUDIT_PREFIX),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_page_start(cursor, "pk", partition),
        )
    else:
        results = AuditEntry.by_time.query(
            AUDIT_LIST,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_page_start(cursor, "gsi1pk", AUDIT_LIST),
        )
    items = list(results)
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


# ---------- one-time codes ----------
def get_challenge(purpose: str, email: str) -> OtpChallenge | None:
    """The current challenge (or lockout) of ``purpose`` for ``email``."""
    try:
        return OtpChallenge.get(otp_pk(purpose, email), OTP_SK, consistent_read=True)
    except OtpChallenge.DoesNotExist:
        return None


def put_challenge(challenge: OtpChallenge, *, now: datetime) -> bool:
    """Store a fresh challenge unless the email is locked out; False when locked."""
    not_locked = OtpChallenge.locked_until.does_not_exist() | (OtpChallenge.locked_until <= now)
    try:
        challenge.save(condition=OtpChallenge.pk.does_not_exist() | not_locked)
    except PutError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def spend_attempt(
    purpose: str, email: str, *, max_attempts: int, now: datetime
) -> OtpChallenge | None:
    """Count one guess against a live challenge; the challenge after it, or None if none is live.

    The attempt is spent before the code is compared, so parallel guesses cannot
    exceed the limit.
    """
    challenge = OtpChallenge(pk=otp_pk(purpose, email), sk=OTP_SK)
    condition = (
        OtpChallenge.code_hash.exists()
        & (OtpChallenge.attempts < max_attempts)
        & (OtpChallenge.code_expires_at > now)
    )
    try:
        challenge.update(actions=[OtpChallenge.attempts.add(1)], condition=condition)
    except UpdateError as error:
        if _condition_failed(error):
            return None
        raise
    return challenge


def consume_challenge(purpose: str, email: str, code_hash: str) -> bool:
    """Delete the challenge if it still holds ``code_hash``; False if already used."""
    challenge = OtpChallenge(pk=otp_pk(purpose, email), sk=OTP_SK)
    try:
        challenge.delete(condition=OtpChallenge.code_hash == code_hash)
    except DeleteError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def lock_challenge(purpose: str, email: str, *, until: datetime) -> None:
    """End the challenge and lock the email out of this purpose until ``until``."""
    challenge = OtpChallenge(pk=otp_pk(purpose, email), sk=OTP_SK)
    challenge.update(
        actions=[
            OtpChallenge.code_hash.remove(),
            OtpChallenge.locked_until.set(until),
            OtpChallenge.expires_at.set(until),
        ],
        condition=OtpChallenge.pk.exists(),
    )


# ---------- addresses ----------
def list_addresses(account_id: str) -> list[Address]:
    """Every address of an account, oldest first."""
    found = Address.query(account_pk(account_id), Address.sk.startswith(ADDRESS_PREFIX))
    return sorted(found, key=lambda address: address.created_at)


def add_address(address: Address, *, max_count: int) -> bool:
    """Store an address and count it; False when the account already has ``max_count``."""
    owner = Account(pk=account_pk(address.account_id), sk=ACCOUNT_SK)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.update(
                owner,
                actions=[Account.address_count.add(1)],
                condition=Account.pk.exists() & (Account.address_count < max_count),
            )
            transaction.save(address, condition=Address.pk.does_not_exist())
    except TransactWriteError as error:
        if _cancelled(error):
            return False
        raise
    return True


def delete_address(account_id: str, address_id: str) -> bool:
    """Delete one of the account's addresses; False if it has no such address."""
    owner = Account(pk=account_pk(account_id), sk=ACCOUNT_SK)
    address = Address(pk=account_pk(account_id), sk=f"{ADDRESS_PREFIX}{address_id}")
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.delete(address, condition=Address.pk.exists())
            transaction.update(
                owner, actions=[Account.address_count.add(-1)], condition=Account.pk.exists()
            )
    except TransactWriteError as error:
        if _cancelled(error):
            return False
        raise
    return True


# ---------- rate limits ----------
@dataclass(frozen=True)
class WindowHit:
    """The outcome of counting one attempt in a fixed window."""

    allowed: bool
    hits: int


def hit_window(key: str, *, window_start: datetime, limit: int, expires: datetime) -> WindowHit:
    """Atomically count one attempt in ``key``'s window unless ``limit`` is already reached."""
    counter = Throttle(pk=f"RATE#{key}", sk=window_start.isoformat())
    try:
        counter.update(
            actions=[Throttle.hits.add(1), Throttle.expires_at.set(expires)],
            condition=Throttle.hits.does_not_exist() | (Throttle.hits < limit),
        )
    except UpdateError as error:
        if _condition_failed(error):
            return WindowHit(allowed=False, hits=limit)
        raise
    return WindowHit(allowed=True, hits=int(counter.hits))


def take_cooldown(key: str, *, now: datetime, until: datetime) -> datetime | None:
    """Start ``key``'s cooldown; None if started, else when the running one ends."""
    marker = Throttle(pk=f"COOLDOWN#{key}", sk="COOLDOWN", until=until, expires_at=until)
    try:
        marker.save(condition=Throttle.pk.does_not_exist() | (Throttle.until <= now))
    except PutError as error:
        if not _condition_failed(error):
            raise
        try:
            running = Throttle.get(marker.pk, marker.sk, consistent_read=True)
        except Throttle.DoesNotExist:
            return until
        return running.until or until
    return None
