"""Sign-up, verification, sign-in, refresh rotation and sign-out through the API, on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.identity import tokens
from chalicelib.identity.models import OTP_SK, OtpChallenge, otp_pk
from localcloud.deploy import Deployment
from tests.fixtures.http import ApiClient
from tests.integration.identity.conftest import (
    PASSWORD,
    get,
    last_code,
    post,
    sign_up,
    unique_email,
)


def test_register_verify_login_refresh_logout(api: Any) -> None:
    # Given a new shopper who registers
    email = unique_email()
    registered = post(api, "/auth/register", {"email": email, "password": PASSWORD})
    assert registered.status_code == 202
    assert registered.json_body["status"] == "accepted"

    # Then signing in waits for the email to be verified
    early = post(api, "/auth/login", {"email": email, "password": PASSWORD})
    assert early.status_code == 403
    assert early.json_body["error"]["code"] == "EMAIL_NOT_VERIFIED"

    # When the code from the mailbox is entered
    code = last_code(api, email)
    verified = post(api, "/auth/verify-email", {"email": email, "code": code})
    assert verified.status_code == 200
    assert verified.json_body["status"] == "ACTIVE"

    # Then the shopper signs in and gets both tokens (the refresh one also as a cookie)
    login = post(api, "/auth/login", {"email": email, "password": PASSWORD})
    assert login.status_code == 200
    body = login.json_body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_expires_in"] == 30 * 86400
    assert body["account"]["role"] == "user"
    assert "password" not in json.dumps(body).lower()
    assert login.headers["Cache-Control"] == "no-store"
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("bazaar_refresh=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    me = get(api, "/me", body["access_token"])
    assert me.status_code == 200
    assert me.json_body["email"] == email

    # When the refresh token is traded, a new pair comes back and works
    refreshed = post(api, "/auth/refresh", {"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
    pair = refreshed.json_body
    assert pair["refresh_token"] != body["refresh_token"]
    assert get(api, "/me", pair["access_token"]).status_code == 200

    # When signing out, that session's access and refresh tokens stop working
    out = post(api, "/auth/logout", token=pair["access_token"])
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    assert get(api, "/me", pair["access_token"]).status_code == 401
    again = post(api, "/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


def test_code_is_stored_hashed_and_single_use(api: Any) -> None:
    email = unique_email()
    post(api, "/auth/register", {"email": email, "password": PASSWORD})
    code = last_code(api, email)
    challenge = OtpChallenge.get(otp_pk("verify_email", email), OTP_SK)
    assert challenge.code_hash
    assert code not in json.dumps(challenge.attribute_values, default=str)

    assert post(api, "/auth/verify-email", {"email": email, "code": code}).status_code == 200
    reused = post(api, "/auth/verify-email", {"email": email, "code": code})
    assert reused.status_code == 400
    assert reused.json_body["error"]["code"] == "INVALID_CODE"


def test_emails_are_rendered_from_text_and_html_templates(api: Any) -> None:
    email = unique_email()
    post(api, "/auth/register", {"email": email, "password": PASSWORD})
    message = api.http.get(f"/dev/mailbox?email={email}").json_body["messages"][0]
    assert message["subject"] == "Your Bazaar verification code"
    assert message["sender"] == "Bazaar <no-reply@bazaar.example.com>"
    assert message["code"] in message["text"]
    assert message["code"] in message["html"]
    assert message["html"].lstrip().startswith("<!doctype html>")
    assert "expires in 10 minutes" in message["text"]


def test_sender_identity_is_verified_in_ses(aws_env: Deployment) -> None:
    identities = boto3.client("ses").list_identities()["Identities"]
    assert "no-reply@bazaar.example.com" in identities


def test_signing_key_comes_from_secrets_manager(aws_env: Deployment) -> None:
    arn = aws_env.physical["JwtSigningSecret"]
    stored = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    assert len(stored) == 64
    assert tokens.signing_key() == stored.encode()


def test_refresh_cookie_works_without_a_body_token(api: Any) -> None:
    member = sign_up(api)
    response = post(api, "/auth/refresh", {}, Cookie=f"theme=dark; bazaar_refresh={member.refresh}")
    assert response.status_code == 200
    missing = post(api, "/auth/refresh", {})
    assert missing.status_code == 422


def test_refresh_with_only_the_cookie_needs_no_body(api: Any) -> None:
    # Given a signed-in member whose browser holds only the refresh cookie
    member = sign_up(api)
    client = ApiClient(api)
    cookie = {"Cookie": f"bazaar_refresh={member.refresh}"}
    # When it refreshes with no body at all
    response = client.call("POST", "/auth/refresh", None, headers=cookie)
    # Then it gets a new pair; an empty or blank body works the same with the new cookie
    assert response.status_code == 200, response.body
    again = client.call(
        "POST",
        "/auth/refresh",
        b"  ",
        headers={"Cookie": f"bazaar_refresh={response.json_body['refresh_token']}"},
    )
    assert again.status_code == 200, again.body
    # and a body that is there is still validated; no token anywhere is still 422
    assert client.call("POST", "/auth/refresh", b"[", headers=cookie).status_code == 400
    assert client.call("POST", "/auth/refresh", None).status_code == 422


def test_the_refresh_body_stays_documented(api: Any) -> None:
    operation = api.http.get("/openapi.json").json_body["paths"]["/auth/refresh"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/RefreshRequest"}
    assert {"200", "400", "401", "422"} <= set(operation["responses"])
