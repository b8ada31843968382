"""The event archive's contract: the in-memory fake and DynamoDB keep each event once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.eventlog.domain import ArchiveEntry
from chalicelib.eventlog.repository import DynamoEventArchive, EventArchive
from tests.fakes.eventlog import InMemoryEventArchive

AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
ENTRY = ArchiveEntry(
    event_id="0d9c7e1e-6c1f-4e55-9d8e-2b1f7a1c0001",
    detail_type="media.uploaded",
    source="bazaar.media",
    occurred_at="2026-11-21T10:00:00+00:00",
    bus_event_id="bus-1",
    detail={"metadata": {"event_id": "0d9c7e1e-6c1f-4e55-9d8e-2b1f7a1c0001"}, "data": {}},
    schema_known=True,
    archived_at=AT,
    expires_at=AT + timedelta(days=90),
)


@pytest.fixture(params=["in-memory", "dynamodb"])
def archive(request: pytest.FixtureRequest) -> EventArchive:
    if request.param == "in-memory":
        return InMemoryEventArchive()
    request.getfixturevalue("aws_env")
    return DynamoEventArchive()


def test_an_event_id_is_kept_once(archive: EventArchive) -> None:
    # Given an archived entry
    assert archive.add(ENTRY) is True
    # When the same event arrives again (even re-published under a new bus id)
    again = archive.add(replace(ENTRY, bus_event_id="bus-2"))
    # Then nothing more is kept
    assert again is False
    # And another event is kept
    assert archive.add(replace(ENTRY, event_id="another")) is True
