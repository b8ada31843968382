"""Admins: ban / unban / promote with audit and events; provisioning and the bootstrap."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.core.mail import Email
from chalicelib.identity import bootstrap_admin
from chalicelib.identity.domain import AccountStatus
from chalicelib.identity.errors import AccountStateError, InvalidTokenError, WeakPasswordError
from chalicelib.identity.events import AccountBanned, AccountPromoted, AccountUnbanned
from chalicelib.identity.service import accounts, admin
from tests.fakes.identity import FakeIdentityRepository
from tests.unit.identity.conftest import PASSWORD, caller_of
from tests.unit.identity.test_accounts import register, sign_in, verified


@pytest.fixture
def boss() -> Caller:
    return caller_of(admin.provision_account("boss@shop.example.com", PASSWORD, role=Role.ADMIN))


def test_ban_and_unban_are_audited_and_announced(
    boss: Caller,
    outbox: list[Email],
    repo: FakeIdentityRepository,
    published: list[DomainEvent],
    disconnected: list[str],
) -> None:
    # Given a signed-in shopper
    member_id = verified(outbox, "ann@shop.example.com")
    session = sign_in("ann@shop.example.com")
    # When an admin bans them
    banned = admin.ban(boss, member_id, reason="chargebacks")
    # Then the account is banned, its session ended and its sockets asked to close
    assert (banned.status, banned.ban_reason) == (AccountStatus.BANNED, "chargebacks")
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(session.access.token)
    assert disconnected == [member_id]
    # When the ban is lifted, the account is active again and can sign in
    unbanned = admin.unban(boss, member_id)
    assert (unbanned.status, unbanned.ban_reason) == (AccountStatus.ACTIVE, None)
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(session.access.token)
    assert sign_in("ann@shop.example.com").account.account_id == member_id
    # And both changes are audited (newest first) and announced
    audit = admin.audit_log(limit=10, cursor=None, account_id=member_id).items
    assert [(e.action, e.actor_id, e.reason) for e in audit] == [
        ("account.unbanned", boss.account_id, None),
        ("account.banned", boss.account_id, "chargebacks"),
    ]
    everything = admin.audit_log(limit=2, cursor=None, account_id=None)
    assert [e.action for e in everything.items] == ["account.unbanned", "account.banned"]
    assert everything.next_cursor
    assert published[-2:] == [
        AccountBanned(account_id=member_id, actor_id=boss.account_id, reason="chargebacks"),
        AccountUnbanned(account_id=member_id, actor_id=boss.account_id),
    ]


def test_banning_twice_or_unbanning_an_active_account_changes_nothing(
    boss: Caller, outbox: list[Email], published: list[DomainEvent]
) -> None:
    member_id = verified(outbox, "ann@shop.example.com")
    assert admin.unban(boss, member_id).status is AccountStatus.ACTIVE
    admin.ban(boss, member_id, reason="spam")
    announced = len(published)
    assert admin.ban(boss, member_id, reason="again").ban_reason == "spam"
    assert len(published) == announced


def test_a_banned_pending_account_goes_back_to_pending(
    boss: Caller, repo: FakeIdentityRepository
) -> None:
    register("pending@shop.example.com")
    account = repo.find_account_by_email("pending@shop.example.com")
    assert account is not None
    admin.ban(boss, account.account_id, reason="spam")
    back = admin.unban(boss, account.account_id)
    assert back.status is AccountStatus.PENDING_VERIFICATION


def test_admins_cannot_ban_themselves_or_nobody(boss: Caller) -> None:
    with pytest.raises(AccountStateError):
        admin.ban(boss, boss.account_id, reason="oops")
    with pytest.raises(NotFoundError):
        admin.ban(boss, "nobody", reason="x")


def test_promote_makes_a_user_an_admin(
    boss: Caller, outbox: list[Email], repo: FakeIdentityRepository, published: list[DomainEvent]
) -> None:
    # Given a signed-in shopper
    member_id = verified(outbox, "ann@shop.example.com")
    token = sign_in("ann@shop.example.com").access.token
    assert accounts.authenticate_caller(token).role is Role.USER
    # When an admin promotes them
    promoted = admin.promote(boss, member_id)
    # Then they are an admin, at once for their existing token (the role is read per request)
    assert promoted.role is Role.ADMIN
    assert accounts.authenticate_caller(token).role is Role.ADMIN
    admins = admin.list_accounts(Role.ADMIN, limit=10, cursor=None).items
    assert member_id in [account.account_id for account in admins]
    users = admin.list_accounts(Role.USER, limit=10, cursor=None).items
    assert member_id not in [account.account_id for account in users]
    # And it is audited and announced
    audit = repo.list_audit(limit=1, cursor=None, target_id=member_id).items
    assert audit[0].action == "account.promoted"
    assert audit[0].details == {"from_role": "user", "to_role": "admin"}
    assert published[-1] == AccountPromoted(
        account_id=member_id, actor_id=boss.account_id, from_role=Role.USER, to_role=Role.ADMIN
    )


def test_sellers_cannot_be_promoted(boss: Caller, outbox: list[Email]) -> None:
    seller_id = verified(outbox, "sam@shop.example.com", Role.SELLER)
    with pytest.raises(AccountStateError) as refused:
        admin.promote(boss, seller_id)
    assert refused.value.code == "ACCOUNT_STATE"


def test_provisioned_accounts_are_verified_audited_and_unique(
    repo: FakeIdentityRepository,
) -> None:
    account = admin.provision_account(
        "Demo@Shop.example.com", PASSWORD, role=Role.SELLER, actor_id="seed"
    )
    assert (account.email, account.role, account.status) == (
        "demo@shop.example.com",
        Role.SELLER,
        AccountStatus.ACTIVE,
    )
    entries = repo.list_audit(limit=5, cursor=None, target_id=account.account_id).items
    assert [(e.action, e.actor_id, e.details) for e in entries] == [
        ("account.provisioned", "seed", {"role": "seller"})
    ]
    with pytest.raises(ConflictError):
        admin.provision_account("demo@shop.example.com", PASSWORD, role=Role.USER)
    with pytest.raises(WeakPasswordError):
        admin.provision_account("weak@shop.example.com", "weak", role=Role.USER)


def test_bootstrap_creates_the_first_admin_only(
    repo: FakeIdentityRepository, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # Given no admin, the bootstrap creates one
    assert not admin.admin_exists()
    monkeypatch.setattr("sys.stdin", io.StringIO("Root-Admin-Pass-1\n"))
    code = bootstrap_admin.main(["--email", "Chief@Shop.example.com", "--password-stdin"])
    assert code == 0
    assert "created" in capsys.readouterr().out
    account = repo.find_account_by_email("chief@shop.example.com")
    assert account is not None
    assert (account.role, account.status) == ("admin", "ACTIVE")
    entries = repo.list_audit(limit=5, cursor=None, target_id=account.account_id).items
    assert [(e.action, e.actor_id) for e in entries] == [("account.provisioned", "bootstrap")]
    # Then a second one is refused, unless asked for; a weak password is refused either way
    monkeypatch.setattr("sys.stdin", io.StringIO("Second-Admin-Pass-1\n"))
    assert bootstrap_admin.main(["--email", "two@shop.example.com", "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("weak\n"))
    assert (
        bootstrap_admin.main(
            ["--email", "two@shop.example.com", "--password-stdin", "--allow-additional"]
        )
        == 2
    )
    assert admin.admin_exists()
