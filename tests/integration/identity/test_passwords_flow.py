"""Forgot password → code → reset token → new password; change password when signed in."""

from __future__ import annotations

from typing import Any

from chalicelib.identity import repository
from localcloud.deploy import Deployment
from tests.integration.identity.conftest import (
    PASSWORD,
    bus_events,
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


def test_reset_token_works_once(api: Any) -> None:
    member = sign_up(api)
    token = reset_token_for(api, member.email)
    body = {"reset_token": token, "new_password": NEW_PASSWORD}
    assert post(api, "/auth/reset-password", body).status_code == 204
    again = post(api, "/auth/reset-password", {**body, "new_password": "Another-Pass-2028"})
    assert again.status_code == 401
    assert again.json_body["error"]["code"] == "INVALID_TOKEN"


def test_reset_token_expires(api: Any, clock_at: Any) -> None:
    member = sign_up(api)
    token = reset_token_for(api, member.email)
    clock_at.advance(minutes=10, seconds=6)
    body = {"reset_token": token, "new_password": NEW_PASSWORD}
    assert post(api, "/auth/reset-password", body).status_code == 401


def test_reset_refuses_a_weak_password_and_access_tokens(api: Any) -> None:
    member = sign_up(api)
    token = reset_token_for(api, member.email)
    weak = post(api, "/auth/reset-password", {"reset_token": token, "new_password": "weak"})
    assert weak.status_code == 422
    assert weak.json_body["error"]["details"][0]["field"] == "new_password"
    wrong_kind = post(
        api, "/auth/reset-password", {"reset_token": member.access, "new_password": NEW_PASSWORD}
    )
    assert wrong_kind.status_code == 401
    # The reset token is still good after the refused attempts
    ok = post(api, "/auth/reset-password", {"reset_token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


def test_reset_codes_do_not_verify_emails_and_vice_versa(api: Any) -> None:
    member = sign_up(api)
    post(api, "/auth/forgot-password", {"email": member.email})
    reset_code = last_code(api, member.email)
    crossed = post(api, "/auth/verify-email", {"email": member.email, "code": reset_code})
    assert crossed.status_code == 400


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


def test_change_password_needs_the_current_password(api: Any) -> None:
    member = sign_up(api)
    wrong = post(
        api,
        "/auth/change-password",
        {"current_password": "Not-My-Pass-2026", "new_password": NEW_PASSWORD},
        token=member.access,
    )
    assert wrong.status_code == 403
    assert wrong.json_body["error"]["code"] == "WRONG_PASSWORD"
    same = post(
        api,
        "/auth/change-password",
        {"current_password": PASSWORD, "new_password": PASSWORD},
        token=member.access,
    )
    assert same.status_code == 422
    assert get(api, "/me", member.access).status_code == 200


def test_password_changes_are_announced_and_audited(api: Any, aws_env: Deployment) -> None:
    member = sign_up(api)
    post(
        api,
        "/auth/change-password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        token=member.access,
    )
    actions = [
        entry.action
        for entry in repository.get()
        .list_audit(limit=5, cursor=None, target_id=member.account_id)
        .items
    ]
    assert actions == ["password.change"]
    changed = [event for event in bus_events(aws_env) if event["source"] == "bazaar.identity"]
    assert [event["detail-type"] for event in changed] == [
        "account.registered",
        "account.verified",
        "account.password_changed",
    ]
    assert changed[-1]["detail"]["data"] == {"account_id": member.account_id, "via": "change"}
