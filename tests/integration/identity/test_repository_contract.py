"""The identity repository's contract, run against the in-memory fake and DynamoDB (moto).

Use-case tests trust the fake (``tests/fakes/identity.py``); these tests are why they may:
both implementations give the same answers, conditions and refusals included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.caller import Role
from chalicelib.core.errors import BadRequestError
from chalicelib.identity import repository
from chalicelib.identity.domain import (
    Account,
    AccountStatus,
    Address,
    AuditEntry,
    CodePurpose,
    OtpChallenge,
    Session,
)
from chalicelib.identity.repository import IdentityRepository
from tests.fakes.identity import FakeIdentityRepository

T0 = datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC)
VERIFY = CodePurpose.VERIFY_EMAIL


@pytest.fixture(params=["fake", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[IdentityRepository]:
    """The fake, or the DynamoDB repository on the moto deployment."""
    if request.param == "fake":
        yield FakeIdentityRepository()
        return
    request.getfixturevalue("aws_env")
    yield repository.DynamoIdentityRepository()


def account(
    n: int,
    *,
    role: Role = Role.USER,
    status: AccountStatus = AccountStatus.ACTIVE,
    at: datetime = T0,
    **changes: Any,
) -> Account:
    made = Account.new(
        email=f"person{n}@shop.example.com",
        role=role,
        password_hash=f"hash-{n}",
        display_name=f"Person {n}",
        now=at + timedelta(seconds=n),
        verified=status is not AccountStatus.PENDING_VERIFICATION,
    )
    return replace(made, status=status, **changes)


def audit(target: Account, action: str = "account.checked", at: datetime = T0) -> AuditEntry:
    return AuditEntry(action=action, actor_id="admin-1", target_id=target.account_id, at=at)


def session(token_id: str, issued_at: int = 1_000) -> Session:
    return Session(token_id=token_id, expires_at=issued_at + 3600, issued_at=issued_at)


def stored(repo: IdentityRepository, who: Account) -> Account:
    found = repo.get_account(who.account_id)
    assert found is not None
    return found


# ---------- accounts ----------
def test_an_account_is_stored_with_its_email_claimed(repo: IdentityRepository) -> None:
    ann = account(1, shop_id=None)
    assert repo.add_account(ann)
    assert repo.get_account(ann.account_id) == ann
    assert repo.find_account_by_email("person1@shop.example.com") == ann
    assert repo.account_id_for_email("person1@shop.example.com") == ann.account_id
    assert repo.get_account("nobody") is None
    assert repo.find_account_by_email("nobody@shop.example.com") is None
    # The email is taken, whoever asks for it next
    twin = replace(account(2), email=ann.email)
    assert not repo.add_account(twin)
    assert repo.get_account(twin.account_id) is None


def test_an_account_can_be_stored_with_its_audit_entry(repo: IdentityRepository) -> None:
    ann = account(1)
    entry = audit(ann, "account.provisioned")
    assert repo.add_account(ann, entry)
    assert repo.list_audit(limit=5, cursor=None, target_id=ann.account_id).items == [entry]


def test_accounts_are_listed_per_role_newest_first_in_pages(repo: IdentityRepository) -> None:
    users = [account(n) for n in range(3)]
    seller = account(9, role=Role.SELLER)
    for each in [*users, seller]:
        assert repo.add_account(each)
    first = repo.list_accounts(Role.USER, limit=2, cursor=None)
    assert [a.account_id for a in first.items] == [users[2].account_id, users[1].account_id]
    assert first.next_cursor
    second = repo.list_accounts(Role.USER, limit=2, cursor=first.next_cursor)
    assert [a.account_id for a in second.items] == [users[0].account_id]
    assert second.next_cursor is None
    # Lists carry the list fields only (never a password hash or sessions)
    listed = second.items[0]
    assert (listed.email, listed.role, listed.status) == (users[0].email, Role.USER, "ACTIVE")
    assert (listed.created_at, listed.display_name) == (users[0].created_at, "Person 0")
    assert (listed.password_hash, dict(listed.sessions)) == ("", {})
    sellers = repo.list_accounts(Role.SELLER, limit=5, cursor=None).items
    assert [a.account_id for a in sellers] == [seller.account_id]
    with pytest.raises(BadRequestError):
        repo.list_accounts(Role.SELLER, limit=2, cursor=first.next_cursor)


def test_a_pending_account_is_verified_once(repo: IdentityRepository) -> None:
    ann = account(1, status=AccountStatus.PENDING_VERIFICATION)
    repo.add_account(ann)
    later = T0 + timedelta(hours=1)
    assert repo.mark_verified(ann.account_id, at=later)
    now = stored(repo, ann)
    assert (now.status, now.verified_at, now.updated_at) == (AccountStatus.ACTIVE, later, later)
    assert not repo.mark_verified(ann.account_id, at=later)
    assert not repo.mark_verified("nobody", at=later)


def test_a_ban_ends_sessions_and_is_audited_and_lifted(repo: IdentityRepository) -> None:
    ann = account(1, sessions={"s1": session("j1")}, token_version=3)
    repo.add_account(ann)
    banned_at = T0 + timedelta(minutes=1)
    assert repo.ban(ann.account_id, reason="fraud", audit=audit(ann, "account.banned", banned_at))
    now = stored(repo, ann)
    assert (now.status, now.ban_reason, now.banned_at) == (
        AccountStatus.BANNED,
        "fraud",
        banned_at,
    )
    assert (now.token_version, dict(now.sessions), now.updated_at) == (4, {}, banned_at)
    # Banned already: refused, nothing written
    assert not repo.ban(ann.account_id, reason="again", audit=audit(ann, "account.banned"))
    assert stored(repo, ann).ban_reason == "fraud"
    back = audit(ann, "account.unbanned", banned_at + timedelta(minutes=1))
    assert repo.unban(ann.account_id, status=AccountStatus.ACTIVE, audit=back)
    now = stored(repo, ann)
    assert (now.status, now.ban_reason, now.banned_at) == (AccountStatus.ACTIVE, None, None)
    assert not repo.unban(ann.account_id, status=AccountStatus.ACTIVE, audit=audit(ann))
    actions = [
        e.action for e in repo.list_audit(limit=5, cursor=None, target_id=ann.account_id).items
    ]
    assert actions == ["account.unbanned", "account.banned"]


def test_only_active_or_pending_accounts_are_banned(repo: IdentityRepository) -> None:
    gone = account(1, status=AccountStatus.DELETED)
    pending = account(2, status=AccountStatus.PENDING_VERIFICATION)
    repo.add_account(gone)
    repo.add_account(pending)
    assert not repo.ban(gone.account_id, reason="x", audit=audit(gone))
    assert repo.ban(pending.account_id, reason="x", audit=audit(pending))
    assert repo.list_audit(limit=5, cursor=None, target_id=gone.account_id).items == []


def test_a_role_change_moves_the_account_between_lists(repo: IdentityRepository) -> None:
    ann = account(1)
    repo.add_account(ann)
    change = audit(ann, "account.promoted")
    assert not repo.change_role(
        ann.account_id, from_role=Role.SELLER, to_role=Role.ADMIN, audit=change
    )
    assert repo.change_role(ann.account_id, from_role=Role.USER, to_role=Role.ADMIN, audit=change)
    assert stored(repo, ann).role is Role.ADMIN
    admins = repo.list_accounts(Role.ADMIN, limit=5, cursor=None).items
    assert [a.account_id for a in admins] == [ann.account_id]
    assert repo.list_accounts(Role.USER, limit=5, cursor=None).items == []
    pending = account(2, status=AccountStatus.PENDING_VERIFICATION)
    repo.add_account(pending)
    assert not repo.change_role(
        pending.account_id, from_role=Role.USER, to_role=Role.ADMIN, audit=audit(pending)
    )


def test_passwords_change_only_at_the_version_read(repo: IdentityRepository) -> None:
    ann = account(1, sessions={"s1": session("j1")}, token_version=2)
    repo.add_account(ann)
    assert not repo.rehash_password(ann.account_id, "rehashed", version=1)
    assert repo.rehash_password(ann.account_id, "rehashed", version=2)
    assert stored(repo, ann).password_hash == "rehashed"
    change = audit(ann, "password.change", T0 + timedelta(hours=2))
    assert not repo.replace_password(ann.account_id, "new", version=1, audit=change)
    assert repo.replace_password(ann.account_id, "new", version=2, audit=change)
    now = stored(repo, ann)
    assert (now.password_hash, now.token_version, dict(now.sessions)) == ("new", 3, {})
    assert now.updated_at == change.at
    assert repo.list_audit(limit=5, cursor=None, target_id=ann.account_id).items == [change]
    banned = account(2, status=AccountStatus.BANNED)
    repo.add_account(banned)
    assert not repo.replace_password(banned.account_id, "new", version=0, audit=audit(banned))


def test_only_sellers_get_a_shop(repo: IdentityRepository) -> None:
    seller, shopper = account(1, role=Role.SELLER), account(2)
    repo.add_account(seller)
    repo.add_account(shopper)
    assert repo.set_shop(seller.account_id, "shop-1")
    assert stored(repo, seller).shop_id == "shop-1"
    assert not repo.set_shop(shopper.account_id, "shop-2")
    assert stored(repo, shopper).shop_id is None
    assert not repo.set_shop("nobody", "shop-3")
    assert repo.set_shop(seller.account_id, None)
    assert stored(repo, seller).shop_id is None


# ---------- sessions ----------
def test_sessions_open_rotate_and_end(repo: IdentityRepository) -> None:
    ann = account(1, sessions={"old": session("j0", 10), "keep": session("k0", 20)})
    repo.add_account(ann)
    # A session opens (evicting another) unless the account changed since it was read
    assert repo.add_session(ann, "s1", session("j1"), evict=["old"])
    assert dict(stored(repo, ann).sessions) == {"keep": session("k0", 20), "s1": session("j1")}
    assert not repo.add_session(replace(ann, token_version=5), "s2", session("j2"))
    # A refresh token rotates once: the presented one must still be the current one
    rotated = session("j1b", 2_000)
    assert repo.rotate_session(ann.account_id, "s1", presented="j1", session=rotated, version=0)
    assert stored(repo, ann).sessions["s1"] == rotated
    assert not repo.rotate_session(ann.account_id, "s1", presented="j1", session=rotated, version=0)
    assert not repo.rotate_session(
        ann.account_id, "s1", presented="j1b", session=rotated, version=1
    )
    assert not repo.rotate_session(
        ann.account_id, "gone", presented="x", session=rotated, version=0
    )
    # Ending a session is idempotent
    repo.end_session(ann.account_id, "s1")
    repo.end_session(ann.account_id, "s1")
    repo.end_session("nobody", "s1")
    assert set(stored(repo, ann).sessions) == {"keep"}


def test_sessions_of_an_inactive_account_do_not_rotate(repo: IdentityRepository) -> None:
    ann = account(1, status=AccountStatus.BANNED, sessions={"s1": session("j1")})
    repo.add_account(ann)
    assert not repo.rotate_session(
        ann.account_id, "s1", presented="j1", session=session("j2"), version=0
    )


# ---------- audit ----------
def test_the_audit_log_is_newest_first_per_account_or_all(repo: IdentityRepository) -> None:
    ann, bob = account(1), account(2)
    entries = [
        audit(ann, "a.first", T0),
        audit(bob, "b.second", T0 + timedelta(seconds=1)),
        audit(ann, "a.third", T0 + timedelta(seconds=2)),
    ]
    for entry in entries:
        repo.add_audit(entry)
    mine = repo.list_audit(limit=5, cursor=None, target_id=ann.account_id)
    assert [e.action for e in mine.items] == ["a.third", "a.first"]
    assert mine.items[0] == entries[2]
    everything = repo.list_audit(limit=2, cursor=None, target_id=None)
    assert [e.action for e in everything.items] == ["a.third", "b.second"]
    rest = repo.list_audit(limit=2, cursor=everything.next_cursor, target_id=None)
    assert [e.action for e in rest.items] == ["a.first"]
    with pytest.raises(BadRequestError):
        repo.list_audit(limit=2, cursor=everything.next_cursor, target_id=ann.account_id)


# ---------- one-time codes ----------
def challenge(code_hash: str = "h1", at: datetime = T0) -> OtpChallenge:
    return OtpChallenge(
        purpose=VERIFY,
        email="ann@shop.example.com",
        account_id="account-1",
        code_hash=code_hash,
        sent_at=at,
        code_expires_at=at + timedelta(minutes=10),
    )


def test_a_code_is_guessed_a_limited_number_of_times_and_used_once(
    repo: IdentityRepository,
) -> None:
    email = "ann@shop.example.com"
    assert repo.put_challenge(challenge(), now=T0)
    assert repo.get_challenge(VERIFY, email) == challenge()
    assert repo.get_challenge(CodePurpose.RESET_PASSWORD, email) is None
    spent = repo.spend_attempt(VERIFY, email, max_attempts=2, now=T0)
    assert spent is not None
    assert (spent.attempts, spent.code_hash, spent.account_id) == (1, "h1", "account-1")
    assert repo.spend_attempt(VERIFY, email, max_attempts=2, now=T0) is not None
    assert repo.spend_attempt(VERIFY, email, max_attempts=2, now=T0) is None
    assert not repo.consume_challenge(VERIFY, email, "other-hash")
    assert repo.consume_challenge(VERIFY, email, "h1")
    assert not repo.consume_challenge(VERIFY, email, "h1")
    assert repo.get_challenge(VERIFY, email) is None
    assert repo.spend_attempt(VERIFY, email, max_attempts=2, now=T0) is None


def test_an_expired_code_cannot_be_guessed(repo: IdentityRepository) -> None:
    repo.put_challenge(challenge(), now=T0)
    later = T0 + timedelta(minutes=10)
    assert repo.spend_attempt(VERIFY, "ann@shop.example.com", max_attempts=5, now=later) is None


def test_a_locked_email_gets_no_code_until_the_lock_ends(repo: IdentityRepository) -> None:
    email = "ann@shop.example.com"
    repo.put_challenge(challenge(), now=T0)
    until = T0 + timedelta(minutes=15)
    repo.lock_challenge(VERIFY, email, until=until)
    locked = repo.get_challenge(VERIFY, email)
    assert locked is not None
    assert (locked.code_hash, locked.locked_until) == (None, until)
    assert repo.spend_attempt(VERIFY, email, max_attempts=5, now=T0) is None
    assert not repo.put_challenge(challenge("h2"), now=T0 + timedelta(minutes=14))
    assert repo.put_challenge(challenge("h2", until), now=until)
    assert repo.get_challenge(VERIFY, email) == challenge("h2", until)


# ---------- addresses ----------
def address(owner: Account, n: int) -> Address:
    return Address(
        address_id=f"address-{n}",
        account_id=owner.account_id,
        recipient="Ann Example",
        line1=f"Hauptstraße {n}",
        city="Berlin",
        postal_code="10115",
        country="DE",
        created_at=T0 + timedelta(seconds=n),
        label=f"Label {n}",
    )


def test_addresses_are_counted_against_a_limit(repo: IdentityRepository) -> None:
    ann = account(1)
    repo.add_account(ann)
    assert repo.add_address(address(ann, 2), max_count=2)
    assert repo.add_address(address(ann, 1), max_count=2)
    assert not repo.add_address(address(ann, 3), max_count=2)
    assert repo.list_addresses(ann.account_id) == [address(ann, 1), address(ann, 2)]
    assert stored(repo, ann).address_count == 2
    assert not repo.delete_address(ann.account_id, "address-3")
    assert repo.delete_address(ann.account_id, "address-2")
    assert not repo.delete_address(ann.account_id, "address-2")
    assert stored(repo, ann).address_count == 1
    assert repo.add_address(address(ann, 3), max_count=2)
    assert repo.list_addresses("nobody") == []
    assert not repo.add_address(address(account(2), 4), max_count=2)


# ---------- rate limits ----------
def test_windows_count_up_to_their_limit(repo: IdentityRepository) -> None:
    expires = T0 + timedelta(minutes=1)
    hits = [repo.hit_window("login#ip#x", window_start=T0, limit=2, expires=expires) for _ in "abc"]
    assert hits == [True, True, False]
    assert repo.hit_window("login#ip#x", window_start=expires, limit=2, expires=expires)
    assert repo.hit_window("login#ip#y", window_start=T0, limit=2, expires=expires)


def test_a_cooldown_runs_until_it_ends(repo: IdentityRepository) -> None:
    until = T0 + timedelta(seconds=60)
    assert repo.take_cooldown("otp#a", now=T0, until=until) is None
    assert repo.take_cooldown("otp#a", now=T0 + timedelta(seconds=20), until=until) == until
    assert repo.take_cooldown("otp#b", now=T0, until=until) is None
    again = until + timedelta(seconds=60)
    assert repo.take_cooldown("otp#a", now=until, until=again) is None


# ---------- the sign-up blocklist ----------
def test_blocked_emails_stay_blocked(repo: IdentityRepository) -> None:
    assert not repo.is_email_blocked("gone@shop.example.com")
    repo.block_email("gone@shop.example.com", reason="shop purged", shop_id="shop-1", at=T0)
    repo.block_email("gone@shop.example.com", reason="shop purged", shop_id=None, at=T0)
    assert repo.is_email_blocked("gone@shop.example.com")
    assert not repo.is_email_blocked("kept@shop.example.com")
