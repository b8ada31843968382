"""Realtime's service with its real adapters on moto: connection records, the API Gateway
``@connections`` calls (stubbed: moto's never answers Gone) and Gone handling."""

from __future__ import annotations

from botocore.stub import Stubber

from chalicelib.realtime import gateway, service
from chalicelib.realtime.models import Connection
from localcloud.deploy import Deployment


def test_open_and_close_connection_records(aws_env: Deployment) -> None:
    # Given a connection opened by an account
    service.open_connection("AAAAAAAAAAA=", user_id="u-1", role="user", source_ip="127.0.0.1")
    assert [c.connection_id for c in Connection.by_user.query("u-1")] == ["AAAAAAAAAAA="]
    # When it closes, and $disconnect arrives twice
    service.close_connection("AAAAAAAAAAA=")
    service.close_connection("AAAAAAAAAAA=")
    # Then its record is gone and the second close was harmless
    assert list(Connection.by_user.query("u-1")) == []


def test_send_to_a_gone_connection_forgets_it(aws_env: Deployment) -> None:
    # Given a recorded connection that API Gateway no longer holds
    service.open_connection("GONEconnAA=", user_id="u-2")
    with Stubber(gateway.management_client()) as stub:
        stub.add_client_error(
            "post_to_connection", service_error_code="GoneException", http_status_code=410
        )
        # When a message is sent to it
        delivered = service.send("GONEconnAA=", {"type": "x"})
    # Then it was not delivered and its record is removed
    assert delivered is False
    assert list(Connection.by_user.query("u-2")) == []


def test_send_to_account_reaches_each_open_connection(aws_env: Deployment) -> None:
    # Given an account with two open connections
    service.open_connection("ONEconnAAA=", user_id="u-3")
    service.open_connection("TWOconnAAA=", user_id="u-3")
    with Stubber(gateway.management_client()) as stub:
        for conn_id in ("ONEconnAAA=", "TWOconnAAA="):
            stub.add_response(
                "post_to_connection", {}, {"ConnectionId": conn_id, "Data": b'{"type":"hi"}'}
            )
        # When a message is sent to the account
        reached = service.send_to_account("u-3", {"type": "hi"})
        # Then both connections got exactly that frame
        stub.assert_no_pending_responses()
    assert reached == 2
