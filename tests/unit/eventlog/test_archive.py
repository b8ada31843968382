"""Archiving bus events (the use case) on the in-memory archive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.events import BusEvent
from chalicelib.event_types import load_all
from chalicelib.eventlog import repository, service
from chalicelib.eventlog.errors import SchemaViolationError
from tests.fakes.eventlog import InMemoryEventArchive
from tests.fixtures.aws import load_event

load_all()
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture
def archive() -> Iterator[InMemoryEventArchive]:
    fake = InMemoryEventArchive()
    repository.use(fake)
    yield fake
    repository.use(None)


def bus_event(name: str = "media.uploaded", **data_changes: Any) -> BusEvent:
    raw = load_event(f"bus/{name}.json")
    raw["detail"]["data"].update(data_changes)
    return BusEvent.model_validate(raw)


def test_an_event_is_archived_once_under_its_own_id(archive: InMemoryEventArchive) -> None:
    # Given a media.uploaded event from the bus
    event = bus_event()
    # When it is archived, then delivered again
    with clock.controlled(NOW):
        first = service.archive(event)
        again = service.archive(event)
    # Then it was stored once, keyed by its metadata id, for 90 days, as it came
    assert (first, again) == (True, False)
    (entry,) = archive.entries.values()
    assert entry.event_id == event.detail.metadata.event_id
    assert (entry.detail_type, entry.source, entry.bus_event_id) == (
        "media.uploaded",
        "bazaar.media",
        event.id,
    )
    assert entry.occurred_at == event.detail.metadata.occurred_at
    assert entry.schema_known is True
    assert entry.detail == load_event("bus/media.uploaded.json")["detail"]
    assert (entry.archived_at, entry.expires_at) == (NOW, NOW + timedelta(days=90))


def test_a_known_event_that_breaks_its_schema_is_refused(archive: InMemoryEventArchive) -> None:
    # Given a media.uploaded whose size is negative
    event = bus_event(size=-5)
    # When it is archived; Then it is refused as a schema violation and nothing is stored
    with pytest.raises(SchemaViolationError, match=r"media\.uploaded"):
        service.archive(event)
    assert archive.entries == {}


def test_an_unknown_event_type_is_kept_without_a_schema_check(
    archive: InMemoryEventArchive,
) -> None:
    # Given an event of a type this code does not know yet
    raw = load_event("bus/media.uploaded.json")
    raw["detail-type"] = "future.thing_happened"
    raw["detail"]["data"] = {"anything": True}
    event = BusEvent.model_validate(raw)
    # When it is archived
    assert service.archive(event) is True
    # Then it is kept, marked as not checked
    (entry,) = archive.entries.values()
    assert entry.schema_known is False
    assert entry.detail["data"] == {"anything": True}
