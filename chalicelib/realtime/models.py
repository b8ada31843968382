"""The connections table (one item per open WebSocket connection) and the presence table
(one item per account: when its last connection closed)."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table


class ConnectionsByUser(GlobalSecondaryIndex["Connection"]):  # type: ignore[no-untyped-call]
    """All open connections of one user (notifications fan out over it)."""

    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    connected_at = UTCDateTimeAttribute(range_key=True)


@bind_table("connections_table")
class Connection(Model):
    """An open WebSocket connection of a signed-in account."""

    class Meta:
        table_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    session_id = UnicodeAttribute(null=True)
    connected_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    # The per-connection frame counter: the fixed window (epoch seconds // window length)
    # and the frames counted in it.
    rate_window = NumberAttribute(null=True)
    rate_count = NumberAttribute(null=True)
    by_user = ConnectionsByUser()


@bind_table("presence_table")
class Presence(Model):
    """When an account was last seen: the time its last connection closed."""

    class Meta:
        table_name = "presence"

    account_id = UnicodeAttribute(hash_key=True)
    last_seen = UTCDateTimeAttribute()
