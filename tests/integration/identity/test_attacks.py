"""Bad input and attacks: malformed requests, forged and stale tokens, banned accounts,
user enumeration and rate limits, all through the API on moto (code brute force, reused
refresh tokens and deleted accounts: tests/unit/identity/test_accounts.py)."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from chalicelib.identity import repository, tokens
from tests.integration.identity.conftest import (
    PASSWORD,
    get,
    make_admin,
    override_settings,
    post,
    sign_in,
    sign_up,
    unique_email,
)


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json_body["error"]
    return error


# ---------- malformed requests ----------
@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a@", "@shop.example.com", "a b@shop.example.com", "x" * 250 + "@e.com", ""],
)
def test_malformed_emails_are_refused(api: Any, email: str) -> None:
    response = post(api, "/auth/register", {"email": email, "password": PASSWORD})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "VALIDATION_FAILED"
    assert [detail["field"] for detail in error["details"]] == ["email"]
    assert error["message"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!A", "at least 10 characters"),
        ("onlylowercaseletters", "at least three"),
        ("Password123!", "too common"),
    ],
)
def test_weak_passwords_are_refused(api: Any, password: str, reason: str) -> None:
    response = post(api, "/auth/register", {"email": unique_email(), "password": password})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "WEAK_PASSWORD"
    assert reason in error["message"]
    assert error["details"][0]["field"] == "password"


def test_unknown_fields_are_refused(api: Any) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "is_admin": True}
    response = post(api, "/auth/register", body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "is_admin"


def test_nobody_can_sign_up_as_admin(api: Any) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "role": "admin"}
    response = post(api, "/auth/register", body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "role"


def test_bodies_that_are_not_json_objects_are_refused(api: Any) -> None:
    assert post(api, "/auth/login", "{not json").status_code == 400
    assert post(api, "/auth/login", "[1, 2]").status_code == 422
    wrong_type = api.http.post("/auth/login", headers={"Content-Type": "text/plain"}, body="x")
    assert wrong_type.status_code == 415


def test_huge_bodies_are_refused_before_anything_runs(api: Any) -> None:
    email = unique_email()
    body = {"email": email, "password": "A1-" + "x" * 1_100_000}
    response = post(api, "/auth/register", body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
    assert repository.get().find_account_by_email(email) is None


def test_overlong_passwords_are_refused_before_hashing(api: Any) -> None:
    response = post(api, "/auth/login", {"email": unique_email(), "password": "A1-" + "x" * 5000})
    assert response.status_code == 422


def test_malformed_codes_are_refused(api: Any) -> None:
    response = post(api, "/auth/verify-email", {"email": unique_email(), "code": "12ab56"})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "code"


# ---------- tokens ----------
def forge(key: bytes | str, **claims: Any) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def valid_claims(member_access: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(member_access, options={"verify_signature": False})
    return claims


def assert_refused(response: Any, code: str = "INVALID_TOKEN") -> None:
    assert response.status_code == 401, response.body
    assert error_of(response)["code"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_alg_none_token_is_refused(api: Any) -> None:
    member = sign_up(api)
    claims = valid_claims(member.access)

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    assert_refused(get(api, "/me", unsigned))


def test_token_signed_with_another_key_is_refused(api: Any) -> None:
    member = sign_up(api)
    forged = forge("an-attacker-key-that-is-long-enough-32b", **valid_claims(member.access))
    assert_refused(get(api, "/me", forged))


def test_token_claiming_admin_cannot_be_made_without_the_key(api: Any) -> None:
    member = sign_up(api)
    header, _, signature = member.access.split(".")
    claims = {**valid_claims(member.access), "role": "admin"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert_refused(get(api, "/admin/accounts", f"{header}.{payload}.{signature}"))


def test_expired_token_is_refused(api: Any, clock_at: Any) -> None:
    member = sign_up(api)
    assert get(api, "/me", member.access).status_code == 200
    clock_at.advance(minutes=15, seconds=6)
    response = get(api, "/me", member.access)
    assert_refused(response)
    assert error_of(response)["details"]["reason"] == "ExpiredSignatureError"


def test_token_for_another_audience_is_refused(api: Any) -> None:
    member = sign_up(api)
    claims = {**valid_claims(member.access), "aud": "another-api"}
    response = get(api, "/me", forge(tokens.signing_key(), **claims))
    assert_refused(response)
    assert error_of(response)["details"]["reason"] == "InvalidAudienceError"


def test_refresh_and_reset_tokens_are_not_access_tokens(api: Any) -> None:
    member = sign_up(api)
    response = get(api, "/me", member.refresh)
    assert_refused(response)
    assert error_of(response)["details"]["reason"] == "WrongTokenType"
    as_refresh = post(api, "/auth/refresh", {"refresh_token": member.access})
    assert as_refresh.status_code == 401


def test_missing_or_malformed_authorization_is_refused(api: Any) -> None:
    assert_refused(api.http.get("/me"), code="UNAUTHORIZED")
    basic = api.http.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_refused(basic, code="UNAUTHORIZED")
    assert_refused(get(api, "/me", "garbage"))


def test_banned_account_loses_access_at_once(api: Any) -> None:
    # Given a signed-in shopper and an admin
    member = sign_up(api)
    admin = sign_in(api, make_admin()[0])
    assert get(api, "/me", member.access).status_code == 200
    # When the admin bans the shopper
    banned = post(
        api,
        f"/admin/accounts/{member.account_id}/ban",
        {"reason": "fraud"},
        token=admin.access,
    )
    assert banned.status_code == 200
    # Then the shopper's still-unexpired tokens stop working on the next request
    assert_refused(get(api, "/me", member.access))
    assert post(api, "/auth/refresh", {"refresh_token": member.refresh}).status_code == 401
    # And signing in is refused (after the right password only)
    login = post(api, "/auth/login", {"email": member.email, "password": PASSWORD})
    assert login.status_code == 403
    assert error_of(login)["code"] == "ACCOUNT_BANNED"


# ---------- one-time codes ----------
# ---------- user enumeration ----------
def comparable(response: Any) -> tuple[int, Any]:
    body = response.json_body
    if isinstance(body, dict) and "error" in body:
        body = {**body, "error": {**body["error"], "request_id": None}}
    return response.status_code, body


def test_login_answers_the_same_for_unknown_and_known_emails(api: Any) -> None:
    member = sign_up(api)
    known = post(api, "/auth/login", {"email": member.email, "password": "Wrong-Pass-2026"})
    unknown = post(api, "/auth/login", {"email": unique_email(), "password": "Wrong-Pass-2026"})
    assert comparable(known) == comparable(unknown)
    assert known.status_code == 401
    assert error_of(known)["code"] == "INVALID_CREDENTIALS"


def test_forgot_password_answers_the_same_for_unknown_and_known_emails(api: Any) -> None:
    member = sign_up(api)
    stranger = unique_email()
    known = post(api, "/auth/forgot-password", {"email": member.email})
    unknown = post(api, "/auth/forgot-password", {"email": stranger})
    assert comparable(known) == comparable(unknown)
    assert known.status_code == 202
    # Only the real account got an email
    messages = api.http.get(f"/dev/mailbox?email={member.email}").json_body["messages"]
    assert messages[0]["subject"] == "Your Bazaar password reset code"
    assert api.http.get(f"/dev/mailbox?email={stranger}").json_body["messages"] == []


def test_register_answers_the_same_for_new_and_taken_emails(api: Any) -> None:
    member = sign_up(api)
    taken = post(api, "/auth/register", {"email": member.email, "password": PASSWORD})
    fresh = post(api, "/auth/register", {"email": unique_email(), "password": PASSWORD})
    assert comparable(taken) == comparable(fresh)


# ---------- rate limits ----------
def test_login_is_rate_limited_per_email(api: Any, monkeypatch: Any, clock_at: Any) -> None:
    override_settings(
        monkeypatch, rate_limit_login='{"per_email": 3, "per_ip": 100, "window_seconds": 900}'
    )
    member = sign_up(api)
    for _ in range(3):
        post(api, "/auth/login", {"email": member.email, "password": "Wrong-Pass-2026"})
    limited = post(api, "/auth/login", {"email": member.email, "password": PASSWORD})
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["Retry-After"]) <= 900
    # Another email from the same IP is not affected
    assert post(
        api, "/auth/login", {"email": unique_email(), "password": PASSWORD}
    ).status_code == (401)
    # The next window allows it again
    clock_at.advance(seconds=int(limited.headers["Retry-After"]))
    assert post(api, "/auth/login", {"email": member.email, "password": PASSWORD}).status_code == (
        200
    )


def test_login_is_rate_limited_per_source_ip(api: Any, monkeypatch: Any) -> None:
    override_settings(
        monkeypatch, rate_limit_login='{"per_email": 100, "per_ip": 3, "window_seconds": 900}'
    )
    for _ in range(3):
        assert post(
            api, "/auth/login", {"email": unique_email(), "password": PASSWORD}
        ).status_code == (401)
    limited = post(api, "/auth/login", {"email": unique_email(), "password": PASSWORD})
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers


@pytest.mark.parametrize(
    ("setting", "path", "body"),
    [
        ("rate_limit_register", "/auth/register", {"password": PASSWORD}),
        ("rate_limit_password_reset", "/auth/forgot-password", {}),
        ("rate_limit_otp_verify", "/auth/verify-email", {"code": "123456"}),
        ("rate_limit_otp_verify", "/auth/reset-password/verify", {"code": "123456"}),
    ],
)
def test_sign_up_code_and_reset_endpoints_are_rate_limited(
    api: Any, monkeypatch: Any, clock_at: Any, setting: str, path: str, body: dict[str, Any]
) -> None:
    # the clock stands still: the three attempts fall in one fixed window
    override_settings(
        monkeypatch, **{setting: '{"per_email": 2, "per_ip": 50, "window_seconds": 600}'}
    )
    email = unique_email()
    statuses = [post(api, path, {"email": email, **body}).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429]
    assert statuses[2] == 429


def test_resend_is_rate_limited_per_email_beyond_the_cooldown(
    api: Any, monkeypatch: Any, clock_at: Any
) -> None:
    override_settings(
        monkeypatch, rate_limit_otp_send='{"per_email": 2, "per_ip": 50, "window_seconds": 3600}'
    )
    # the windows are fixed (epoch multiples of 3600 s): start at one's first second, so
    # the 122 s this test moves stay inside it whatever the time of day
    clock_at.advance(seconds=3600 - int(clock_at.now().timestamp()) % 3600)
    email = unique_email()
    first = post(api, "/auth/resend-code", {"email": email})
    clock_at.advance(seconds=61)
    second = post(api, "/auth/resend-code", {"email": email})
    clock_at.advance(seconds=61)
    third = post(api, "/auth/resend-code", {"email": email})
    assert [first.status_code, second.status_code, third.status_code] == [202, 202, 429]
