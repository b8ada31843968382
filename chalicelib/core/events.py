"""Domain events on the ``bazaar`` EventBridge bus: one schema per event type, one publisher.

Every event type is a pydantic model registered under its past-tense name (its
EventBridge ``detail-type``). ``events/schemas/`` holds the JSON Schemas generated from
these models and ``events/`` a sample of each; tests keep the three in step.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, Json

from chalicelib.core import aws
from chalicelib.core.errors import DependencyUnavailableError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings

SOURCE_PREFIX = "bazaar."
EVENT_TYPES: dict[str, type[DomainEvent]] = {}


class EventMetadata(BaseModel):
    """Stable identity of one domain event; consumers deduplicate on ``event_id``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    version: int = 1


class DomainEvent(BaseModel):
    """Base of every event payload. Subclasses set ``name`` (detail-type) and ``source``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built on first use

    name: ClassVar[str]
    source: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name:
            if name in EVENT_TYPES:
                raise TypeError(f"event type {name!r} registered twice")
            if not cls.source.startswith(SOURCE_PREFIX):
                raise TypeError(f"event source must start with {SOURCE_PREFIX!r}")
            EVENT_TYPES[name] = cls


class EventDetail(BaseModel):
    """The EventBridge ``detail`` of every Bazaar event: metadata plus the typed data."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    metadata: EventMetadata
    data: dict[str, Any]


class BusEvent(EventBridgeModel):
    """A Bazaar event as EventBridge delivers it (Powertools' envelope, our typed detail)."""

    # Consumers read the id, source, detail-type, time and detail; the rest of the envelope
    # may be missing (moto's EventBridge → SQS delivery leaves ``account`` out, messages
    # sent by hand may leave out more), as the event archive always accepted. AWS sends all.
    version: str = "0"
    account: str = ""
    region: str = ""
    resources: list[str] = Field(default_factory=list)
    detail: EventDetail

    @property
    def event_id(self) -> str:
        return self.detail.metadata.event_id

    def event(self) -> DomainEvent:
        """The typed payload, validated against its registered schema (KeyError if the
        type is unknown, pydantic ValidationError if the data breaks the schema)."""
        return EVENT_TYPES[self.detail_type].model_validate(self.detail.data)


class BusRecord(SqsRecordModel):
    """An SQS record whose body is a bus event (EventBridge rule → SQS target).

    Consumers take it through ``BatchProcessor(event_type=EventType.SQS, model=BusRecord)``.
    """

    body: Json[BusEvent]


def detail_schema(event_type: type[DomainEvent]) -> dict[str, Any]:
    """JSON Schema of the ``detail`` an event of this type carries."""
    schema = EventDetail.model_json_schema()
    data_schema = event_type.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs.update(data_schema.pop("$defs", {}))
    defs[event_type.__name__] = data_schema
    schema["properties"]["data"] = {"$ref": f"#/$defs/{event_type.__name__}"}
    schema["title"] = event_type.name
    schema["description"] = (event_type.__doc__ or "").strip()
    return schema


def to_entry(event: DomainEvent, metadata: EventMetadata | None = None) -> dict[str, Any]:
    """The ``PutEvents`` entry for ``event``."""
    detail = EventDetail(metadata=metadata or EventMetadata(), data=event.model_dump(mode="json"))
    return {
        "Source": event.source,
        "DetailType": event.name,
        "Detail": json.dumps(detail.model_dump(mode="json"), separators=(",", ":")),
        "EventBusName": get_settings().event_bus_name,
    }


def parse_detail(detail_type: str, detail: dict[str, Any]) -> tuple[EventMetadata, DomainEvent]:
    """Validate a received ``detail`` against its registered schema."""
    event_type = EVENT_TYPES[detail_type]
    envelope = EventDetail.model_validate(detail)
    return envelope.metadata, event_type.model_validate(envelope.data)


def publish(*events: DomainEvent, best_effort: bool = False) -> list[str]:
    """Put events on the bus (batches of 10), after the change they describe is stored;
    returns their metadata event ids.

    Raises DependencyUnavailableError (or the botocore error) if EventBridge refuses, so
    the caller's own retry (a Step Functions Retry, an SQS redelivery) can try again.
    With ``best_effort`` a failure is logged and counted instead (metric
    ``<Source>EventsNotPublished``, e.g. ``CatalogEventsNotPublished``) and [] returned:
    for changes already committed whose consumers re-sync on the next event.
    """
    if not events:
        return []
    try:
        return _put(events)
    except (DependencyUnavailableError, BotoCoreError, ClientError):
        if not best_effort:
            raise
        for source in sorted({event.source for event in events}):
            logger.exception("Could not publish events", extra={"source": source})
            metrics.add_metric(name=not_published_metric(source), unit="Count", value=1)
        return []


def not_published_metric(source: str) -> str:
    """``bazaar.catalog`` → ``CatalogEventsNotPublished``."""
    return source.removeprefix(SOURCE_PREFIX).title().replace("-", "") + "EventsNotPublished"


def _put(events: tuple[DomainEvent, ...]) -> list[str]:
    ids: list[str] = []
    entries: list[dict[str, Any]] = []
    for event in events:
        metadata = EventMetadata()
        ids.append(metadata.event_id)
        entries.append(to_entry(event, metadata))
    bus = aws.client("events")
    for start in range(0, len(entries), 10):
        result = bus.put_events(Entries=entries[start : start + 10])
        if result.get("FailedEntryCount"):
            failed = [entry for entry in result["Entries"] if entry.get("ErrorCode")]
            logger.error("EventBridge refused events", extra={"failed": failed})
            raise DependencyUnavailableError("Could not publish events", details=failed)
    return ids
