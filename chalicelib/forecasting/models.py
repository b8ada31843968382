"""The forecast table: uploaded sales histories.

============  =================  ======================  =================================
item          pk                 sk                      attributes
============  =================  ======================  =================================
Upload        ``SHOP#<shop>``    ``UPLOAD#<upload id>``  name, rows, created_at, history
                                                         (JSON: days, top products), TTL
============  =================  ======================  =================================
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table


def shop_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def upload_sk(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


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
