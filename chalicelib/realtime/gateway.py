"""Delivery to WebSocket connections through the API Gateway management API.

The adapter only talks to API Gateway; what to do about a connection that answered
``GoneException`` (410) is the service's rule. ``get()`` is the API Gateway adapter;
tests swap in a recording fake with ``use(fake)`` (``tests/fakes/realtime.py``).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.core import aws
from chalicelib.core.settings import get_settings

GONE = "GoneException"


class Gateway(Protocol):
    """The ``@connections`` API of the WebSocket API."""

    def post(self, connection_id: str, payload: dict[str, Any]) -> bool:
        """Send a JSON message; False if the connection is gone."""

    def is_alive(self, connection_id: str) -> bool:
        """Whether API Gateway still holds the connection."""

    def close(self, connection_id: str) -> None:
        """Close a connection from the server side (its ``$disconnect`` runs); a gone one
        is not an error."""


class ApiGateway:
    """The management API at ``Settings.websocket_management_url``."""

    def post(self, connection_id: str, payload: dict[str, Any]) -> bool:
        data = json.dumps(payload, separators=(",", ":")).encode()
        try:
            management_client().post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if not _gone(exc):
                raise
            return False
        return True

    def is_alive(self, connection_id: str) -> bool:
        try:
            management_client().get_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if _gone(exc):
                return False
            raise
        return True

    def close(self, connection_id: str) -> None:
        try:
            management_client().delete_connection(ConnectionId=connection_id)
        except ClientError as exc:
            if not _gone(exc):
                raise


def management_client() -> Any:
    """The (cached) ``apigatewaymanagementapi`` client for the configured endpoint."""
    return aws.client(
        "apigatewaymanagementapi", endpoint_url=get_settings().websocket_management_url
    )


def _gone(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == GONE)


_gateway: Gateway | None = None


def get() -> Gateway:
    """The gateway services use (API Gateway unless a test swapped it)."""
    global _gateway
    if _gateway is None:
        _gateway = ApiGateway()
    return _gateway


def use(gateway: Gateway | None) -> None:
    """Swap the gateway (tests: a recording fake); None goes back to API Gateway."""
    global _gateway
    _gateway = gateway
