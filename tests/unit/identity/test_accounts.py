"""Sign-up, verification, codes, sessions and refresh rotation: the use cases on the fake."""

from __future__ import annotations

from dataclasses import replace

import jwt
import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Role
from chalicelib.core.errors import RateLimitedError
from chalicelib.core.events import DomainEvent
from chalicelib.core.mail import Email
from chalicelib.core.settings import reset_settings
from chalicelib.identity.domain import AccountStatus
from chalicelib.identity.errors import (
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidTokenError,
    TokenReuseError,
)
from chalicelib.identity.events import AccountRegistered, AccountVerified, SessionReuseDetected
from chalicelib.identity.service import accounts
from tests.fakes.identity import FakeIdentityRepository
from tests.unit.identity.conftest import PASSWORD, code_in

ORIGIN = accounts.Origin(source_ip="10.0.0.1")


def register(email: str, role: Role = Role.USER, password: str = PASSWORD) -> None:
    accounts.register(email, password, role=role, display_name=None, origin=ORIGIN)


def mail_to(outbox: list[Email], email: str) -> list[Email]:
    return [message for message in outbox if message.to == email.lower()]


def verified(outbox: list[Email], email: str, role: Role = Role.USER) -> str:
    """Register and verify ``email``; its account id."""
    register(email, role)
    return accounts.verify_email(email, code_in(outbox[-1]), origin=ORIGIN).account_id


def sign_in(email: str, password: str = PASSWORD) -> accounts.SessionTokens:
    return accounts.login(email, password, origin=ORIGIN)


def test_sign_up_waits_for_the_emailed_code(
    outbox: list[Email], published: list[DomainEvent]
) -> None:
    # Given a new shopper who registered
    register("ann@shop.example.com")
    # Then the code went out by email, and signing in waits for it
    assert [m.subject for m in outbox] == ["Your Bazaar verification code"]
    with pytest.raises(EmailNotVerifiedError):
        sign_in("ann@shop.example.com")
    # When the code is entered
    account = accounts.verify_email("ann@shop.example.com", code_in(outbox[0]), origin=ORIGIN)
    # Then the account is active, and both steps were announced
    assert account.status is AccountStatus.ACTIVE
    assert sign_in("ann@shop.example.com").account.account_id == account.account_id
    assert published == [
        AccountRegistered(account_id=account.account_id, role=Role.USER),
        AccountVerified(account_id=account.account_id, role=Role.USER),
    ]


def test_email_is_case_insensitive_and_unique_without_telling_the_caller(
    outbox: list[Email], repo: FakeIdentityRepository, manual: clock.ManualClock
) -> None:
    # Given an account, registered a while ago
    account_id = verified(outbox, "ann@shop.example.com")
    manual.advance(minutes=5)
    # When someone registers the same address in other case, as a seller
    register("ANN@SHOP.EXAMPLE.COM", Role.SELLER, "Other-Pass-2026!")
    # Then no second account exists (the use case answered as for any sign-up)
    account = repo.find_account_by_email("ann@shop.example.com")
    assert account is not None
    assert (account.account_id, account.role) == (account_id, Role.USER)
    assert len(repo.accounts) == 1
    # And the owner is told by email, while the old password still works
    assert outbox[-1].subject == "You already have a Bazaar account"
    assert sign_in("ANN@shop.example.com").account.account_id == account_id


def test_resend_has_a_cooldown_then_sends_a_new_code(
    outbox: list[Email], manual: clock.ManualClock
) -> None:
    # Given a pending account and its first code
    email = "ann@shop.example.com"
    register(email)
    first = code_in(outbox[-1])
    # When a new code is asked for at once, it is refused for the cooldown
    with pytest.raises(RateLimitedError) as early:
        accounts.resend_verification(email, origin=ORIGIN)
    assert early.value.retry_after == 60
    # When it is asked for after the cooldown
    manual.advance(seconds=61)
    accounts.resend_verification(email, origin=ORIGIN)
    # Then a second code went out and only it works
    second = code_in(outbox[-1])
    assert len(mail_to(outbox, email)) == 2
    if second != first:
        with pytest.raises(InvalidCodeError):
            accounts.verify_email(email, first, origin=ORIGIN)
    assert accounts.verify_email(email, second, origin=ORIGIN).status is AccountStatus.ACTIVE


def test_a_code_expires(outbox: list[Email], manual: clock.ManualClock) -> None:
    register("ann@shop.example.com")
    code = code_in(outbox[-1])
    manual.advance(minutes=10, seconds=1)
    with pytest.raises(InvalidCodeError) as expired:
        accounts.verify_email("ann@shop.example.com", code, origin=ORIGIN)
    assert expired.value.code == "INVALID_CODE"


def test_code_brute_force_locks_the_email_out(
    outbox: list[Email], manual: clock.ManualClock
) -> None:
    # Given a pending account and its real code
    email = "ann@shop.example.com"
    register(email)
    code = code_in(outbox[-1])
    wrong = "000000" if code != "000000" else "111111"
    # When wrong codes are tried up to the limit (5)
    for attempt in range(1, 5):
        with pytest.raises(InvalidCodeError) as refused:
            accounts.verify_email(email, wrong, origin=ORIGIN)
        assert refused.value.details == {"attempts_left": 5 - attempt}
    with pytest.raises(RateLimitedError) as locked:
        accounts.verify_email(email, wrong, origin=ORIGIN)
    assert locked.value.retry_after == 900
    # Then even the right code is refused, and no new code is sent while locked
    with pytest.raises(RateLimitedError) as right:
        accounts.verify_email(email, code, origin=ORIGIN)
    assert right.value.retry_after is not None
    assert 0 < right.value.retry_after <= 900
    manual.advance(minutes=2)
    accounts.resend_verification(email, origin=ORIGIN)
    assert len(mail_to(outbox, email)) == 1
    # And after the lockout a new code can be asked for and used
    manual.advance(minutes=14)
    accounts.resend_verification(email, origin=ORIGIN)
    assert len(mail_to(outbox, email)) == 2
    fresh = code_in(outbox[-1])
    assert accounts.verify_email(email, fresh, origin=ORIGIN).status is AccountStatus.ACTIVE


def test_tokens_carry_the_documented_claims(outbox: list[Email]) -> None:
    verified(outbox, "sam@shop.example.com", Role.SELLER)
    tokens = sign_in("sam@shop.example.com")
    access = tokens.access.token
    claims = jwt.decode(access, options={"verify_signature": False})
    assert jwt.get_unverified_header(access)["alg"] == "HS256"
    assert {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "typ", "role", "sid", "ver"} <= set(
        claims
    )
    assert claims["iss"] == "bazaar"
    assert claims["aud"] == "bazaar-api"
    assert claims["typ"] == "access"
    assert claims["role"] == "seller"
    assert claims["exp"] - claims["iat"] == 900
    refresh = jwt.decode(tokens.refresh.token, options={"verify_signature": False})
    assert refresh["typ"] == "refresh"
    assert refresh["sid"] == claims["sid"]
    assert refresh["exp"] - refresh["iat"] == 30 * 86400


def test_sessions_per_account_are_capped(
    outbox: list[Email], repo: FakeIdentityRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given at most two sessions per account
    monkeypatch.setenv("BAZAAR_MAX_SESSIONS_PER_ACCOUNT", "2")
    reset_settings()
    account_id = verified(outbox, "ann@shop.example.com")
    # When the account signs in three times
    first, second, third = (sign_in("ann@shop.example.com") for _ in range(3))
    # Then the oldest session was evicted; the two newest work
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(first.access.token)
    assert accounts.authenticate_caller(second.access.token).account_id == account_id
    assert accounts.authenticate_caller(third.access.token).account_id == account_id
    account = repo.get_account(account_id)
    assert account is not None
    assert len(account.sessions) == 2


def test_sign_out_ends_that_session_only(outbox: list[Email]) -> None:
    verified(outbox, "ann@shop.example.com")
    here, elsewhere = sign_in("ann@shop.example.com"), sign_in("ann@shop.example.com")
    caller = accounts.authenticate_caller(here.access.token)
    accounts.logout(caller)
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(here.access.token)
    with pytest.raises(InvalidTokenError):
        accounts.refresh(here.refresh.token)
    assert accounts.authenticate_caller(elsewhere.access.token).account_id == caller.account_id


def test_reused_refresh_token_revokes_the_whole_session(
    outbox: list[Email], repo: FakeIdentityRepository, published: list[DomainEvent]
) -> None:
    # Given a session that rotated once (the thief keeps the first refresh token)
    account_id = verified(outbox, "ann@shop.example.com")
    stolen = sign_in("ann@shop.example.com")
    other_device = sign_in("ann@shop.example.com")
    latest = accounts.refresh(stolen.refresh.token)
    assert latest.refresh.token != stolen.refresh.token
    assert accounts.authenticate_caller(latest.access.token).account_id == account_id
    # When the spent refresh token is presented again
    with pytest.raises(TokenReuseError) as reused:
        accounts.refresh(stolen.refresh.token)
    # Then it is refused and the whole session (family) is revoked
    assert reused.value.code == "TOKEN_REUSED"
    with pytest.raises(InvalidTokenError):
        accounts.refresh(latest.refresh.token)
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(latest.access.token)
    # And the account's other sessions are untouched
    assert accounts.authenticate_caller(other_device.access.token).account_id == account_id
    # And it was audit-logged and announced
    entries = repo.list_audit(limit=10, cursor=None, target_id=account_id).items
    assert [(entry.action, entry.actor_id) for entry in entries] == [
        ("session.reuse_detected", "system")
    ]
    session_id = jwt.decode(stolen.refresh.token, options={"verify_signature": False})["sid"]
    assert published[-1] == SessionReuseDetected(account_id=account_id, session_id=session_id)


def test_a_deleted_account_can_neither_sign_in_nor_use_its_tokens(
    outbox: list[Email], repo: FakeIdentityRepository
) -> None:
    # Given a signed-in account that is then deleted
    account_id = verified(outbox, "ann@shop.example.com")
    tokens = sign_in("ann@shop.example.com")
    repo.accounts[account_id] = replace(repo.accounts[account_id], status=AccountStatus.DELETED)
    # Then its tokens stop working and signing in answers as for an unknown email
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(tokens.access.token)
    with pytest.raises(InvalidCredentialsError) as login:
        sign_in("ann@shop.example.com")
    assert login.value.code == "INVALID_CREDENTIALS"
