"""The event archive's domain value: one bus event as it is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.events import BusEvent

RETENTION = timedelta(days=90)


@dataclass(frozen=True)
class ArchiveEntry:
    """One domain event, keyed by its own ``metadata.event_id`` (not the bus's id, which
    changes when an event is re-published)."""

    event_id: str
    detail_type: str
    source: str
    occurred_at: str
    bus_event_id: str
    detail: dict[str, Any]
    schema_known: bool
    archived_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, event: BusEvent, *, schema_known: bool, at: datetime) -> ArchiveEntry:
        """The entry for ``event`` archived ``at`` (kept for ``RETENTION``)."""
        return cls(
            event_id=event.detail.metadata.event_id,
            detail_type=event.detail_type,
            source=event.source,
            occurred_at=event.detail.metadata.occurred_at,
            bus_event_id=event.id,
            detail=event.detail.model_dump(mode="json"),
            schema_known=schema_known,
            archived_at=at,
            expires_at=at + RETENTION,
        )
