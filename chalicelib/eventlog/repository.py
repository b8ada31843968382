"""The event archive table, in domain terms (the only module that touches it).

``get()`` is the DynamoDB archive; tests swap in the in-memory fake with ``use(fake)``
(``tests/fakes/eventlog.py``).
"""

from __future__ import annotations

from typing import Protocol

from pynamodb.exceptions import PutError

from chalicelib.core.dynamo import condition_failed
from chalicelib.eventlog import models
from chalicelib.eventlog.domain import ArchiveEntry


class EventArchive(Protocol):
    """Where archived events are kept, once each."""

    def add(self, entry: ArchiveEntry) -> bool:
        """Keep ``entry``; False (nothing written) if its event id is already archived."""


class DynamoEventArchive:
    """The event archive table (one item per event id, the ``by-type`` index per type)."""

    def add(self, entry: ArchiveEntry) -> bool:
        item = models.ArchivedEvent(
            event_id=entry.event_id,
            detail_type=entry.detail_type,
            source=entry.source,
            occurred_at=entry.occurred_at,
            bus_event_id=entry.bus_event_id,
            detail=entry.detail,
            schema_known=entry.schema_known,
            archived_at=entry.archived_at,
            expires_at=entry.expires_at,
        )
        try:
            item.save(condition=models.ArchivedEvent.event_id.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True


_archive: EventArchive | None = None


def get() -> EventArchive:
    """The archive services use (DynamoDB unless a test swapped it)."""
    global _archive
    if _archive is None:
        _archive = DynamoEventArchive()
    return _archive


def use(archive: EventArchive | None) -> None:
    """Swap the archive (tests: the in-memory fake); None goes back to DynamoDB."""
    global _archive
    _archive = archive
