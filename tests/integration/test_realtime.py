"""Realtime service and gateway on moto: connection records, dispatch, Gone handling."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.realtime import gateway, service
from chalicelib.realtime.models import Connection
from localcloud.deploy import Deployment


@pytest.fixture
def sent(aws_env: Deployment, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        gateway, "send", lambda conn_id, payload: out.append((conn_id, payload)) or True
    )
    return out


def test_open_and_close_connection_records(aws_env: Deployment) -> None:
    service.open_connection("AAAAAAAAAAA=", user_id="u-1", role="user", source_ip="127.0.0.1")
    assert [c.connection_id for c in Connection.by_user.query("u-1")] == ["AAAAAAAAAAA="]
    service.close_connection("AAAAAAAAAAA=")
    service.close_connection("AAAAAAAAAAA=")  # a second $disconnect is harmless
    assert list(Connection.by_user.query("u-1")) == []


def test_messages_are_dispatched_by_action(sent: list[tuple[str, dict[str, Any]]]) -> None:
    service.handle_message("c1", json.dumps({"action": "ping"}))
    service.handle_message("c1", json.dumps({"action": "echo", "data": [1, 2]}))
    service.handle_message("c1", json.dumps({"action": "fly"}))
    service.handle_message("c1", json.dumps({"no": "action"}))
    assert sent[0] == ("c1", {"type": "pong"})
    assert sent[1] == ("c1", {"type": "echo", "data": [1, 2]})
    assert sent[2][1]["error"]["code"] == "VALIDATION_FAILED"
    assert "fly" in sent[2][1]["error"]["message"]
    assert sent[3][1]["type"] == "error"


def test_send_to_a_gone_connection_forgets_it(aws_env: Deployment) -> None:
    service.open_connection("GONEconnAA=", user_id="u-2")
    client = gateway._management_client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "post_to_connection", service_error_code="GoneException", http_status_code=410
        )
        assert gateway.send("GONEconnAA=", {"type": "x"}) is False
    assert list(Connection.by_user.query("u-2")) == []


def test_send_to_user_reaches_each_open_connection(aws_env: Deployment) -> None:
    service.open_connection("ONEconnAAA=", user_id="u-3")
    service.open_connection("TWOconnAAA=", user_id="u-3")
    client = gateway._management_client()
    with Stubber(client) as stub:
        for conn_id in ("ONEconnAAA=", "TWOconnAAA="):
            stub.add_response(
                "post_to_connection", {}, {"ConnectionId": conn_id, "Data": b'{"type":"hi"}'}
            )
        assert gateway.send_to_user("u-3", {"type": "hi"}) == 2
