"""In-memory twin of the event archive."""

from __future__ import annotations

from chalicelib.eventlog.domain import ArchiveEntry


class InMemoryEventArchive:
    """The archive table as a dict keyed by event id (same contract as DynamoDB's)."""

    def __init__(self) -> None:
        self.entries: dict[str, ArchiveEntry] = {}

    def add(self, entry: ArchiveEntry) -> bool:
        if entry.event_id in self.entries:
            return False
        self.entries[entry.event_id] = entry
        return True
