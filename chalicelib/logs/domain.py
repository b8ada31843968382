"""Client logs' domain values: a level, an entry, a batch as received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.core import clock


class Level(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"


@dataclass(frozen=True)
class LogEntry:
    """One line a client logged, as stored."""

    entry_id: str  # <received time>#<batch>#<n>: ordered by arrival
    level: Level
    message: str
    received_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    client_time: datetime | None = None
    app_version: str | None = None
    account_id: str | None = None
    source_ip: str | None = None

    def row(self) -> dict[str, Any]:
        """The entry as a download row and in the live frame."""
        return {
            "id": self.entry_id,
            "received_at": clock.iso(self.received_at),
            "client_time": clock.iso(self.client_time) if self.client_time else None,
            "level": str(self.level),
            "message": self.message,
            "context": self.context,
            "app_version": self.app_version,
            "account_id": self.account_id,
            "source_ip": self.source_ip,
        }


@dataclass(frozen=True)
class LogBatch:
    """Entries one client sent in one request."""

    batch_id: str
    received_at: datetime
    entries: tuple[LogEntry, ...]
    account_id: str | None = None
    source_ip: str | None = None


@dataclass(frozen=True)
class Subscriber:
    """An admin's connection that asked for the live stream, and which levels."""

    connection_id: str
    account_id: str
    levels: frozenset[Level]

    def wants(self, entry: LogEntry) -> bool:
        return entry.level in self.levels
