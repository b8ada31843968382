"""In-memory twins of realtime's adapters: the connections repository and the gateway."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.realtime.domain import Connection


class InMemoryConnections:
    """The connections table as a dict (same contract as ``DynamoConnections``)."""

    def __init__(self) -> None:
        self.items: dict[str, Connection] = {}
        self.windows: dict[str, tuple[int, int]] = {}
        self.seen: dict[str, datetime] = {}

    def add(self, connection: Connection) -> None:
        # DynamoDB's TTL attribute keeps whole seconds.
        expires_at = connection.expires_at.replace(microsecond=0)
        self.items[connection.connection_id] = replace(connection, expires_at=expires_at)

    def remove(self, connection_id: str) -> Connection | None:
        self.windows.pop(connection_id, None)
        return self.items.pop(connection_id, None)

    def of_account(self, account_id: str) -> list[Connection]:
        mine = [c for c in self.items.values() if c.account_id == account_id]
        return sorted(mine, key=lambda c: c.connected_at)

    def all(self) -> Iterator[Connection]:
        yield from list(self.items.values())

    def count_frame(self, connection_id: str, window: int) -> tuple[Connection | None, int]:
        connection = self.items.get(connection_id)
        if connection is None:
            return None, 0
        current, count = self.windows.get(connection_id, (window, 0))
        count = count + 1 if current == window else 1
        self.windows[connection_id] = (window, count)
        return connection, count

    def mark_seen(self, account_id: str, at: datetime) -> None:
        # DynamoDB keeps microseconds (UTCDateTimeAttribute); never move backwards.
        if account_id not in self.seen or self.seen[account_id] < at:
            self.seen[account_id] = at

    def last_seen(self, account_ids: Iterable[str]) -> dict[str, datetime]:
        return {a: self.seen[a] for a in set(account_ids) if a in self.seen}


class RecordingGateway:
    """An ``@connections`` API that records what it was asked to do.

    Connections in ``gone`` answer as API Gateway does once a client vanished.
    """

    def __init__(self, *, gone: set[str] | None = None) -> None:
        self.gone: set[str] = set(gone or ())
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.closed: list[str] = []

    def post(self, connection_id: str, payload: dict[str, Any]) -> bool:
        if connection_id in self.gone:
            return False
        self.sent.append((connection_id, payload))
        return True

    def is_alive(self, connection_id: str) -> bool:
        return connection_id not in self.gone

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)

    def sent_to(self, connection_id: str) -> list[dict[str, Any]]:
        """The payloads delivered to one connection, in order."""
        return [payload for conn_id, payload in self.sent if conn_id == connection_id]
