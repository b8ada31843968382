"""Realtime's domain values: an open connection and a message a client sent over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from chalicelib.core.caller import Role
from chalicelib.core.errors import BadRequestError, ValidationFailedError
from chalicelib.core.validation import JsonTooDeepError, loads_bounded

USER_AGENT_MAX = 256  # characters kept of a client's User-Agent


@dataclass(frozen=True)
class Connection:
    """An open WebSocket connection of a signed-in account."""

    connection_id: str
    connected_at: datetime
    expires_at: datetime
    account_id: str | None = None
    role: Role | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    # The sign-in session whose access token opened it (ended with that session).
    session_id: str | None = None

    @classmethod
    def opened(
        cls,
        connection_id: str,
        *,
        at: datetime,
        lifetime: timedelta,
        account_id: str | None = None,
        role: Role | str | None = None,
        source_ip: str | None = None,
        user_agent: str | None = None,
        session_id: str | None = None,
    ) -> Connection:
        """A connection opened ``at``; it expires after ``lifetime`` (API Gateway's limit)."""
        return cls(
            connection_id=connection_id,
            connected_at=at,
            expires_at=at + lifetime,
            account_id=account_id,
            role=Role(role) if role else None,
            source_ip=source_ip,
            user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
            session_id=session_id or None,
        )

    def expired(self, now: datetime) -> bool:
        """True once the connection outlived its lifetime."""
        return self.expires_at <= now


class Presence(NamedTuple):
    """Whether an account has an open connection, and when it was last seen (now while
    online; when its last connection closed otherwise; None if never)."""

    online: bool
    last_seen: datetime | None


@dataclass(frozen=True)
class ClientMessage:
    """One message a client sent over its connection: ``{"action": "<name>", ...}``.

    ``account_id`` and ``role`` are the connection's (read from its record as the frame
    was counted); None for a connection without a record.
    """

    connection_id: str
    action: str
    payload: dict[str, Any]
    account_id: str | None = None
    role: Role | None = None

    @classmethod
    def parse(
        cls,
        connection_id: str,
        body: str | None,
        *,
        account_id: str | None = None,
        role: Role | None = None,
    ) -> ClientMessage:
        """Read a client frame; raises ValidationFailedError if it is not ``{"action": ...}``
        and JsonTooDeepError if it nests deeper than the ``max_json_depth`` setting."""
        try:
            data = loads_bounded(body or "", "Message")
        except JsonTooDeepError:
            raise
        except BadRequestError:
            raise ValidationFailedError("Message must be a JSON object") from None
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            raise ValidationFailedError('Message must be a JSON object with a string "action"')
        return cls(
            connection_id=connection_id,
            action=data["action"],
            payload=data,
            account_id=account_id,
            role=role,
        )
