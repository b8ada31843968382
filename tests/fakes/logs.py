"""In-memory twins of the logs repository and queue (same contract as ``DynamoLogs``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.logs.domain import Level, LogBatch, LogEntry, Subscriber


class InMemoryLogs:
    def __init__(self) -> None:
        self.rows: dict[str, LogEntry] = {}
        self.streamed: set[str] = set()
        self.subs: dict[str, tuple[Subscriber, datetime]] = {}
        self.windows: dict[tuple[str, str], int] = {}

    def store(self, batch: LogBatch, *, expires_at: datetime) -> None:
        for entry in batch.entries:
            self.rows[entry.entry_id] = entry

    def first_stream(self, batch_id: str, *, expires_at: datetime) -> bool:
        if batch_id in self.streamed:
            return False
        self.streamed.add(batch_id)
        return True

    def entries(
        self, since: datetime, until: datetime, *, levels: frozenset[Level] | None, limit: int
    ) -> Iterator[LogEntry]:
        low, high = clock.iso(since), clock.iso(until) + "~"
        found = [
            entry
            for key, entry in sorted(self.rows.items())
            if low <= key <= high and (levels is None or entry.level in levels)
        ]
        yield from found[:limit]

    def subscribe(self, subscriber: Subscriber, *, expires_at: datetime) -> None:
        self.subs[subscriber.connection_id] = (subscriber, expires_at)

    def unsubscribe(self, connection_id: str) -> None:
        self.subs.pop(connection_id, None)

    def subscribers(self) -> list[Subscriber]:
        now = clock.now()
        return [
            s
            for s, expires in sorted(self.subs.values(), key=lambda x: x[0].connection_id)
            if expires > now
        ]

    def count_request(self, client: str, window: str, *, expires_at: datetime) -> int:
        self.windows[(client, window)] = self.windows.get((client, window), 0) + 1
        return self.windows[(client, window)]


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, body: dict[str, Any]) -> None:
        self.sent.append(body)
