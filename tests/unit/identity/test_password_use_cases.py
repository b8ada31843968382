"""Forgot password → code → reset token → new password; change password when signed in."""

from __future__ import annotations

import pytest

from chalicelib.core import clock
from chalicelib.core.events import DomainEvent
from chalicelib.core.mail import Email
from chalicelib.identity.errors import (
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidTokenError,
    WeakPasswordError,
    WrongPasswordError,
)
from chalicelib.identity.events import AccountPasswordChanged
from chalicelib.identity.service import accounts
from tests.fakes.identity import FakeIdentityRepository
from tests.unit.identity.conftest import PASSWORD, code_in
from tests.unit.identity.test_accounts import ORIGIN, sign_in, verified

EMAIL = "ann@shop.example.com"
NEW_PASSWORD = "Fresh-Secret-2027"


def reset_token_for(outbox: list[Email], email: str = EMAIL) -> str:
    accounts.forgot_password(email, origin=ORIGIN)
    assert outbox[-1].subject == "Your Bazaar password reset code"
    issued = accounts.verify_reset_code(email, code_in(outbox[-1]), origin=ORIGIN)
    assert issued.expires_in == 600
    return issued.token


def test_forgot_and_reset_password_ends_every_session(outbox: list[Email]) -> None:
    # Given a shopper signed in on two devices
    account_id = verified(outbox, EMAIL)
    devices = [sign_in(EMAIL), sign_in(EMAIL)]
    # When they reset the password with the emailed code
    accounts.reset_password(reset_token_for(outbox), NEW_PASSWORD, origin=ORIGIN)
    # Then every old session ends, the old password fails and the new one works
    for old in devices:
        with pytest.raises(InvalidTokenError):
            accounts.authenticate_caller(old.access.token)
        with pytest.raises(InvalidTokenError):
            accounts.refresh(old.refresh.token)
    with pytest.raises(InvalidCredentialsError):
        sign_in(EMAIL)
    assert sign_in(EMAIL, NEW_PASSWORD).account.account_id == account_id


def test_reset_token_works_once(outbox: list[Email]) -> None:
    verified(outbox, EMAIL)
    token = reset_token_for(outbox)
    accounts.reset_password(token, NEW_PASSWORD, origin=ORIGIN)
    with pytest.raises(InvalidTokenError) as again:
        accounts.reset_password(token, "Another-Pass-2028", origin=ORIGIN)
    assert again.value.code == "INVALID_TOKEN"


def test_reset_token_expires(outbox: list[Email], manual: clock.ManualClock) -> None:
    verified(outbox, EMAIL)
    token = reset_token_for(outbox)
    manual.advance(minutes=10, seconds=6)
    with pytest.raises(InvalidTokenError):
        accounts.reset_password(token, NEW_PASSWORD, origin=ORIGIN)


def test_reset_refuses_a_weak_password_and_access_tokens(outbox: list[Email]) -> None:
    verified(outbox, EMAIL)
    member = sign_in(EMAIL)
    token = reset_token_for(outbox)
    with pytest.raises(WeakPasswordError) as weak:
        accounts.reset_password(token, "weak", origin=ORIGIN)
    assert isinstance(weak.value.details, list)
    assert weak.value.details[0]["field"] == "new_password"
    with pytest.raises(InvalidTokenError):
        accounts.reset_password(member.access.token, NEW_PASSWORD, origin=ORIGIN)
    # The reset token is still good after the refused attempts
    accounts.reset_password(token, NEW_PASSWORD, origin=ORIGIN)


def test_reset_codes_do_not_verify_emails(outbox: list[Email]) -> None:
    verified(outbox, EMAIL)
    accounts.forgot_password(EMAIL, origin=ORIGIN)
    with pytest.raises(InvalidCodeError):
        accounts.verify_email(EMAIL, code_in(outbox[-1]), origin=ORIGIN)


def test_change_password_keeps_this_session_and_ends_the_others(outbox: list[Email]) -> None:
    # Given a shopper signed in on two devices
    account_id = verified(outbox, EMAIL)
    here, other = sign_in(EMAIL), sign_in(EMAIL)
    caller = accounts.authenticate_caller(here.access.token)
    # When they change the password on one of them
    fresh = accounts.change_password(caller, PASSWORD, NEW_PASSWORD, origin=ORIGIN)
    # Then that device gets a new session, every old token ends
    assert accounts.authenticate_caller(fresh.access.token).account_id == account_id
    for old in (here, other):
        with pytest.raises(InvalidTokenError):
            accounts.authenticate_caller(old.access.token)
    assert sign_in(EMAIL, NEW_PASSWORD).account.account_id == account_id


def test_change_password_needs_the_current_password(outbox: list[Email]) -> None:
    verified(outbox, EMAIL)
    member = sign_in(EMAIL)
    caller = accounts.authenticate_caller(member.access.token)
    with pytest.raises(WrongPasswordError) as wrong:
        accounts.change_password(caller, "Not-My-Pass-2026", NEW_PASSWORD, origin=ORIGIN)
    assert wrong.value.code == "WRONG_PASSWORD"
    with pytest.raises(WeakPasswordError):
        accounts.change_password(caller, PASSWORD, PASSWORD, origin=ORIGIN)
    assert accounts.authenticate_caller(member.access.token).account_id == caller.account_id


def test_password_changes_are_announced_and_audited(
    outbox: list[Email], repo: FakeIdentityRepository, published: list[DomainEvent]
) -> None:
    account_id = verified(outbox, EMAIL)
    caller = accounts.authenticate_caller(sign_in(EMAIL).access.token)
    accounts.change_password(caller, PASSWORD, NEW_PASSWORD, origin=ORIGIN)
    entries = repo.list_audit(limit=5, cursor=None, target_id=account_id).items
    assert [(entry.action, entry.actor_id) for entry in entries] == [
        ("password.change", account_id)
    ]
    assert [event.name for event in published] == [
        "account.registered",
        "account.verified",
        "account.password_changed",
    ]
    assert published[-1] == AccountPasswordChanged(account_id=account_id, via="change")
