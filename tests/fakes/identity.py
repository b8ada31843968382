"""Identity's repository in memory: the same answers as DynamoDB, for use-case tests.

``tests/integration/identity/test_repository_contract.py`` runs the same checks against
this and ``DynamoIdentityRepository``. Conditions are checked as DynamoDB checks them:
a refused write changes nothing and returns False (or None).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from chalicelib.core.caller import Role
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page
from chalicelib.identity.domain import (
    Account,
    AccountStatus,
    Address,
    AuditEntry,
    CodePurpose,
    OtpChallenge,
    Session,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Blocked:
    reason: str
    shop_id: str | None
    at: datetime


def _cursor(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, position]).encode()).decode()


def _position(kind: str, cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        found_kind, position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise BadRequestError("Invalid pagination cursor") from None
    if found_kind != kind:
        raise BadRequestError("Pagination cursor belongs to another list")
    return int(position)


def _page(kind: str, ordered: list[T], limit: int, cursor: str | None) -> Page[T]:
    start = _position(kind, cursor)
    items = ordered[start : start + limit]
    # Like a DynamoDB Query with Limit: a full page has a cursor, even if nothing follows.
    more = len(items) == limit
    return Page(items=items, next_cursor=_cursor(kind, start + limit) if more else None)


class FakeIdentityRepository:
    """Everything identity stores, in dicts."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.emails: dict[str, str] = {}
        self.audit: list[AuditEntry] = []
        self.challenges: dict[tuple[CodePurpose, str], OtpChallenge] = {}
        self.addresses: dict[str, dict[str, Address]] = {}
        self.windows: dict[tuple[str, datetime], int] = {}
        self.cooldowns: dict[str, datetime] = {}
        self.blocked: dict[str, Blocked] = {}

    # ---------- accounts ----------
    def get_account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def account_id_for_email(self, email: str) -> str | None:
        return self.emails.get(email)

    def find_account_by_email(self, email: str) -> Account | None:
        account_id = self.account_id_for_email(email)
        return self.get_account(account_id) if account_id else None

    def add_account(self, account: Account, audit: AuditEntry | None = None) -> bool:
        if account.email in self.emails or account.account_id in self.accounts:
            return False
        self.emails[account.email] = account.account_id
        self.accounts[account.account_id] = account
        if audit is not None:
            self.audit.append(audit)
        return True

    def list_accounts(self, role: Role, *, limit: int, cursor: str | None) -> Page[Account]:
        mine = [account for account in self.accounts.values() if account.role == role]
        mine.sort(key=lambda account: (account.created_at, account.account_id), reverse=True)
        page = _page(f"role:{role}", mine, limit, cursor)
        # An index lists only some fields, as DynamoDB's gsi1 projects them.
        page.items = [
            Account(
                account_id=account.account_id,
                email=account.email,
                role=account.role,
                status=account.status,
                created_at=account.created_at,
                display_name=account.display_name,
                shop_id=account.shop_id,
                banned_at=account.banned_at,
            )
            for account in page.items
        ]
        return page

    def _change(
        self, account_id: str, when: bool, audit: AuditEntry | None = None, **changes: object
    ) -> bool:
        account = self.accounts.get(account_id)
        if account is None or not when:
            return False
        self.accounts[account_id] = replace(account, **changes)  # type: ignore[arg-type]
        if audit is not None:
            self.audit.append(audit)
        return True

    def _status_is(self, account_id: str, *statuses: AccountStatus) -> bool:
        account = self.accounts.get(account_id)
        return account is not None and account.status in statuses

    def _version_is(self, account_id: str, version: int) -> bool:
        account = self.accounts.get(account_id)
        return account is not None and account.token_version == version

    def mark_verified(self, account_id: str, *, at: datetime) -> bool:
        return self._change(
            account_id,
            self._status_is(account_id, AccountStatus.PENDING_VERIFICATION),
            status=AccountStatus.ACTIVE,
            verified_at=at,
            updated_at=at,
        )

    def rehash_password(self, account_id: str, password_hash: str, *, version: int) -> bool:
        return self._change(
            account_id, self._version_is(account_id, version), password_hash=password_hash
        )

    def replace_password(
        self, account_id: str, password_hash: str, *, version: int, audit: AuditEntry
    ) -> bool:
        return self._change(
            account_id,
            self._status_is(account_id, AccountStatus.ACTIVE)
            and self._version_is(account_id, version),
            audit,
            password_hash=password_hash,
            token_version=version + 1,
            sessions={},
            updated_at=audit.at,
        )

    def ban(self, account_id: str, *, reason: str, audit: AuditEntry) -> bool:
        account = self.accounts.get(account_id)
        return self._change(
            account_id,
            self._status_is(account_id, AccountStatus.ACTIVE, AccountStatus.PENDING_VERIFICATION),
            audit,
            status=AccountStatus.BANNED,
            banned_at=audit.at,
            ban_reason=reason,
            token_version=(account.token_version + 1) if account else 0,
            sessions={},
            updated_at=audit.at,
        )

    def unban(self, account_id: str, *, status: AccountStatus, audit: AuditEntry) -> bool:
        return self._change(
            account_id,
            self._status_is(account_id, AccountStatus.BANNED),
            audit,
            status=status,
            banned_at=None,
            ban_reason=None,
            updated_at=audit.at,
        )

    def change_role(
        self, account_id: str, *, from_role: Role, to_role: Role, audit: AuditEntry
    ) -> bool:
        account = self.accounts.get(account_id)
        return self._change(
            account_id,
            account is not None
            and account.status == AccountStatus.ACTIVE
            and account.role == from_role,
            audit,
            role=to_role,
            updated_at=audit.at,
        )

    def set_shop(self, account_id: str, shop_id: str | None) -> bool:
        account = self.accounts.get(account_id)
        return self._change(
            account_id, account is not None and account.role == Role.SELLER, shop_id=shop_id
        )

    # ---------- sessions ----------
    def add_session(
        self, account: Account, session_id: str, session: Session, evict: Iterable[str] = ()
    ) -> bool:
        current = self.accounts.get(account.account_id)
        if current is None:
            return False
        sessions = {sid: s for sid, s in current.sessions.items() if sid not in set(evict)}
        sessions[session_id] = session
        return self._change(
            account.account_id,
            current.status == account.status and current.token_version == account.token_version,
            sessions=sessions,
        )

    def rotate_session(
        self, account_id: str, session_id: str, *, presented: str, session: Session, version: int
    ) -> bool:
        current = self.accounts.get(account_id)
        live = current.sessions.get(session_id) if current else None
        if current is None or live is None:
            return False
        return self._change(
            account_id,
            live.token_id == presented
            and current.status == AccountStatus.ACTIVE
            and current.token_version == version,
            sessions={**current.sessions, session_id: session},
        )

    def end_session(self, account_id: str, session_id: str) -> None:
        current = self.accounts.get(account_id)
        if current is not None:
            sessions = {sid: s for sid, s in current.sessions.items() if sid != session_id}
            self._change(account_id, True, sessions=sessions)

    # ---------- audit ----------
    def add_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)

    def list_audit(
        self, *, limit: int, cursor: str | None, target_id: str | None
    ) -> Page[AuditEntry]:
        found = [e for e in self.audit if target_id is None or e.target_id == target_id]
        found.sort(key=lambda entry: (entry.at, entry.audit_id), reverse=True)
        return _page(f"audit:{target_id}", found, limit, cursor)

    # ---------- one-time codes ----------
    def get_challenge(self, purpose: CodePurpose, email: str) -> OtpChallenge | None:
        return self.challenges.get((purpose, email))

    def put_challenge(self, challenge: OtpChallenge, *, now: datetime) -> bool:
        key = (challenge.purpose, challenge.email)
        current = self.challenges.get(key)
        if current is not None and current.locked_until is not None and current.locked_until > now:
            return False
        self.challenges[key] = challenge
        return True

    def spend_attempt(
        self, purpose: CodePurpose, email: str, *, max_attempts: int, now: datetime
    ) -> OtpChallenge | None:
        current = self.challenges.get((purpose, email))
        if (
            current is None
            or current.code_hash is None
            or current.attempts >= max_attempts
            or current.code_expires_at <= now
        ):
            return None
        spent = replace(current, attempts=current.attempts + 1)
        self.challenges[(purpose, email)] = spent
        return spent

    def consume_challenge(self, purpose: CodePurpose, email: str, code_hash: str) -> bool:
        current = self.challenges.get((purpose, email))
        if current is None or current.code_hash != code_hash:
            return False
        del self.challenges[(purpose, email)]
        return True

    def lock_challenge(self, purpose: CodePurpose, email: str, *, until: datetime) -> None:
        current = self.challenges.get((purpose, email))
        if current is not None:
            self.challenges[(purpose, email)] = replace(current, code_hash=None, locked_until=until)

    # ---------- addresses ----------
    def list_addresses(self, account_id: str) -> list[Address]:
        mine = self.addresses.get(account_id, {})
        return sorted(mine.values(), key=lambda address: address.created_at)

    def add_address(self, address: Address, *, max_count: int) -> bool:
        owner = self.accounts.get(address.account_id)
        if owner is None or owner.address_count >= max_count:
            return False
        mine = self.addresses.setdefault(address.account_id, {})
        if address.address_id in mine:
            return False
        mine[address.address_id] = address
        return self._change(address.account_id, True, address_count=owner.address_count + 1)

    def delete_address(self, account_id: str, address_id: str) -> bool:
        owner = self.accounts.get(account_id)
        mine = self.addresses.get(account_id, {})
        if owner is None or address_id not in mine:
            return False
        del mine[address_id]
        return self._change(account_id, True, address_count=owner.address_count - 1)

    # ---------- rate limits ----------
    def hit_window(
        self, key: str, *, window_start: datetime, limit: int, expires: datetime
    ) -> bool:
        count = self.windows.get((key, window_start), 0)
        if count >= limit:
            return False
        self.windows[(key, window_start)] = count + 1
        return True

    def take_cooldown(self, key: str, *, now: datetime, until: datetime) -> datetime | None:
        running = self.cooldowns.get(key)
        if running is not None and running > now:
            return running
        self.cooldowns[key] = until
        return None

    # ---------- the sign-up blocklist ----------
    def block_email(self, email: str, *, reason: str, shop_id: str | None, at: datetime) -> None:
        self.blocked[email] = Blocked(reason=reason, shop_id=shop_id, at=at)

    def is_email_blocked(self, email: str) -> bool:
        return email in self.blocked
