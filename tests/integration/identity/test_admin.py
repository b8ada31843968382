"""Admins: paginated lists by role, ban / unban / promote with audit and events; bootstrap."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chalicelib.identity import bootstrap_admin, repository
from chalicelib.identity.service import admin
from localcloud.deploy import Deployment
from tests.integration.identity.conftest import (
    PASSWORD,
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


def test_a_banned_pending_account_goes_back_to_pending(api: Any, boss: Any) -> None:
    post(api, "/auth/register", {"email": "pending@shop.example.com", "password": PASSWORD})
    account = repository.get().find_account_by_email("pending@shop.example.com")
    assert account is not None
    post(api, f"/admin/accounts/{account.account_id}/ban", {"reason": "spam"}, boss.access)
    back = post(api, f"/admin/accounts/{account.account_id}/unban", token=boss.access)
    assert back.json_body["status"] == "PENDING_VERIFICATION"


def test_admins_cannot_ban_themselves_and_bans_need_a_reason(api: Any, boss: Any) -> None:
    self_ban = post(api, f"/admin/accounts/{boss.account_id}/ban", {"reason": "oops"}, boss.access)
    assert self_ban.status_code == 409
    member = sign_up(api)
    assert post(api, f"/admin/accounts/{member.account_id}/ban", {}, boss.access).status_code == 422
    missing = post(api, "/admin/accounts/nobody/ban", {"reason": "x"}, boss.access)
    assert missing.status_code == 404


def test_promote_makes_a_user_an_admin(api: Any, boss: Any, aws_env: Deployment) -> None:
    member = sign_up(api)
    assert get(api, "/admin/accounts", member.access).status_code == 403
    promoted = post(api, f"/admin/accounts/{member.account_id}/promote", token=boss.access)
    assert promoted.status_code == 200
    assert promoted.json_body["role"] == "admin"
    # The role is read per request, so the existing token now has admin rights.
    assert get(api, "/admin/accounts", member.access).status_code == 200
    admins = get(api, "/admin/accounts?role=admin", boss.access).json_body["items"]
    assert member.account_id in [item["account_id"] for item in admins]
    users = get(api, "/admin/accounts?role=user", boss.access).json_body["items"]
    assert member.account_id not in [item["account_id"] for item in users]
    audit = repository.get().list_audit(limit=1, cursor=None, target_id=member.account_id).items
    assert audit[0].action == "account.promoted"
    assert audit[0].details == {"from_role": "user", "to_role": "admin"}
    promoted_events = [e for e in bus_events(aws_env) if e["detail-type"] == "account.promoted"]
    assert promoted_events[0]["detail"]["data"]["account_id"] == member.account_id


def test_sellers_cannot_be_promoted(api: Any, boss: Any) -> None:
    seller = sign_up(api, role="seller")
    refused = post(api, f"/admin/accounts/{seller.account_id}/promote", token=boss.access)
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "ACCOUNT_STATE"


def test_ban_closes_the_accounts_websocket_connections(api: Any, boss: Any) -> None:
    from chalicelib.realtime import service as realtime
    from chalicelib.realtime.models import Connection

    member = sign_up(api)
    realtime.open_connection("BANNEDconnA=", user_id=member.account_id, role="user")
    post(api, f"/admin/accounts/{member.account_id}/ban", {"reason": "abuse"}, boss.access)
    assert list(Connection.by_user.query(member.account_id)) == []


def test_bootstrap_creates_the_first_admin_only(
    aws_env: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Root-Admin-Pass-1\n"))
    code = bootstrap_admin.main(["--email", "Chief@Shop.example.com", "--password-stdin"])
    assert code == 0
    assert "created" in capsys.readouterr().out
    account = repository.get().find_account_by_email("chief@shop.example.com")
    assert account is not None
    assert (account.role, account.status) == ("admin", "ACTIVE")
    entries = repository.get().list_audit(limit=5, cursor=None, target_id=account.account_id).items
    assert [(e.action, e.actor_id) for e in entries] == [("account.provisioned", "bootstrap")]

    monkeypatch.setattr("sys.stdin", io.StringIO("Second-Admin-Pass-1\n"))
    assert bootstrap_admin.main(["--email", "two@shop.example.com", "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("weak\n"))
    assert (
        bootstrap_admin.main(
            ["--email", "two@shop.example.com", "--password-stdin", "--allow-additional"]
        )
        == 2
    )
    assert admin.admin_exists()
