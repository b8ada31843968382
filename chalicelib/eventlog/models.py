"""The event archive table."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table


class EventsByType(GlobalSecondaryIndex["ArchivedEvent"]):  # type: ignore[no-untyped-call]
    """Events of one type in time order."""

    class Meta:
        index_name = "by-type"
        projection = AllProjection()

    detail_type = UnicodeAttribute(hash_key=True)
    occurred_at = UnicodeAttribute(range_key=True)


@bind_table("event_archive_table")
class ArchivedEvent(Model):
    """One domain event, keyed by its own ``metadata.event_id``."""

    class Meta:
        table_name = "event-archive"

    event_id = UnicodeAttribute(hash_key=True)
    detail_type = UnicodeAttribute()
    source = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    bus_event_id = UnicodeAttribute()
    detail = JSONAttribute()
    schema_known = BooleanAttribute()
    archived_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    by_type = EventsByType()
