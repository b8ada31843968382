"""WebSocket use cases: open and close connections, route client messages to actions,
deliver messages, and sweep connections that are gone.

Clients send JSON ``{"action": "<name>", ...}``. Capabilities register their actions
with ``register_action``; the platform provides ``ping`` and ``echo``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.caller import Role
from chalicelib.core.errors import (
    DomainError,
    PayloadTooLargeError,
    RateLimitedError,
    ValidationFailedError,
)
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.realtime import gateway, repository
from chalicelib.realtime.domain import ClientMessage as ClientMessage
from chalicelib.realtime.domain import Connection
from chalicelib.realtime.domain import Presence as Presence

ActionHandler = Callable[[ClientMessage], None]
_actions: dict[str, ActionHandler] = {}


def register_action(name: str, handler: ActionHandler) -> None:
    """Route client messages whose ``action`` is ``name`` to ``handler``.

    Raises ValueError if ``name`` already has a handler.
    """
    if name in _actions:
        raise ValueError(f"WebSocket action {name!r} registered twice")
    _actions[name] = handler


def open_connection(
    connection_id: str,
    *,
    user_id: str | None = None,
    role: Role | str | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
    session_id: str | None = None,
) -> Connection:
    """Record a new connection of account ``user_id`` opened with an access token of
    sign-in session ``session_id`` (it expires after the API Gateway connection lifetime)."""
    connection = Connection.opened(
        connection_id,
        at=clock.now(),
        lifetime=timedelta(seconds=get_settings().websocket_connection_ttl_seconds),
        account_id=user_id,
        role=role,
        source_ip=source_ip,
        user_agent=user_agent,
        session_id=session_id,
    )
    repository.get().add(connection)
    return connection


def close_connection(connection_id: str) -> None:
    """Forget a connection that closed (a second ``$disconnect`` is harmless); its account
    was last seen now."""
    _forget(connection_id)


def _forget(connection_id: str) -> None:
    removed = repository.get().remove(connection_id)
    if removed is not None and removed.account_id:
        repository.get().mark_seen(removed.account_id, clock.now())


def disconnect_account(account_id: str) -> int:
    """Close every open connection of one account (a ban, a password change or reset:
    every session ended); how many were open."""
    return _disconnect(repository.get().of_account(account_id))


def disconnect_session(account_id: str, session_id: str) -> int:
    """Close the account's connections opened in one sign-in session (a sign-out, a
    revoked or evicted session); its other sessions' connections stay. How many closed.

    Reads the account's few connections through the by-user index and keeps that
    session's (no Scan).
    """
    connections = repository.get().of_account(account_id)
    return _disconnect([c for c in connections if c.session_id == session_id])


def _disconnect(connections: list[Connection]) -> int:
    for connection in connections:
        gateway.get().close(connection.connection_id)
        _forget(connection.connection_id)
    return len(connections)


def send(connection_id: str, payload: dict[str, Any]) -> bool:
    """Send a JSON message; False if the connection is gone (its record is then removed,
    so nobody tries it again)."""
    if gateway.get().post(connection_id, payload):
        return True
    logger.info("Connection gone; removing it", extra={"connection_id": connection_id})
    _forget(connection_id)
    return False


def send_to_account(account_id: str, payload: dict[str, Any]) -> int:
    """Send to every open connection of an account; returns how many received it."""
    connections = repository.get().of_account(account_id)
    return sum(send(connection.connection_id, payload) for connection in connections)


def send_to_accounts(
    account_ids: Iterable[str], payload: dict[str, Any], *, skip: str | None = None
) -> int:
    """Send to every open connection of each account (each account once), except the
    connection ``skip`` (the sender's own); how many connections received it. A gone
    connection is removed on the way."""
    delivered = 0
    for account_id in dict.fromkeys(account_ids):
        for connection in repository.get().of_account(account_id):
            if connection.connection_id != skip:
                delivered += send(connection.connection_id, payload)
    return delivered


def is_online(account_id: str) -> bool:
    """Whether the account has at least one open connection (by the by-user index)."""
    return bool(repository.get().of_account(account_id))


def presence(account_ids: Iterable[str]) -> dict[str, Presence]:
    """``(online, last_seen)`` of each account: online with an open connection (by the
    by-user index), last seen now then, else when its last connection closed (None if
    never). One index query per account and one batch read; no Scan."""
    wanted = list(dict.fromkeys(account_ids))
    now = clock.now()
    online = {account_id for account_id in wanted if is_online(account_id)}
    offline = [account_id for account_id in wanted if account_id not in online]
    seen = repository.get().last_seen(offline) if offline else {}
    return {
        account_id: Presence(True, now)
        if account_id in online
        else Presence(False, seen.get(account_id))
        for account_id in wanted
    }


def remove_stale_connections() -> dict[str, int]:
    """Delete records past their lifetime or whose connection API Gateway reports gone;
    how many were checked and removed."""
    checked = removed = 0
    now = clock.now()
    for connection in repository.get().all():
        checked += 1
        if connection.expired(now) or not gateway.get().is_alive(connection.connection_id):
            _forget(connection.connection_id)
            removed += 1
    return {"checked": checked, "removed": removed}


def handle_message(connection_id: str, body: str | None) -> None:
    """Dispatch one client frame; errors go back to the sender as an ``error`` message.

    Every frame counts against the connection's rate limit (counting also reads the
    connection's account); then a frame over the size limit is refused unread (413), an
    unreadable one (422), one over the rate limit (429, its ``request_id`` echoed).
    """
    request: Any = None
    try:
        connection, over_limit = _count_frame(connection_id)
        _check_size(body)
        message = ClientMessage.parse(
            connection_id,
            body,
            account_id=connection.account_id if connection else None,
            role=connection.role if connection else None,
        )
        request = message.payload.get("request_id")
        if over_limit is not None:
            raise over_limit
        handler = _actions.get(message.action)
        if handler is None:
            raise ValidationFailedError(
                f"Unknown action {message.action!r}", details={"known": sorted(_actions)}
            )
        handler(message)
    except DomainError as error:
        logger.info("Rejected client message", extra={"code": error.code})
        send(connection_id, error_frame(error, request))


def error_frame(error: DomainError, request_id: Any = None) -> dict[str, Any]:
    """The ``error`` frame for a refused client frame (``request_id`` echoes the client's,
    when it sent a short string one)."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details is not None:
        body["details"] = error.details
    if isinstance(error, RateLimitedError):
        body["retry_after"] = error.retry_after
    frame: dict[str, Any] = {"type": "error", "error": body}
    if isinstance(request_id, str) and 0 < len(request_id) <= 128:
        frame["request_id"] = request_id
    return frame


def _count_frame(connection_id: str) -> tuple[Connection | None, RateLimitedError | None]:
    """Count the frame; the connection's record and, over the limit, the error to answer."""
    settings = get_settings()
    window_length = settings.websocket_rate_limit_window_seconds
    moment = clock.epoch(clock.now())
    window = moment // window_length
    connection, count = repository.get().count_frame(connection_id, window)
    if count <= settings.websocket_rate_limit_frames:
        return connection, None
    return connection, RateLimitedError(
        f"At most {settings.websocket_rate_limit_frames} frames per connection every "
        f"{window_length} s; slow down",
        retry_after=max(1, (window + 1) * window_length - moment),
        details={
            "limit": settings.websocket_rate_limit_frames,
            "window_seconds": window_length,
        },
    )


def _check_size(body: str | None) -> None:
    limit = get_settings().websocket_max_frame_bytes
    size = len((body or "").encode())
    if size > limit:
        raise PayloadTooLargeError(
            f"A frame is at most {limit} bytes (this one: {size})",
            details={"limit": limit, "size": size},
        )


def _ping(message: ClientMessage) -> None:
    send(message.connection_id, {"type": "pong"})


def _echo(message: ClientMessage) -> None:
    send(message.connection_id, {"type": "echo", "data": message.payload.get("data")})


register_action("ping", _ping)
register_action("echo", _echo)
