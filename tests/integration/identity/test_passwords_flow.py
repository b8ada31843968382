"""Forgot password → code → reset token → new password; change password when signed in,
through the API (each rule: tests/unit/identity/test_password_use_cases.py)."""

from __future__ import annotations

from typing import Any

from tests.integration.identity.conftest import (
    PASSWORD,
    get,
    last_code,
    post,
    sign_in,
    sign_up,
)

NEW_PASSWORD = "Fresh-Secret-2027"


def reset_token_for(api: Any, email: str) -> str:
    assert post(api, "/auth/forgot-password", {"email": email}).status_code == 202
    code = last_code(api, email)
    verified = post(api, "/auth/reset-password/verify", {"email": email, "code": code})
    assert verified.status_code == 200, verified.body
    assert verified.json_body["expires_in"] == 600
    token: str = verified.json_body["reset_token"]
    return token


def test_forgot_and_reset_password_ends_every_session(api: Any) -> None:
    # Given a shopper signed in on two devices
    member = sign_up(api)
    other = sign_in(api, member.email)
    # When they reset the password with the emailed code
    token = reset_token_for(api, member.email)
    reset = post(api, "/auth/reset-password", {"reset_token": token, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204
    # Then every old session ends, the old password fails and the new one works
    for old in (member, other):
        assert get(api, "/me", old.access).status_code == 401
        assert post(api, "/auth/refresh", {"refresh_token": old.refresh}).status_code == 401
    old_login = post(api, "/auth/login", {"email": member.email, "password": PASSWORD})
    assert old_login.status_code == 401
    assert sign_in(api, member.email, NEW_PASSWORD).account_id == member.account_id


def test_change_password_keeps_this_session_and_ends_the_others(api: Any) -> None:
    member = sign_up(api)
    other = sign_in(api, member.email)
    changed = post(
        api,
        "/auth/change-password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        token=member.access,
    )
    assert changed.status_code == 200
    fresh = changed.json_body
    assert get(api, "/me", fresh["access_token"]).status_code == 200
    assert get(api, "/me", member.access).status_code == 401
    assert get(api, "/me", other.access).status_code == 401
    assert sign_in(api, member.email, NEW_PASSWORD).account_id == member.account_id
