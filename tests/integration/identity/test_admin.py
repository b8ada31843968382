"""Admins through the API: paginated lists by role, bans with audit and events on the bus,
closed WebSockets (the use cases themselves: tests/unit/identity/test_admin_use_cases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.deploy import Deployment
from tests.integration.identity.conftest import (
    bus_events,
    get,
    make_admin,
    post,
    sign_in,
    sign_up,
)


@pytest.fixture
def boss(api: Any) -> Any:
    return sign_in(api, make_admin()[0])


def test_lists_are_per_role_paginated_and_newest_first(api: Any, boss: Any, clock_at: Any) -> None:
    shoppers = []
    for _ in range(3):
        shoppers.append(sign_up(api))
        clock_at.advance(seconds=1)
    seller = sign_up(api, role="seller")

    first = get(api, "/admin/accounts?role=user&limit=2", boss.access)
    assert first.status_code == 200
    page = first.json_body
    assert [item["account_id"] for item in page["items"]] == [
        shoppers[2].account_id,
        shoppers[1].account_id,
    ]
    assert page["next_cursor"]
    second = get(
        api, f"/admin/accounts?role=user&limit=2&cursor={page['next_cursor']}", boss.access
    )
    assert [item["account_id"] for item in second.json_body["items"]] == [shoppers[0].account_id]
    assert second.json_body["next_cursor"] is None
    assert set(second.json_body["items"][0]) >= {"email", "role", "status", "created_at"}

    sellers = get(api, "/admin/accounts?role=seller", boss.access).json_body["items"]
    assert [item["account_id"] for item in sellers] == [seller.account_id]
    admins = get(api, "/admin/accounts?role=admin", boss.access).json_body["items"]
    assert [item["account_id"] for item in admins] == [boss.account_id]


def test_lists_refuse_bad_roles_limits_and_foreign_cursors(api: Any, boss: Any) -> None:
    sign_up(api)
    sign_up(api)
    assert get(api, "/admin/accounts?role=root", boss.access).status_code == 422
    assert get(api, "/admin/accounts?limit=0", boss.access).status_code == 400
    cursor = get(api, "/admin/accounts?role=user&limit=1", boss.access).json_body["next_cursor"]
    foreign = get(api, f"/admin/accounts?role=seller&cursor={cursor}", boss.access)
    assert foreign.status_code == 400
    assert get(api, "/admin/accounts?cursor=garbage", boss.access).status_code == 400


def test_ban_and_unban_are_audited_and_announced(api: Any, boss: Any, aws_env: Deployment) -> None:
    member = sign_up(api)
    banned = post(
        api, f"/admin/accounts/{member.account_id}/ban", {"reason": "chargebacks"}, boss.access
    )
    assert banned.status_code == 200
    assert banned.json_body["status"] == "BANNED"
    assert banned.json_body["ban_reason"] == "chargebacks"
    listed = get(api, "/admin/accounts?role=user", boss.access).json_body["items"]
    assert listed[0]["status"] == "BANNED"

    unbanned = post(api, f"/admin/accounts/{member.account_id}/unban", token=boss.access)
    assert unbanned.status_code == 200
    assert unbanned.json_body["status"] == "ACTIVE"
    assert unbanned.json_body["ban_reason"] is None
    # The ban ended the old sessions for good; signing in again works.
    assert get(api, "/me", member.access).status_code == 401
    assert sign_in(api, member.email).account_id == member.account_id

    audit = get(api, f"/admin/audit?account_id={member.account_id}", boss.access).json_body
    assert [(e["action"], e["actor_id"]) for e in audit["items"]] == [
        ("account.unbanned", boss.account_id),
        ("account.banned", boss.account_id),
    ]
    assert audit["items"][1]["reason"] == "chargebacks"
    everything = get(api, "/admin/audit?limit=2", boss.access).json_body
    assert [e["action"] for e in everything["items"]] == ["account.unbanned", "account.banned"]
    assert everything["next_cursor"]

    identity = [e for e in bus_events(aws_env) if e["source"] == "bazaar.identity"]
    kinds = [e["detail-type"] for e in identity]
    assert kinds[-2:] == ["account.banned", "account.unbanned"]
    assert identity[-2]["detail"]["data"] == {
        "account_id": member.account_id,
        "actor_id": boss.account_id,
        "reason": "chargebacks",
    }


def test_admins_cannot_ban_themselves_and_bans_need_a_reason(api: Any, boss: Any) -> None:
    self_ban = post(api, f"/admin/accounts/{boss.account_id}/ban", {"reason": "oops"}, boss.access)
    assert self_ban.status_code == 409
    member = sign_up(api)
    assert post(api, f"/admin/accounts/{member.account_id}/ban", {}, boss.access).status_code == 422
    missing = post(api, "/admin/accounts/nobody/ban", {"reason": "x"}, boss.access)
    assert missing.status_code == 404


def test_ban_closes_the_accounts_websocket_connections(api: Any, boss: Any) -> None:
    from chalicelib.realtime import service as realtime
    from chalicelib.realtime.models import Connection

    member = sign_up(api)
    realtime.open_connection("BANNEDconnA=", user_id=member.account_id, role="user")
    post(api, f"/admin/accounts/{member.account_id}/ban", {"reason": "abuse"}, boss.access)
    assert list(Connection.by_user.query(member.account_id)) == []
