"""The forecast table: uploaded sales histories.

============  =================  ======================  =================================
item          pk                 sk                      attributes
============  =================  ======================  =================================
Upload        ``SHOP#<shop>``    ``UPLOAD#<upload id>``  name, rows, created_at, history
                                                         (JSON: days, top products), TTL;
                                                         for the list: created, days,
                                                         first_day, last_day, products
============  =================  ======================  =================================

Index ``by_created`` (pk, ``created`` = ``<ISO time>#<upload id>``): a shop's uploads,
newest first, with only what the list shows (not the history, up to ~100 KB each).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

LISTED = [
    "upload_id",
    "shop_id",
    "name",
    "rows",
    "created_at",
    "expires_at",
    "days",
    "first_day",
    "last_day",
    "products",
]


def shop_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def upload_sk(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


class ByCreated(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_created"
        projection = IncludeProjection(LISTED)

    pk = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


@bind_table("forecast_table")
class UploadItem(Model):
    """One accepted sales CSV, aggregated."""

    class Meta:
        table_name = "forecast"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    upload_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    name = UnicodeAttribute()
    rows = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    history = UnicodeAttribute()  # JSON {"days": [[day, revenue, units]], "products": [...]}
    expires_at = NumberAttribute()
    created = UnicodeAttribute(null=True)  # time_key(created_at, upload_id): by_created
    days = NumberAttribute(null=True)
    first_day = UnicodeAttribute(null=True)  # ISO date
    last_day = UnicodeAttribute(null=True)
    products = NumberAttribute(null=True)  # distinct products in the file

    by_created = ByCreated()
