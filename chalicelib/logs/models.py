"""The logs table.

==============  =======================  ======================  =========================
item            pk                       sk                      notes
==============  =======================  ======================  =========================
Log entry       ``LOG#<YYYY-MM-DDTHH>``  ``<received>#<batch>#n``  hour bucket of arrival;
                                                                 TTL = retention
Batch receipt   ``BATCH#<batch>``        ``STREAMED``            streamed live once; TTL
Subscriber      ``SUBSCRIBERS``          ``<connection id>``     levels; TTL = connection's
Rate window     ``RATE#<client>``        ``<minute>``            count; TTL
==============  =======================  ======================  =========================

A download Queries the hour buckets of its range (bounded); the live stream Queries the
one ``SUBSCRIBERS`` partition (admins' connections: few). Nothing Scans.
"""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

SUBSCRIBERS = "SUBSCRIBERS"
STREAMED = "STREAMED"


def bucket_pk(hour: str) -> str:
    return f"LOG#{hour}"


@bind_table("logs_table")
class LogEntryItem(Model):
    class Meta:
        table_name = "logs"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    level = UnicodeAttribute()
    message = UnicodeAttribute()
    context = UnicodeAttribute(null=True)  # JSON
    client_time = UTCDateTimeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    app_version = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


@bind_table("logs_table")
class BatchReceipt(Model):
    class Meta:
        table_name = "logs"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=STREAMED)
    expires_at = TTLAttribute()


@bind_table("logs_table")
class SubscriberItem(Model):
    class Meta:
        table_name = "logs"

    pk = UnicodeAttribute(hash_key=True, default=SUBSCRIBERS)
    sk = UnicodeAttribute(range_key=True)  # the connection id
    account_id = UnicodeAttribute()
    levels = UnicodeSetAttribute()
    expires_at = TTLAttribute()


@bind_table("logs_table")
class RateWindow(Model):
    class Meta:
        table_name = "logs"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()
