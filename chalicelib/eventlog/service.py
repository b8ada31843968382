"""Archiving bus events: validated against their schema, stored exactly once."""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib.core import clock
from chalicelib.core.events import EVENT_TYPES, BusEvent
from chalicelib.eventlog import repository
from chalicelib.eventlog.domain import ArchiveEntry
from chalicelib.eventlog.errors import SchemaViolationError


def archive(event: BusEvent) -> bool:
    """Store one bus event; False if it was already archived (a redelivery).

    A known event type is checked against its schema first (SchemaViolationError if its
    data breaks it; the record then ends in the DLQ); an unknown type is kept as it came.
    """
    known = event.detail_type in EVENT_TYPES
    if known:
        try:
            event.event()
        except ValidationError as exc:
            raise SchemaViolationError(f"{event.detail_type}: {exc}") from exc
    entry = ArchiveEntry.of(event, schema_known=known, at=clock.now())
    return repository.get().add(entry)
