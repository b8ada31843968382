"""The reviews table: reviews, claims, votes, audit entries and rating aggregates.

=================  =======================  =====================  =========================
item               pk                       sk                     indexes
=================  =======================  =====================  =========================
Review             ``REVIEW#<id>``          ``REVIEW``             gsi1 the subject:
                                                                   ``PRODUCT#<product>`` or
                                                                   (a shop review)
                                                                   ``SHOP#<shop>``,
                                                                   gsi2 ``SHOP#<shop>``,
                                                                   gsi4 ``REVIEWS`` (each by
                                                                   created#id); gsi3
                                                                   ``MODERATION`` while queued
Author claim       ``AUTHOR#<user>``        ``PRODUCT#<product>``  (one review per shopper
                                            / ``SHOP#<shop>``      per product or shop)
Checked photo      ``AUTHOR#<user>``        ``PHOTO#<photo>``      (a photo that passed the
                                                                   image checks, reusable by
                                                                   its author's next attempt)
Vote               ``REVIEW#<id>``          ``HELPFUL#<user>`` /
                                            ``REPORT#<user>``
Audit entry        ``REVIEW#<id>``          ``AUDIT#<time>#<id>``
Aggregate          ``AGG#PRODUCT#<id>`` /   ``AGG``
                   ``AGG#SHOP#<id>``
=================  =======================  =====================  =========================

Hidden and deleted reviews keep their gsi1/gsi2 keys (their seller and admins see them);
public lists filter on ``status``. gsi3 is sparse: only queued reviews carry its keys.
Nothing Scans.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

REVIEW_SK = "REVIEW"
AGG_SK = "AGG"
ALL_REVIEWS = "REVIEWS"
MODERATION = "MODERATION"


def review_pk(review_id: str) -> str:
    return f"REVIEW#{review_id}"


def claim_pk(user_id: str) -> str:
    return f"AUTHOR#{user_id}"


def claim_sk(kind: str, subject_id: str) -> str:
    return f"{kind.upper()}#{subject_id}"


def subject_pk(kind: str, subject_id: str) -> str:
    """gsi1's partition: a product's reviews, or the reviews of a shop itself."""
    return f"{kind.upper()}#{subject_id}"


def shop_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def vote_sk(kind: str, user_id: str) -> str:
    return f"{kind}#{user_id}"


def aggregate_pk(kind: str, subject_id: str) -> str:
    return f"AGG#{kind.upper()}#{subject_id}"


class ByProduct(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
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


class InModeration(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Everything(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


@bind_table("reviews_table")
class Review(Model):
    """A review (its former versions, reply and sentiment inside)."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=REVIEW_SK)
    review_id = UnicodeAttribute()
    product_id = UnicodeAttribute(null=True)  # None: a review of the shop itself
    shop_id = UnicodeAttribute()
    seller_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)  # a shop review's verified bill post
    photos = JSONAttribute(null=True)  # [{photo_id, key, width, height}]
    rating = NumberAttribute()
    title = UnicodeAttribute()
    text = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=1)
    edits = JSONAttribute(null=True)
    reply = JSONAttribute(null=True)
    sentiment = JSONAttribute(null=True)
    problems = JSONAttribute(null=True)
    counted_rating = NumberAttribute(null=True)
    helpful_count = NumberAttribute(default=0)
    report_count = NumberAttribute(default=0)
    moderation = UnicodeSetAttribute(null=True)
    hidden_reason = UnicodeAttribute(null=True)
    hidden_by = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute()
    gsi4sk = UnicodeAttribute()
    by_product = ByProduct()
    by_shop = ByShop()
    in_moderation = InModeration()
    everything = Everything()


@bind_table("reviews_table")
class Claim(Model):
    """A shopper's one review of a product."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    review_id = UnicodeAttribute()


def photo_sk(photo_id: str) -> str:
    return f"PHOTO#{photo_id}"


@bind_table("reviews_table")
class CheckedPhoto(Model):
    """A shopper's uploaded photo that passed the image checks (its rendition's key)."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    key = UnicodeAttribute()
    width = NumberAttribute()
    height = NumberAttribute()


@bind_table("reviews_table")
class Vote(Model):
    """A shopper's helpful mark or report on a review (once each)."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()


@bind_table("reviews_table")
class Audit(Model):
    """An admin's hide or restore, with the reason."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UTCDateTimeAttribute()


@bind_table("reviews_table")
class Aggregate(Model):
    """A product's or shop's counted ratings."""

    class Meta:
        table_name = "reviews"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=AGG_SK)
    counted = NumberAttribute(default=0)  # not "count": pynamodb models have count()
    total = NumberAttribute(default=0)
    r1 = NumberAttribute(default=0)
    r2 = NumberAttribute(default=0)
    r3 = NumberAttribute(default=0)
    r4 = NumberAttribute(default=0)
    r5 = NumberAttribute(default=0)
    revision = NumberAttribute(default=0)
