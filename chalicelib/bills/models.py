"""The bills table: bill posts, their likes, decisions, and the perceptual-hash index.

==============  =======================  ===================  ==================================
item            pk                       sk                   indexes
==============  =======================  ===================  ==================================
Post            ``POST#<post>``          ``META``             gsi1 ``STATUS#<status>`` / time#post
                                                              gsi2 ``SHOP#<shop>#<status>`` / …
Like            ``POST#<post>``          ``LIKE#<account>``
Audit entry     ``POST#<post>``          ``AUDIT#<time>#<id>``
Hash band       ``PHASH#<i>#<16 bits>``  ``<post>``           (the near-duplicate lookup)
==============  =======================  ===================  ==================================

gsi1 lists posts by status (the feed reads ``STATUS#VERIFIED`` newest first; admins read
``STATUS#FAILED`` and ``STATUS#NEEDS_REVIEW``); gsi2 the same per shop. A perceptual hash
is stored as four 16-bit bands: two hashes within 3 bits share a band (pigeonhole), so a
near-duplicate is found by four Queries, never a Scan.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

META_SK = "META"
LIKE_PREFIX = "LIKE#"
AUDIT_PREFIX = "AUDIT#"


def post_pk(post_id: str) -> str:
    return f"POST#{post_id}"


def status_pk(status: str) -> str:
    return f"STATUS#{status}"


def shop_pk(shop_id: str, status: str) -> str:
    return f"SHOP#{shop_id}#{status}"


def band_pk(index: int, value: int) -> str:
    return f"PHASH#{index}#{value:04x}"


class ByStatus(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByShop(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


@bind_table("bills_table")
class PostItem(Model):
    """A bill post; its fields as one JSON document besides the keys."""

    class Meta:
        table_name = "bills"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META_SK)
    status = UnicodeAttribute()
    body = UnicodeAttribute()
    likes = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_status = ByStatus()
    by_shop = ByShop()


@bind_table("bills_table")
class Marker(Model):
    """A like, an audit entry or a hash band: keys and a small payload."""

    class Meta:
        table_name = "bills"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    data = UnicodeAttribute(null=True)
    phash = UnicodeAttribute(null=True)


@bind_table("bills_table")
class PostCounters(Model):
    """The post item seen as its counters only (a like adds to ``likes`` and ``version``
    without the optimistic-lock condition pynamodb puts on ``PostItem`` writes)."""

    class Meta:
        table_name = "bills"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META_SK)
    likes = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
