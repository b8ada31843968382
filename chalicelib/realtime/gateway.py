"""Delivery to WebSocket connections through the API Gateway management API.

A connection that answers ``GoneException`` (410) has closed without us noticing: its
record is deleted so nobody tries it again.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import aws
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.realtime.models import Connection


def _management_client() -> Any:
    return aws.client(
        "apigatewaymanagementapi", endpoint_url=get_settings().websocket_management_url
    )


def send(connection_id: str, payload: dict[str, Any]) -> bool:
    """Send a JSON message; False (and the record removed) if the connection is gone."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    try:
        _management_client().post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "GoneException":
            raise
        logger.info("Connection gone; removing it", extra={"connection_id": connection_id})
        forget(connection_id)
        return False
    return True


def send_to_user(user_id: str, payload: dict[str, Any]) -> int:
    """Send to every open connection of a user; returns how many received it."""
    return sum(send(conn.connection_id, payload) for conn in Connection.by_user.query(user_id))


def is_alive(connection_id: str) -> bool:
    """Whether API Gateway still holds the connection (GetConnection)."""
    try:
        _management_client().get_connection(ConnectionId=connection_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "GoneException":
            return False
        raise
    return True


def disconnect(connection_id: str) -> None:
    """Close a connection from the server side (its $disconnect handler runs)."""
    try:
        _management_client().delete_connection(ConnectionId=connection_id)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "GoneException":
            raise
    forget(connection_id)


def forget(connection_id: str) -> None:
    """Delete a connection record (idempotent)."""
    Connection(connection_id=connection_id).delete()
