"""The notifications table.

=============  ================  ===============  ==========================================
item           pk                sk               indexes (sparse) and TTL
=============  ================  ===============  ==========================================
Notification   ``USER#<r>``      ``N#<id>``       gsi1 ``UNREAD#<r>`` / id while unread;
                                                  gsi2 ``DIGEST#<shard>`` / time#r#id while a
                                                  chat notification waits for the digest;
                                                  gsi3 ``THREAD#<r>#<conversation>`` / id
                                                  while an unread chat one; TTL expires_at
Receipt        ``USER#<r>``      ``KEY#<key>``    TTL expires_at: the notification for this
                                                  natural key was made (once per receiver)
Preferences    ``USER#<r>``      ``PREFS``
=============  ================  ===============  ==========================================

Ids are time-ordered, so ``N#`` items and every index list newest first by sort key. A
receiver's list is one Query; unread, the digest and a conversation's unread ones are
Queries of sparse indexes (no Scan anywhere).
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

NOTIFICATION_PREFIX = "N#"
RECEIPT_PREFIX = "KEY#"
PREFS_SK = "PREFS"
DIGEST_SHARDS = 4


def user_pk(receiver_id: str) -> str:
    return f"USER#{receiver_id}"


def notification_sk(notification_id: str) -> str:
    return f"{NOTIFICATION_PREFIX}{notification_id}"


def unread_pk(receiver_id: str) -> str:
    return f"UNREAD#{receiver_id}"


def thread_pk(receiver_id: str, thread_id: str) -> str:
    return f"THREAD#{receiver_id}#{thread_id}"


def digest_shard(receiver_id: str) -> str:
    """The digest partition of a receiver (a few, so one partition is not hot)."""
    return f"DIGEST#{zlib.crc32(receiver_id.encode()) % DIGEST_SHARDS}"


def digest_shards() -> list[str]:
    return [f"DIGEST#{n}" for n in range(DIGEST_SHARDS)]


class Unread(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A receiver's unread notifications, by id."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class DigestDue(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Chat notifications waiting for the email digest, by time (few shards)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ThreadUnread(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A receiver's unread chat notifications of one conversation."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


@bind_table("notifications_table")
class NotificationItem(Model):
    """One notification to one receiver."""

    class Meta:
        table_name = "notifications"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    notification_id = UnicodeAttribute()
    receiver_id = UnicodeAttribute()
    creator = UnicodeAttribute()
    category = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    message = UnicodeAttribute()
    link = UnicodeAttribute(null=True)
    subject_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute(null=True)
    read = BooleanAttribute(default=False)
    read_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    unread = Unread()
    digest_due = DigestDue()
    thread_unread = ThreadUnread()


@bind_table("notifications_table")
class Receipt(Model):
    """A natural key already notified to one receiver."""

    class Meta:
        table_name = "notifications"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    notification_id = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


@bind_table("notifications_table")
class PreferencesItem(Model):
    """A receiver's channel choices as JSON ``{category: {channel: bool}}``."""

    class Meta:
        table_name = "notifications"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=PREFS_SK)
    choices = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
