"""Data access for the identity table: every read and write of it goes through here.

Invariants are held by DynamoDB itself: email uniqueness by a transaction with a claim
item, single-use codes and refresh tokens by conditional writes, the address limit by a
conditional counter in the same transaction as the address, and every audited change in
one transaction with its audit entry.

``IdentityRepository`` is the port services use, in domain terms (``chalicelib.identity.
domain``); ``DynamoIdentityRepository`` is its DynamoDB implementation and
``tests/fakes/identity.py`` its in-memory twin (both pass
``tests/integration/identity/test_repository_contract.py``). Services reach it through
``get()``; tests swap in the fake with ``use()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core.caller import Role
from chalicelib.core.dynamo import (
    TransactionCancelledError,
    condition_failed,
    time_key,
    transaction,
)
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.identity import models
from chalicelib.identity.domain import (
    Account,
    AccountStatus,
    Address,
    AuditEntry,
    CodePurpose,
    OtpChallenge,
    Session,
)
from chalicelib.identity.models import (
    ACCOUNT_SK,
    ADDRESS_PREFIX,
    AUDIT_LIST,
    AUDIT_PREFIX,
    BLOCKED_SK,
    EMAIL_SK,
    OTP_SK,
    AddressAttributes,
    BlockedEmail,
    EmailClaim,
    Throttle,
    account_pk,
    blocked_pk,
    email_pk,
    otp_pk,
    role_list_pk,
)

# The postal fields an Address carries in its ``fields`` map.
ADDRESS_FIELDS = tuple(AddressAttributes.get_attributes())


class IdentityRepository(Protocol):
    """Everything identity stores, in domain terms. Methods that may be refused by a
    concurrent change return False (or None) instead of raising."""

    # ---------- accounts ----------
    def get_account(self, account_id: str) -> Account | None:
        """The account (read consistently), or None."""
        ...

    def account_id_for_email(self, email: str) -> str | None:
        """The id of the account that claimed ``email`` (normalised), or None."""
        ...

    def find_account_by_email(self, email: str) -> Account | None:
        """The account registered with ``email`` (normalised), or None."""
        ...

    def add_account(self, account: Account, audit: AuditEntry | None = None) -> bool:
        """Store a new account and claim its email (with ``audit``) at once; False if the
        email is taken."""
        ...

    def list_accounts(self, role: Role, *, limit: int, cursor: str | None) -> Page[Account]:
        """Accounts of ``role``, newest first, one page (list fields only)."""
        ...

    def mark_verified(self, account_id: str, *, at: datetime) -> bool:
        """A pending account becomes ACTIVE; False unless it is still pending."""
        ...

    def rehash_password(self, account_id: str, password_hash: str, *, version: int) -> bool:
        """Store the same password hashed anew; False if the token version moved on."""
        ...

    def replace_password(
        self, account_id: str, password_hash: str, *, version: int, audit: AuditEntry
    ) -> bool:
        """New password for an ACTIVE account still at ``version``: every session ends and
        the version moves on (its tokens die); audited. False when the account changed."""
        ...

    def ban(self, account_id: str, *, reason: str, audit: AuditEntry) -> bool:
        """An ACTIVE or pending account becomes BANNED: sessions end, the version moves
        on; audited. False when it is in neither state any more."""
        ...

    def unban(self, account_id: str, *, status: AccountStatus, audit: AuditEntry) -> bool:
        """A BANNED account goes back to ``status``; audited. False unless still banned."""
        ...

    def change_role(
        self, account_id: str, *, from_role: Role, to_role: Role, audit: AuditEntry
    ) -> bool:
        """An ACTIVE account of ``from_role`` gets ``to_role`` (its list follows); audited.
        False when it is no longer active or of that role."""
        ...

    def set_shop(self, account_id: str, shop_id: str | None) -> bool:
        """Attach (or, with None, detach) a seller's shop; False unless it is a seller."""
        ...

    # ---------- sessions ----------
    def add_session(
        self, account: Account, session_id: str, session: Session, evict: Iterable[str] = ()
    ) -> bool:
        """Open a session (ending ``evict``) unless the account's status or token version
        changed since ``account`` was read."""
        ...

    def rotate_session(
        self, account_id: str, session_id: str, *, presented: str, session: Session, version: int
    ) -> bool:
        """Replace the session's refresh token if ``presented`` is still its current one,
        and the account is ACTIVE at ``version``."""
        ...

    def end_session(self, account_id: str, session_id: str) -> None:
        """End one session (idempotent; nothing happens for an unknown account)."""
        ...

    # ---------- audit ----------
    def add_audit(self, entry: AuditEntry) -> None:
        """Write an audit entry on its own (for actions with no other write)."""
        ...

    def list_audit(
        self, *, limit: int, cursor: str | None, target_id: str | None
    ) -> Page[AuditEntry]:
        """Audit entries, newest first: of one account, or of all."""
        ...

    # ---------- one-time codes ----------
    def get_challenge(self, purpose: CodePurpose, email: str) -> OtpChallenge | None:
        """The current challenge (or lockout) of ``purpose`` for ``email``."""
        ...

    def put_challenge(self, challenge: OtpChallenge, *, now: datetime) -> bool:
        """Store a fresh challenge (replacing any) unless the email is locked out at ``now``;
        False when locked."""
        ...

    def spend_attempt(
        self, purpose: CodePurpose, email: str, *, max_attempts: int, now: datetime
    ) -> OtpChallenge | None:
        """Count one guess against a live challenge; the challenge after it, or None when
        none is live (used, expired, locked or out of attempts)."""
        ...

    def consume_challenge(self, purpose: CodePurpose, email: str, code_hash: str) -> bool:
        """Delete the challenge if it still holds ``code_hash``; False if already used."""
        ...

    def lock_challenge(self, purpose: CodePurpose, email: str, *, until: datetime) -> None:
        """End the challenge and lock the email out of ``purpose`` until ``until``."""
        ...

    # ---------- addresses ----------
    def list_addresses(self, account_id: str) -> list[Address]:
        """Every address of an account, oldest first."""
        ...

    def add_address(self, address: Address, *, max_count: int) -> bool:
        """Store an address and count it; False when the account already has ``max_count``
        (or does not exist)."""
        ...

    def delete_address(self, account_id: str, address_id: str) -> bool:
        """Delete one of the account's addresses; False if it has no such address."""
        ...

    # ---------- rate limits ----------
    def hit_window(
        self, key: str, *, window_start: datetime, limit: int, expires: datetime
    ) -> bool:
        """Count one attempt in ``key``'s window; False (not counted) when ``limit`` is
        already reached."""
        ...

    def take_cooldown(self, key: str, *, now: datetime, until: datetime) -> datetime | None:
        """Start ``key``'s cooldown; None if started, else when the running one ends."""
        ...

    # ---------- the sign-up blocklist ----------
    def block_email(self, email: str, *, reason: str, shop_id: str | None, at: datetime) -> None:
        """Refuse sign-ups with ``email`` (normalised) from now on (idempotent)."""
        ...

    def is_email_blocked(self, email: str) -> bool:
        """True if ``email`` (normalised) may not be used to sign up."""
        ...


# ---------- from items to domain values ----------
def _sessions(raw: Any) -> dict[str, Session]:
    data = raw.as_dict() if isinstance(raw, MapAttribute) else dict(raw or {})  # type: ignore[no-untyped-call]
    return {
        str(session_id): Session(
            token_id=str(entry.get("jti", "")),
            expires_at=int(entry.get("exp", 0)),
            issued_at=int(entry.get("iat", 0)),
        )
        for session_id, entry in data.items()
    }


def _session_item(session: Session) -> dict[str, Any]:
    return {"jti": session.token_id, "exp": session.expires_at, "iat": session.issued_at}


def _account(item: models.Account) -> Account:
    return Account(
        account_id=item.account_id,
        email=item.email,
        role=Role(item.role),
        status=AccountStatus(item.status),
        created_at=item.created_at,
        password_hash=item.password_hash or "",
        display_name=item.display_name,
        shop_id=item.shop_id,
        updated_at=item.updated_at,
        verified_at=item.verified_at,
        banned_at=item.banned_at,
        ban_reason=item.ban_reason,
        token_version=int(item.token_version or 0),
        sessions=_sessions(item.sessions),
        address_count=int(item.address_count or 0),
    )


def _account_item(account: Account) -> models.Account:
    return models.Account(
        pk=account_pk(account.account_id),
        sk=ACCOUNT_SK,
        account_id=account.account_id,
        email=account.email,
        role=str(account.role),
        status=str(account.status),
        password_hash=account.password_hash,
        display_name=account.display_name,
        shop_id=account.shop_id,
        created_at=account.created_at,
        updated_at=account.updated_at or account.created_at,
        verified_at=account.verified_at,
        banned_at=account.banned_at,
        ban_reason=account.ban_reason,
        token_version=account.token_version,
        sessions={sid: _session_item(session) for sid, session in account.sessions.items()},
        address_count=account.address_count,
        gsi1pk=role_list_pk(account.role),
        gsi1sk=time_key(account.created_at, account.account_id),
    )


def _audit(item: models.AuditEntry) -> AuditEntry:
    return AuditEntry(
        audit_id=item.audit_id,
        action=item.action,
        actor_id=item.actor_id,
        target_id=item.target_id,
        at=item.at,
        reason=item.reason,
        details=item.details,
    )


def _audit_item(entry: AuditEntry) -> models.AuditEntry:
    sort_key = time_key(entry.at, entry.audit_id)
    return models.AuditEntry(
        pk=account_pk(entry.target_id),
        sk=f"{AUDIT_PREFIX}{sort_key}",
        audit_id=entry.audit_id,
        action=entry.action,
        actor_id=entry.actor_id,
        target_id=entry.target_id,
        reason=entry.reason,
        details=entry.details,
        at=entry.at,
        gsi1pk=AUDIT_LIST,
        gsi1sk=sort_key,
    )


def _challenge(item: models.OtpChallenge) -> OtpChallenge:
    return OtpChallenge(
        purpose=CodePurpose(item.purpose),
        email=item.email,
        account_id=item.account_id,
        code_hash=item.code_hash,
        sent_at=item.sent_at,
        code_expires_at=item.code_expires_at,
        attempts=int(item.attempts or 0),
        locked_until=item.locked_until,
    )


def _address(item: models.Address) -> Address:
    fields = item.fields.as_dict()  # type: ignore[no-untyped-call]
    return Address(
        address_id=item.address_id,
        account_id=item.account_id,
        created_at=item.created_at,
        **{name: fields.get(name) for name in ADDRESS_FIELDS},
    )


def _address_item(address: Address) -> models.Address:
    return models.Address(
        pk=account_pk(address.account_id),
        sk=f"{ADDRESS_PREFIX}{address.address_id}",
        address_id=address.address_id,
        account_id=address.account_id,
        fields=AddressAttributes(**{name: getattr(address, name) for name in ADDRESS_FIELDS}),  # type: ignore[no-untyped-call]
        created_at=address.created_at,
    )


def _page_start(cursor: str | None, partition_key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(partition_key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def _account_key(account_id: str) -> models.Account:
    return models.Account(pk=account_pk(account_id), sk=ACCOUNT_SK)


def _challenge_key(purpose: CodePurpose, email: str) -> models.OtpChallenge:
    return models.OtpChallenge(pk=otp_pk(purpose, email), sk=OTP_SK)


class DynamoIdentityRepository:
    """The identity table on DynamoDB (pynamodb models in ``models.py``)."""

    # ---------- accounts ----------
    def get_account(self, account_id: str) -> Account | None:
        try:
            item = models.Account.get(account_pk(account_id), ACCOUNT_SK, consistent_read=True)
        except models.Account.DoesNotExist:
            return None
        return _account(item)

    def account_id_for_email(self, email: str) -> str | None:
        try:
            claim = EmailClaim.get(email_pk(email), EMAIL_SK, consistent_read=True)
        except EmailClaim.DoesNotExist:
            return None
        return claim.account_id

    def find_account_by_email(self, email: str) -> Account | None:
        account_id = self.account_id_for_email(email)
        return self.get_account(account_id) if account_id else None

    def add_account(self, account: Account, audit: AuditEntry | None = None) -> bool:
        claim = EmailClaim(
            pk=email_pk(account.email),
            account_id=account.account_id,
            created_at=account.created_at,
        )
        try:
            with transaction() as writer:
                writer.save(claim, condition=EmailClaim.pk.does_not_exist())
                writer.save(_account_item(account), condition=models.Account.pk.does_not_exist())
                if audit is not None:
                    writer.save(_audit_item(audit))
        except TransactionCancelledError:
            return False
        return True

    def list_accounts(self, role: Role, *, limit: int, cursor: str | None) -> Page[Account]:
        partition = role_list_pk(role)
        results = models.Account.by_role.query(
            partition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_page_start(cursor, "gsi1pk", partition),
        )
        items = [_account(item) for item in results]
        more = results.last_evaluated_key if len(items) == limit else None
        return Page(items=items, next_cursor=encode_cursor(more))

    def _update(
        self,
        account_id: str,
        actions: list[Action],
        condition: Condition | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Apply ``actions`` to an existing account if ``condition`` holds (with ``audit``
        in the same transaction); False when refused."""
        exists = models.Account.pk.exists()
        condition = exists if condition is None else exists & condition
        account = _account_key(account_id)
        if audit is None:
            try:
                account.update(actions=actions, condition=condition)
            except UpdateError as error:
                if condition_failed(error):
                    return False
                raise
            return True
        try:
            with transaction() as writer:
                writer.update(account, actions=actions, condition=condition)
                writer.save(_audit_item(audit), condition=models.AuditEntry.pk.does_not_exist())
        except TransactionCancelledError:
            return False
        return True

    def mark_verified(self, account_id: str, *, at: datetime) -> bool:
        return self._update(
            account_id,
            [
                models.Account.status.set(AccountStatus.ACTIVE),
                models.Account.verified_at.set(at),
                models.Account.updated_at.set(at),
            ],
            models.Account.status == AccountStatus.PENDING_VERIFICATION,
        )

    def rehash_password(self, account_id: str, password_hash: str, *, version: int) -> bool:
        return self._update(
            account_id,
            [models.Account.password_hash.set(password_hash)],
            models.Account.token_version == version,
        )

    def replace_password(
        self, account_id: str, password_hash: str, *, version: int, audit: AuditEntry
    ) -> bool:
        return self._update(
            account_id,
            [
                models.Account.password_hash.set(password_hash),
                models.Account.token_version.add(1),
                models.Account.sessions.set({}),
                models.Account.updated_at.set(audit.at),
            ],
            (models.Account.status == AccountStatus.ACTIVE)
            & (models.Account.token_version == version),
            audit,
        )

    def ban(self, account_id: str, *, reason: str, audit: AuditEntry) -> bool:
        return self._update(
            account_id,
            [
                models.Account.status.set(AccountStatus.BANNED),
                models.Account.banned_at.set(audit.at),
                models.Account.ban_reason.set(reason),
                models.Account.token_version.add(1),
                models.Account.sessions.set({}),
                models.Account.updated_at.set(audit.at),
            ],
            models.Account.status.is_in(AccountStatus.ACTIVE, AccountStatus.PENDING_VERIFICATION),
            audit,
        )

    def unban(self, account_id: str, *, status: AccountStatus, audit: AuditEntry) -> bool:
        return self._update(
            account_id,
            [
                models.Account.status.set(status),
                models.Account.banned_at.remove(),
                models.Account.ban_reason.remove(),
                models.Account.updated_at.set(audit.at),
            ],
            models.Account.status == AccountStatus.BANNED,
            audit,
        )

    def change_role(
        self, account_id: str, *, from_role: Role, to_role: Role, audit: AuditEntry
    ) -> bool:
        return self._update(
            account_id,
            [
                models.Account.role.set(to_role),
                models.Account.gsi1pk.set(role_list_pk(to_role)),
                models.Account.updated_at.set(audit.at),
            ],
            (models.Account.status == AccountStatus.ACTIVE) & (models.Account.role == from_role),
            audit,
        )

    def set_shop(self, account_id: str, shop_id: str | None) -> bool:
        shop = models.Account.shop_id
        action = shop.set(shop_id) if shop_id else shop.remove()
        account = _account_key(account_id)
        try:
            account.update(actions=[action], condition=models.Account.role == Role.SELLER)
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    # ---------- sessions ----------
    def add_session(
        self, account: Account, session_id: str, session: Session, evict: Iterable[str] = ()
    ) -> bool:
        sessions = models.Account.sessions
        actions: list[Action] = [sessions[session_id].set(_session_item(session))]
        actions += [sessions[old].remove() for old in evict]
        return self._update(
            account.account_id,
            actions,
            (models.Account.status == account.status)
            & (models.Account.token_version == account.token_version),
        )

    def rotate_session(
        self, account_id: str, session_id: str, *, presented: str, session: Session, version: int
    ) -> bool:
        sessions = models.Account.sessions
        condition = (
            (sessions[session_id]["jti"] == presented)
            & (models.Account.status == AccountStatus.ACTIVE)
            & (models.Account.token_version == version)
        )
        account = _account_key(account_id)
        try:
            account.update(
                actions=[sessions[session_id].set(_session_item(session))], condition=condition
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def end_session(self, account_id: str, session_id: str) -> None:
        self._update(account_id, [models.Account.sessions[session_id].remove()])

    # ---------- audit ----------
    def add_audit(self, entry: AuditEntry) -> None:
        _audit_item(entry).save(condition=models.AuditEntry.pk.does_not_exist())

    def list_audit(
        self, *, limit: int, cursor: str | None, target_id: str | None
    ) -> Page[AuditEntry]:
        if target_id is not None:
            partition = account_pk(target_id)
            results = models.AuditEntry.query(
                partition,
                models.AuditEntry.sk.startswith(AUDIT_PREFIX),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_page_start(cursor, "pk", partition),
            )
        else:
            results = models.AuditEntry.by_time.query(
                AUDIT_LIST,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_page_start(cursor, "gsi1pk", AUDIT_LIST),
            )
        items = [_audit(item) for item in results]
        more = results.last_evaluated_key if len(items) == limit else None
        return Page(items=items, next_cursor=encode_cursor(more))

    # ---------- one-time codes ----------
    def get_challenge(self, purpose: CodePurpose, email: str) -> OtpChallenge | None:
        try:
            item = models.OtpChallenge.get(otp_pk(purpose, email), OTP_SK, consistent_read=True)
        except models.OtpChallenge.DoesNotExist:
            return None
        return _challenge(item)

    def put_challenge(self, challenge: OtpChallenge, *, now: datetime) -> bool:
        item = models.OtpChallenge(
            pk=otp_pk(challenge.purpose, challenge.email),
            sk=OTP_SK,
            purpose=str(challenge.purpose),
            email=challenge.email,
            account_id=challenge.account_id,
            code_hash=challenge.code_hash,
            attempts=challenge.attempts,
            sent_at=challenge.sent_at,
            code_expires_at=challenge.code_expires_at,
            locked_until=challenge.locked_until,
            expires_at=challenge.code_expires_at,
        )
        locked_until = models.OtpChallenge.locked_until
        not_locked = locked_until.does_not_exist() | (locked_until <= now)
        try:
            item.save(condition=models.OtpChallenge.pk.does_not_exist() | not_locked)
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def spend_attempt(
        self, purpose: CodePurpose, email: str, *, max_attempts: int, now: datetime
    ) -> OtpChallenge | None:
        # The attempt is spent before the code is compared, so parallel guesses cannot
        # exceed the limit.
        item = _challenge_key(purpose, email)
        condition = (
            models.OtpChallenge.code_hash.exists()
            & (models.OtpChallenge.attempts < max_attempts)
            & (models.OtpChallenge.code_expires_at > now)
        )
        try:
            item.update(actions=[models.OtpChallenge.attempts.add(1)], condition=condition)
        except UpdateError as error:
            if condition_failed(error):
                return None
            raise
        return _challenge(item)

    def consume_challenge(self, purpose: CodePurpose, email: str, code_hash: str) -> bool:
        item = _challenge_key(purpose, email)
        try:
            item.delete(condition=models.OtpChallenge.code_hash == code_hash)
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def lock_challenge(self, purpose: CodePurpose, email: str, *, until: datetime) -> None:
        _challenge_key(purpose, email).update(
            actions=[
                models.OtpChallenge.code_hash.remove(),
                models.OtpChallenge.locked_until.set(until),
                models.OtpChallenge.expires_at.set(until),
            ],
            condition=models.OtpChallenge.pk.exists(),
        )

    # ---------- addresses ----------
    def list_addresses(self, account_id: str) -> list[Address]:
        found = models.Address.query(
            account_pk(account_id), models.Address.sk.startswith(ADDRESS_PREFIX)
        )
        return sorted((_address(item) for item in found), key=lambda address: address.created_at)

    def add_address(self, address: Address, *, max_count: int) -> bool:
        owner = _account_key(address.account_id)
        count = models.Account.address_count
        try:
            with transaction() as writer:
                writer.update(
                    owner,
                    actions=[count.add(1)],
                    condition=models.Account.pk.exists() & (count < max_count),
                )
                writer.save(_address_item(address), condition=models.Address.pk.does_not_exist())
        except TransactionCancelledError:
            return False
        return True

    def delete_address(self, account_id: str, address_id: str) -> bool:
        owner = _account_key(account_id)
        address = models.Address(pk=account_pk(account_id), sk=f"{ADDRESS_PREFIX}{address_id}")
        try:
            with transaction() as writer:
                writer.delete(address, condition=models.Address.pk.exists())
                writer.update(
                    owner,
                    actions=[models.Account.address_count.add(-1)],
                    condition=models.Account.pk.exists(),
                )
        except TransactionCancelledError:
            return False
        return True

    # ---------- rate limits ----------
    def hit_window(
        self, key: str, *, window_start: datetime, limit: int, expires: datetime
    ) -> bool:
        counter = Throttle(pk=f"RATE#{key}", sk=window_start.isoformat())
        try:
            counter.update(
                actions=[Throttle.hits.add(1), Throttle.expires_at.set(expires)],
                condition=Throttle.hits.does_not_exist() | (Throttle.hits < limit),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def take_cooldown(self, key: str, *, now: datetime, until: datetime) -> datetime | None:
        marker = Throttle(pk=f"COOLDOWN#{key}", sk="COOLDOWN", until=until, expires_at=until)
        try:
            marker.save(condition=Throttle.pk.does_not_exist() | (Throttle.until <= now))
        except PutError as error:
            if not condition_failed(error):
                raise
            try:
                running = Throttle.get(marker.pk, marker.sk, consistent_read=True)
            except Throttle.DoesNotExist:
                return until
            return running.until or until
        return None

    # ---------- the sign-up blocklist ----------
    def block_email(self, email: str, *, reason: str, shop_id: str | None, at: datetime) -> None:
        BlockedEmail(
            pk=blocked_pk(email), email=email, reason=reason, shop_id=shop_id, blocked_at=at
        ).save()

    def is_email_blocked(self, email: str) -> bool:
        try:
            BlockedEmail.get(blocked_pk(email), BLOCKED_SK)
        except BlockedEmail.DoesNotExist:
            return False
        return True


_repository: IdentityRepository | None = None


def get() -> IdentityRepository:
    """The repository services use (DynamoDB unless a test swapped in another)."""
    global _repository
    if _repository is None:
        _repository = DynamoIdentityRepository()
    return _repository


def use(repository: IdentityRepository | None) -> None:
    """Swap the repository (a test's fake); None goes back to DynamoDB."""
    global _repository
    _repository = repository
