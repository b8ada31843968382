"""Archiving bus events: validated against their schema, stored exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pynamodb.exceptions import PutError

from chalicelib.core.events import EVENT_TYPES, EventDetail, parse_detail
from chalicelib.eventlog.models import ArchivedEvent

RETENTION = timedelta(days=90)


class BusEvent(BaseModel):
    """The EventBridge envelope as delivered to an SQS target."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str
    source: str
    detail_type: str = Field(alias="detail-type")
    time: str
    detail: dict[str, Any]


class SchemaViolationError(Exception):
    """A known event type arrived with a detail that breaks its schema."""


def archive(raw: dict[str, Any]) -> bool:
    """Store one bus event; False if it was already archived (a redelivery).

    Raises pydantic ValidationError for a malformed envelope and SchemaViolationError
    for a known event type whose detail breaks its schema (both end in the DLQ).
    """
    event = BusEvent.model_validate(raw)
    known = event.detail_type in EVENT_TYPES
    try:
        if known:
            metadata, _ = parse_detail(event.detail_type, event.detail)
        else:
            metadata = EventDetail.model_validate(event.detail).metadata
    except ValidationError as exc:
        raise SchemaViolationError(f"{event.detail_type}: {exc}") from exc
    now = datetime.now(UTC)
    item = ArchivedEvent(
        event_id=metadata.event_id,
        detail_type=event.detail_type,
        source=event.source,
        occurred_at=metadata.occurred_at,
        bus_event_id=event.id,
        detail=event.detail,
        schema_known=known,
        archived_at=now,
        expires_at=now + RETENTION,
    )
    try:
        item.save(condition=ArchivedEvent.event_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def recent(detail_type: str, limit: int = 20) -> list[ArchivedEvent]:
    """The newest archived events of one type."""
    return list(ArchivedEvent.by_type.query(detail_type, scan_index_forward=False, limit=limit))
