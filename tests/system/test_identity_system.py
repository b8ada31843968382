"""Identity on the running local cloud with real HTTP and WebSocket clients: the walk-through
of docs/identity.md (register → mailbox → verify → login → refresh → logout → reset →
an admin bans), with the production argon2 parameters."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.fixtures.cloud import RunningCloud, wait_for

pytestmark = pytest.mark.system

PASSWORD = "Sturdy-Pass-2026"
NEW_PASSWORD = "Fresh-Secret-2027"
DEMO_ADMIN = {"email": "admin@bazaar.example.com", "password": "Demo-Boss-Pass-2026"}


def newest_code(cloud: RunningCloud, email: str, subject: str) -> str:
    """The code of the newest email with ``subject`` to ``email`` (read from moto's SES)."""

    def probe() -> str | None:
        response = httpx.get(f"{cloud.rest}/dev/mailbox", params={"email": email}, timeout=15)
        assert response.status_code == 200, response.text
        for message in response.json()["messages"]:
            if message["subject"] == subject:
                code: str = message["code"]
                return code
        return None

    return wait_for(probe, timeout=90, what=f"email {subject!r}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sign_up_to_ban_over_real_http(cloud: RunningCloud) -> None:
    rest = cloud.rest
    email = f"walk.{uuid.uuid4().hex[:8]}@shop.example.com"

    # Register, then verify with the code from the local mailbox
    registered = httpx.post(f"{rest}/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 202, registered.text
    code = newest_code(cloud, email, "Your Bazaar verification code")
    # The mailbox read only SES's sent messages from the AWS endpoint, not all of moto's data
    sent = httpx.get(f"{cloud.aws}/_localcloud/ses/messages", timeout=15).json()
    assert set(sent) == {"RawMessage", "Message"}
    assert any(email in message["raw_data"] for message in sent["RawMessage"])
    verified = httpx.post(f"{rest}/auth/verify-email", json={"email": email, "code": code})
    assert verified.status_code == 200, verified.text
    account_id = verified.json()["account_id"]

    # Log in (timed: one argon2id verification with the production parameters)
    started = time.perf_counter()
    login = httpx.post(f"{rest}/auth/login", json={"email": email, "password": PASSWORD})
    login_ms = (time.perf_counter() - started) * 1000
    assert login.status_code == 200, login.text
    assert login_ms < 5000
    tokens = login.json()
    assert httpx.get(f"{rest}/me", headers=bearer(tokens["access_token"])).json()["email"] == email

    # Refresh rotates; the spent refresh token is then refused
    refreshed = httpx.post(f"{rest}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    assert pair["refresh_token"] != tokens["refresh_token"]

    # Log out: that session's tokens stop working
    out = httpx.post(f"{rest}/auth/logout", headers=bearer(pair["access_token"]))
    assert out.status_code == 204
    assert httpx.get(f"{rest}/me", headers=bearer(pair["access_token"])).status_code == 401
    gone = httpx.post(f"{rest}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert gone.status_code == 401

    # Forgot password → code → reset token → new password
    assert httpx.post(f"{rest}/auth/forgot-password", json={"email": email}).status_code == 202
    reset_code = newest_code(cloud, email, "Your Bazaar password reset code")
    reset_token = httpx.post(
        f"{rest}/auth/reset-password/verify", json={"email": email, "code": reset_code}
    ).json()["reset_token"]
    reset = httpx.post(
        f"{rest}/auth/reset-password",
        json={"reset_token": reset_token, "new_password": NEW_PASSWORD},
    )
    assert reset.status_code == 204
    old = httpx.post(f"{rest}/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    again = httpx.post(f"{rest}/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert again.status_code == 200
    access = again.json()["access_token"]

    # The shopper holds a WebSocket open; the demo admin bans them
    admin = httpx.post(f"{rest}/auth/login", json=DEMO_ADMIN).json()["access_token"]
    listed = httpx.get(f"{rest}/admin/accounts", params={"role": "user"}, headers=bearer(admin))
    assert account_id in [item["account_id"] for item in listed.json()["items"]]

    async def banned_while_connected() -> None:
        async with websockets.connect(f"{cloud.websocket}/?token={access}") as socket:
            await socket.send('{"action": "ping"}')
            assert await asyncio.wait_for(socket.recv(), timeout=10) == '{"type":"pong"}'
            ban = await asyncio.to_thread(
                httpx.post,
                f"{rest}/admin/accounts/{account_id}/ban",
                json={"reason": "walk-through"},
                headers=bearer(admin),
            )
            assert ban.status_code == 200, ban.text
            assert ban.json()["status"] == "BANNED"
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), timeout=10)

    asyncio.run(banned_while_connected())
    assert httpx.get(f"{rest}/me", headers=bearer(access)).status_code == 401
    refused = httpx.post(f"{rest}/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ACCOUNT_BANNED"
    audit = httpx.get(
        f"{rest}/admin/audit", params={"account_id": account_id}, headers=bearer(admin)
    ).json()
    assert audit["items"][0]["action"] == "account.banned"

    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")
    wait_for(lambda: not dynamodb.scan(TableName=table)["Items"], what="connection records removed")


def test_logout_closes_that_sessions_websocket_only(cloud: RunningCloud) -> None:
    # Given a verified shopper signed in on two devices, each holding a WebSocket
    rest = cloud.rest
    email = f"sockets.{uuid.uuid4().hex[:8]}@shop.example.com"
    registered = httpx.post(f"{rest}/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 202, registered.text
    code = newest_code(cloud, email, "Your Bazaar verification code")
    verified = httpx.post(f"{rest}/auth/verify-email", json={"email": email, "code": code})
    assert verified.status_code == 200, verified.text
    account_id = verified.json()["account_id"]
    credentials = {"email": email, "password": PASSWORD}
    here = httpx.post(f"{rest}/auth/login", json=credentials).json()["access_token"]
    there = httpx.post(f"{rest}/auth/login", json=credentials).json()["access_token"]

    async def log_out_while_connected() -> None:
        async with (
            websockets.connect(f"{cloud.websocket}/?token={here}") as mine,
            websockets.connect(f"{cloud.websocket}/?token={there}") as other,
        ):
            for socket in (mine, other):
                await socket.send('{"action": "ping"}')
                assert await asyncio.wait_for(socket.recv(), timeout=10) == '{"type":"pong"}'
            # When the first device logs out over REST
            out = await asyncio.to_thread(
                httpx.post, f"{rest}/auth/logout", headers=bearer(here), timeout=15
            )
            assert out.status_code == 204, out.text
            # Then the server closed that session's socket
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(mine.recv(), timeout=10)
            # And the other session's socket still works
            await other.send('{"action": "ping"}')
            assert await asyncio.wait_for(other.recv(), timeout=10) == '{"type":"pong"}'

    asyncio.run(log_out_while_connected())
    assert httpx.get(f"{rest}/me", headers=bearer(here)).status_code == 401
    assert httpx.get(f"{rest}/me", headers=bearer(there)).status_code == 200

    table = cloud.info()["resources"]["ConnectionsTable"]
    dynamodb = cloud.client("dynamodb")

    def mine_left() -> bool:
        items = dynamodb.scan(TableName=table)["Items"]
        return not [item for item in items if item.get("user_id", {}).get("S") == account_id]

    wait_for(mine_left, what="the shopper's connection records removed")


def test_signing_key_and_sender_come_from_the_deployed_template(cloud: RunningCloud) -> None:
    resources: dict[str, Any] = cloud.info()["resources"]
    secret = cloud.client("secretsmanager").describe_secret(SecretId=resources["JwtSigningSecret"])
    assert secret["Name"].endswith("/jwt-signing-key")
    assert "no-reply@bazaar.example.com" in cloud.client("ses").list_identities()["Identities"]


def test_openapi_lists_identity_routes_with_their_rules(cloud: RunningCloud) -> None:
    spec = httpx.get(f"{cloud.rest}/openapi.json").json()
    assert spec["paths"]["/auth/login"]["post"]["x-access"] == "public"
    assert spec["paths"]["/admin/accounts"]["get"]["security"] == [{"bearer": []}]
