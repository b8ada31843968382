"""WebSocket use cases: open and close connections, route client messages to actions.

Clients send JSON ``{"action": "<name>", ...}``. Capabilities register their actions
with ``register_action``; the platform provides ``ping`` and ``echo``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.errors import DomainError, ValidationFailedError
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.realtime import gateway
from chalicelib.realtime.models import Connection


@dataclass(frozen=True)
class ClientMessage:
    """One message a client sent over its connection."""

    connection_id: str
    action: str
    payload: dict[str, Any]


ActionHandler = Callable[[ClientMessage], None]
_actions: dict[str, ActionHandler] = {}


def register_action(name: str, handler: ActionHandler) -> None:
    """Route client messages whose ``action`` is ``name`` to ``handler``."""
    if name in _actions:
        raise ValueError(f"WebSocket action {name!r} registered twice")
    _actions[name] = handler


def open_connection(
    connection_id: str,
    *,
    user_id: str | None = None,
    role: str | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
) -> Connection:
    """Record a new connection (it expires after the API Gateway connection lifetime)."""
    now = datetime.now(UTC)
    ttl = timedelta(seconds=get_settings().websocket_connection_ttl_seconds)
    connection = Connection(
        connection_id=connection_id,
        user_id=user_id,
        role=role,
        source_ip=source_ip,
        user_agent=(user_agent or "")[:256] or None,
        connected_at=now,
        expires_at=now + ttl,
    )
    connection.save()
    return connection


def close_connection(connection_id: str) -> None:
    """Forget a connection that closed."""
    gateway.forget(connection_id)


def disconnect_account(account_id: str) -> int:
    """Close every open connection of one account (a ban, a sign-out); how many were open."""
    closed = 0
    for connection in Connection.by_user.query(account_id):
        gateway.disconnect(connection.connection_id)
        closed += 1
    return closed


def parse_message(connection_id: str, body: str | None) -> ClientMessage:
    """Read a client frame; raises ValidationFailedError if it is not ``{"action": ...}``."""
    try:
        data = json.loads(body or "")
    except ValueError:
        raise ValidationFailedError("Message must be a JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise ValidationFailedError('Message must be a JSON object with a string "action"')
    return ClientMessage(connection_id=connection_id, action=data["action"], payload=data)


def handle_message(connection_id: str, body: str | None) -> None:
    """Dispatch one client frame; errors go back to the sender as an ``error`` message."""
    try:
        message = parse_message(connection_id, body)
        handler = _actions.get(message.action)
        if handler is None:
            raise ValidationFailedError(
                f"Unknown action {message.action!r}", details={"known": sorted(_actions)}
            )
        handler(message)
    except DomainError as error:
        logger.info("Rejected client message", extra={"code": error.code})
        gateway.send(
            connection_id,
            {"type": "error", "error": {"code": error.code, "message": error.message}},
        )


def _ping(message: ClientMessage) -> None:
    gateway.send(message.connection_id, {"type": "pong"})


def _echo(message: ClientMessage) -> None:
    gateway.send(message.connection_id, {"type": "echo", "data": message.payload.get("data")})


register_action("ping", _ping)
register_action("echo", _echo)
