"""The recommendations table: each user's weighted engagement as of the last training run.

==============  ==================  ===========  ============================================
item            pk                  sk           attributes
==============  ==================  ===========  ============================================
Profile         ``USER#<user>``     ``PROFILE``  ``weights`` (product → weight), ``kinds``
                                                 (product → strongest engagement),
                                                 ``bought``, ``version`` (the model run)
==============  ==================  ===========  ============================================

Written by the training workflow's publish step (batch writes, one item per user); read
with one GetItem per request. Nothing Scans.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

PROFILE_SK = "PROFILE"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


@bind_table("recommendations_table")
class ProfileModel(Model):
    class Meta:
        table_name = "bazaar-local-recommendations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    weights = JSONAttribute()
    kinds = JSONAttribute()
    bought = JSONAttribute()
    version = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
