"""Identity at the other edges: WebSocket $connect, sample events, OpenAPI entries."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chalicelib.realtime import gateway
from chalicelib.realtime.models import Connection
from tests.fakes.realtime import RecordingGateway
from tests.fixtures.aws import load_event
from tests.integration.identity.conftest import make_admin, post, sign_in, sign_up


class Context:
    function_name = "api-handler"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def connect(
    token: str | None = None, *, header: str | None = None, connection_id: str | None = None
) -> dict[str, Any]:
    import app

    event = copy.deepcopy(load_event("identity_ws_connect.json"))
    if connection_id:
        event["requestContext"]["connectionId"] = connection_id
    event["queryStringParameters"] = {"token": token} if token else None
    if header:
        event["headers"]["Authorization"] = header
    result: dict[str, Any] = app.ws_connect(event, Context())
    return result


# ---------- WebSocket ----------
def test_connect_with_a_token_records_who_connected(api: Any) -> None:
    member = sign_up(api, role="seller")
    assert connect(member.access)["statusCode"] == 200
    records = list(Connection.by_user.query(member.account_id))
    assert [(record.user_id, record.role) for record in records] == [(member.account_id, "seller")]


def test_logout_closes_that_sessions_sockets_and_keeps_the_others(api: Any) -> None:
    # Given one account signed in twice, with a socket open in each session
    member = sign_up(api)
    other = sign_in(api, member.email)
    assert connect(member.access, connection_id="HEREconnAA=")["statusCode"] == 200
    assert connect(other.access, connection_id="THEREconnA=")["statusCode"] == 200
    sessions = {r.connection_id: r.session_id for r in Connection.by_user.query(member.account_id)}
    assert sessions["HEREconnAA="]
    assert sessions["HEREconnAA="] != sessions["THEREconnA="]
    closed = RecordingGateway()
    gateway.use(closed)
    try:
        # When the first session signs out over REST
        assert post(api, "/auth/logout", token=member.access).status_code == 204
    finally:
        gateway.use(None)
    # Then its socket was closed server-side and forgotten; the other session's stays
    assert closed.closed == ["HEREconnAA="]
    remaining = [r.connection_id for r in Connection.by_user.query(member.account_id)]
    assert remaining == ["THEREconnA="]


def test_a_password_change_closes_every_socket_of_the_account(api: Any) -> None:
    # Given one account with sockets in two sessions
    member = sign_up(api)
    other = sign_in(api, member.email)
    connect(member.access, connection_id="ONEconnAAA=")
    connect(other.access, connection_id="TWOconnAAA=")
    closed = RecordingGateway()
    gateway.use(closed)
    try:
        # When the password is changed in one of them
        changed = post(
            api,
            "/auth/change-password",
            {"current_password": member.password, "new_password": "Fresh-Secret-2027"},
            member.access,
        )
    finally:
        gateway.use(None)
    # Then both sockets were closed
    assert changed.status_code == 200, changed.body
    assert sorted(closed.closed) == ["ONEconnAAA=", "TWOconnAAA="]
    assert list(Connection.by_user.query(member.account_id)) == []


def test_connect_accepts_the_authorization_header(api: Any) -> None:
    member = sign_up(api)
    assert connect(header=f"Bearer {member.access}")["statusCode"] == 200


@pytest.mark.parametrize("token", [None, "garbage"])
def test_connect_without_a_valid_token_is_refused(api: Any, token: str | None) -> None:
    result = connect(token)
    assert result["statusCode"] == 401
    assert json.loads(result["body"])["error"]["code"] in ("UNAUTHORIZED", "INVALID_TOKEN")


def test_connect_with_a_refresh_token_or_a_banned_account_is_refused(api: Any) -> None:
    member = sign_up(api)
    assert connect(member.refresh)["statusCode"] == 401
    boss = sign_in(api, make_admin()[0])
    post(api, f"/admin/accounts/{member.account_id}/ban", {"reason": "abuse"}, boss.access)
    assert connect(member.access)["statusCode"] == 401


# ---------- sample events ----------
def invoke_api(event: dict[str, Any]) -> dict[str, Any]:
    import app

    result: dict[str, Any] = app.app(event, Context())
    return result


def test_register_and_login_samples_are_accepted_by_the_api(api: Any) -> None:
    registered = invoke_api(load_event("identity_register.json"))
    assert registered["statusCode"] == 202
    # The login sample uses the seeded demo shopper.
    from localcloud.seed import seed_identity

    seed_identity()
    login = invoke_api(load_event("identity_login.json"))
    assert login["statusCode"] == 200, login["body"]
    token = json.loads(login["body"])["access_token"]

    me = load_event("identity_me.json")
    me["headers"]["Authorization"] = f"Bearer {token}"
    assert invoke_api(me)["statusCode"] == 200
    assert connect(token)["statusCode"] == 200
    # Unchanged, the placeholders are not tokens: refused.
    assert invoke_api(load_event("identity_me.json"))["statusCode"] == 401
    assert invoke_api(load_event("identity_admin_ban.json"))["statusCode"] == 401


def test_seed_creates_one_verified_account_per_role_once(api: Any) -> None:
    from localcloud.seed import DEMO_ACCOUNTS, seed_identity

    assert seed_identity() == 3
    assert seed_identity() == 0
    for demo in DEMO_ACCOUNTS:
        assert sign_in(api, demo["email"], demo["password"]).role == demo["role"]


# ---------- OpenAPI ----------
def test_openapi_documents_each_identity_route_with_its_rule(api: Any) -> None:
    spec = api.http.get("/openapi.json").json_body
    me = spec["paths"]["/me"]["get"]
    assert me["x-access"] == "signed-in"
    assert me["security"] == [{"bearer": []}]
    assert "401" in me["responses"]  # 403 only where a role or owner rule applies
    login = spec["paths"]["/auth/login"]["post"]
    assert login["x-access"] == "public"
    assert "security" not in login
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "LoginRequest"
    )
    ban = spec["paths"]["/admin/accounts/{account_id}/ban"]["post"]
    assert ban["x-access"] == "roles:admin"
    addresses = spec["paths"]["/accounts/{account_id}/addresses"]["get"]
    assert addresses["x-access"] == "owner:account_id+roles:user"
    assert spec["paths"]["/dev/mailbox"]["get"]["tags"] == ["dev"]
