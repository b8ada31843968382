"""Ending a session closes its WebSockets (finding #7): sign-out, a revoked or evicted
session close that session's; a password change or reset closes every one of the
account's. The realtime side is recorded (conftest); realtime's own use case is in
tests/unit/realtime/test_connections.py."""

from __future__ import annotations

import jwt
import pytest

from chalicelib.core.mail import Email
from chalicelib.core.settings import reset_settings
from chalicelib.identity.errors import InvalidTokenError, TokenReuseError
from chalicelib.identity.service import accounts
from tests.unit.identity.conftest import PASSWORD
from tests.unit.identity.test_accounts import ORIGIN, sign_in, verified
from tests.unit.identity.test_password_use_cases import NEW_PASSWORD, reset_token_for

EMAIL = "ann@shop.example.com"


def sid(tokens: accounts.SessionTokens) -> str:
    return str(jwt.decode(tokens.access.token, options={"verify_signature": False})["sid"])


def test_sign_out_closes_that_sessions_sockets_only(
    outbox: list[Email], disconnected_sessions: list[tuple[str, str]], disconnected: list[str]
) -> None:
    # Given a shopper signed in on two devices
    account_id = verified(outbox, EMAIL)
    here, _elsewhere = sign_in(EMAIL), sign_in(EMAIL)
    # When one device signs out
    accounts.logout(accounts.authenticate_caller(here.access.token))
    # Then realtime was asked to close that session's sockets, and no others
    assert disconnected_sessions == [(account_id, sid(here))]
    assert disconnected == []


def test_a_reused_refresh_token_closes_the_revoked_sessions_sockets(
    outbox: list[Email], disconnected_sessions: list[tuple[str, str]]
) -> None:
    # Given a session whose first refresh token was stolen and then rotated
    account_id = verified(outbox, EMAIL)
    stolen = sign_in(EMAIL)
    accounts.refresh(stolen.refresh.token)
    # When the spent token is presented again
    with pytest.raises(TokenReuseError):
        accounts.refresh(stolen.refresh.token)
    # Then the revoked session's sockets are closed
    assert disconnected_sessions == [(account_id, sid(stolen))]


def test_an_evicted_session_loses_its_sockets(
    outbox: list[Email],
    disconnected_sessions: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given at most two sessions per account, both in use
    monkeypatch.setenv("BAZAAR_MAX_SESSIONS_PER_ACCOUNT", "2")
    reset_settings()
    account_id = verified(outbox, EMAIL)
    oldest, _newer = sign_in(EMAIL), sign_in(EMAIL)
    assert disconnected_sessions == []
    # When a third sign-in evicts the oldest session
    sign_in(EMAIL)
    # Then the oldest session's sockets are closed
    assert disconnected_sessions == [(account_id, sid(oldest))]


def test_a_password_reset_closes_every_socket_of_the_account(
    outbox: list[Email], disconnected: list[str]
) -> None:
    # Given a shopper signed in on two devices
    account_id = verified(outbox, EMAIL)
    for _ in range(2):
        sign_in(EMAIL)
    # When the password is reset
    accounts.reset_password(reset_token_for(outbox), NEW_PASSWORD, origin=ORIGIN)
    # Then every socket of the account is closed
    assert disconnected == [account_id]


def test_a_password_change_closes_every_socket_then_opens_a_new_session(
    outbox: list[Email], disconnected: list[str], disconnected_sessions: list[tuple[str, str]]
) -> None:
    # Given a shopper signed in on two devices
    account_id = verified(outbox, EMAIL)
    here, _other = sign_in(EMAIL), sign_in(EMAIL)
    # When they change the password on one of them
    fresh = accounts.change_password(
        accounts.authenticate_caller(here.access.token), PASSWORD, NEW_PASSWORD, origin=ORIGIN
    )
    # Then every socket of the account was closed; the new session works
    assert disconnected == [account_id]
    assert disconnected_sessions == []
    assert accounts.authenticate_caller(fresh.access.token).session_id == sid(fresh)


def test_a_failing_socket_close_does_not_undo_the_sign_out(
    outbox: list[Email], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given API Gateway cannot be reached
    def unreachable(account_id: str, session_id: str) -> int:
        raise ConnectionError("no route")

    monkeypatch.setattr("chalicelib.realtime.service.disconnect_session", unreachable)
    verified(outbox, EMAIL)
    here = sign_in(EMAIL)
    caller = accounts.authenticate_caller(here.access.token)
    # When the shopper signs out, it succeeds and the session is ended all the same
    accounts.logout(caller)
    with pytest.raises(InvalidTokenError):
        accounts.authenticate_caller(here.access.token)
