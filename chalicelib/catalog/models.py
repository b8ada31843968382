"""The catalog table: every item of the shops-and-catalog context, keyed for its reads.

One table (``pk``/``sk``), three sparse GSIs, nothing Scans:

=================  ==========================  ====================  ==============================
item               pk                          sk                    gsi1 / gsi2
=================  ==========================  ====================  ==============================
Shop               ``SHOP#<id>``               ``SHOP``              gsi1 ``SHOPS`` or
                                                                     ``SHOPS#DELETED`` / time#id
SellerShop claim   ``SELLER#<account id>``     ``SHOP``
Shop slug claim    ``SHOPSLUG#<slug>``         ``SLUG``
Follow             ``SHOP#<id>``               ``FOLLOWER#<user>``   gsi1 ``USER#<user>#FOLLOWS``
Offer              ``SHOP#<id>``               ``OFFER#<offer id>``
Product            ``PRODUCT#<id>``            ``PRODUCT``           gsi1 ``SHOP#<id>#PRODUCTS`` /
                                                                     created#id; gsi2
                                                                     ``PRODUCTS#DELETED`` (sparse)
Product slug claim ``PSLUG#<shop>#<slug>``     ``SLUG``
Upload ticket      ``PRODUCT#<id>``            ``UPLOAD#<image id>``
Asset upload       ``ASSET#<id>``              ``UPLOAD#<id>``       (shop logo, site logo/banner)
Discount code      ``CODE#<CODE>``             ``CODE``              gsi1 ``SHOP#<id>#CODES``
Code use per user  ``CODE#<CODE>``             ``USER#<user>``
Site config        ``CONFIG``                  ``SITE``
=================  ==========================  ====================  ==============================

gsi3 (keys only) indexes shops and products by category — ``CAT#<category>`` /
``SHOP#<id>`` or ``SUB#<subcategory>/PRODUCT#<id>`` — so the site configuration can tell
whether a category or subcategory is still in use (Query with a count) before removing it.

Search does not read this table's products by filter: it reads its own table of
postings (``Posting``, ``PostingDoc``, ``PartitionCount`` below), kept in step from
``product.updated`` events. Only ``chalicelib.catalog.repository`` uses these models.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

ACTIVE = "ACTIVE"
DELETED = "DELETED"
SHOP_SK = "SHOP"
PRODUCT_SK = "PRODUCT"
SLUG_SK = "SLUG"
CODE_SK = "CODE"
SHOPS_LIST = "SHOPS"
SHOPS_DELETED = "SHOPS#DELETED"
PRODUCTS_DELETED = "PRODUCTS#DELETED"


def shop_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def seller_pk(account_id: str) -> str:
    return f"SELLER#{account_id}"


def shop_slug_pk(slug: str) -> str:
    return f"SHOPSLUG#{slug}"


def product_slug_pk(shop_id: str, slug: str) -> str:
    return f"PSLUG#{shop_id}#{slug}"


def shop_products_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}#PRODUCTS"


def shop_codes_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}#CODES"


def user_follows_pk(user_id: str) -> str:
    return f"USER#{user_id}#FOLLOWS"


FOLLOWER_PREFIX = "FOLLOWER#"
OFFER_PREFIX = "OFFER#"
UPLOAD_PREFIX = "UPLOAD#"
CONFIG_PK = "CONFIG"
CONFIG_SK = "SITE"


def follower_sk(user_id: str) -> str:
    return f"{FOLLOWER_PREFIX}{user_id}"


def offer_sk(offer_id: str) -> str:
    return f"{OFFER_PREFIX}{offer_id}"


def asset_pk(asset_id: str) -> str:
    return f"ASSET#{asset_id}"


def category_pk(category: str) -> str:
    return f"CAT#{category}"


SHOP_USE_PREFIX = "SHOP#"
PRODUCT_USE_PREFIX = "SUB#"


def product_use_sk(subcategory: str | None, product_id: str) -> str:
    """Category names are ``[a-z0-9-]+``, so ``/`` ends the subcategory unambiguously."""
    return f"{PRODUCT_USE_PREFIX}{subcategory or ''}/PRODUCT#{product_id}"


def subcategory_use_prefix(subcategory: str) -> str:
    return f"{PRODUCT_USE_PREFIX}{subcategory}/"


def ticket_sk(image_id: str) -> str:
    return f"{UPLOAD_PREFIX}{image_id}"


def code_use_sk(user_id: str) -> str:
    return f"USER#{user_id}"


def code_pk(code: str) -> str:
    return f"CODE#{code}"


class _Gsi1(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Lists: shops, a shop's products and codes, a user's follows (ALL projected)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Soft-deleted products by the time they may be purged (keys only, sparse)."""

    class Meta:
        index_name = "gsi2"
        projection = KeysOnlyProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _Gsi3(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Shops and products by category (keys only): is a category still in use?"""

    class Meta:
        index_name = "gsi3"
        projection = KeysOnlyProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


@bind_table("catalog_table")
class Shop(Model):
    """A seller's shop (one per seller). ``seller_banned`` mirrors identity's ban."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SHOP_SK)
    shop_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    category = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    address = JSONAttribute(null=True)
    branch = JSONAttribute(null=True)
    logo_key = UnicodeAttribute(null=True)
    settings = JSONAttribute()
    follower_count = NumberAttribute(default=0)
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    rating_rev = NumberAttribute(default=0)
    status = UnicodeAttribute(default=ACTIVE)
    seller_banned = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)
    purge_after = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    lists = _Gsi1()
    by_category = _Gsi3()

    @property
    def visible(self) -> bool:
        """Shoppers see the shop and its products."""
        return self.status == ACTIVE and not self.seller_banned


@bind_table("catalog_table")
class Claim(Model):
    """A uniqueness claim (slug, one shop per seller) naming what owns it."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    owner_id = UnicodeAttribute()


@bind_table("catalog_table")
class Product(Model):
    """A product of one shop. Prices are integer minor units of ``currency``."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=PRODUCT_SK)
    product_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    seller_id = UnicodeAttribute()
    title = UnicodeAttribute()
    slug = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    subcategory = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    tags = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    colors = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    sizes = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    regular_price = NumberAttribute()
    sale_price = NumberAttribute(null=True)
    currency = UnicodeAttribute()
    stock = NumberAttribute()
    images = JSONAttribute(default=list)
    # {"offer_id", "name", "percent_off", "starts_at", "ends_at"} while an offer covers it.
    offer = JSONAttribute(null=True)
    popularity = NumberAttribute(default=0)
    # SKU → {"stock", "color", "size", "price", "image_id", "position"}: a DynamoDB map, so
    # a reservation moves one SKU's stock in place (``variants.#sku.stock``), with ``stock``.
    variants = MapAttribute[str, Any](null=True)  # type: ignore[no-untyped-call]
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    rating_rev = NumberAttribute(default=0)
    status = UnicodeAttribute(default=ACTIVE)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)
    purge_after = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_shop = _Gsi1()
    deleted = _Gsi2()
    by_category = _Gsi3()


@bind_table("catalog_table")
class UploadTicket(Model):
    """A pre-signed image upload and what became of it (PENDING, READY or REJECTED).

    Product images have ``purpose`` unset (``product``); asset uploads (logos, banner)
    carry ``purpose``, ``owner_id`` and, once READY, ``media_key``."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    image_id = UnicodeAttribute()
    product_id = UnicodeAttribute(null=True)
    shop_id = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    media_key = UnicodeAttribute(null=True)
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    processed_at = UTCDateTimeAttribute(null=True)


@bind_table("catalog_table")
class Offer(Model):
    """A time-boxed sale: ``percent_off`` on the listed products between two instants."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    offer_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    name = UnicodeAttribute()
    percent_off = NumberAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    product_ids = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]
    created_at = UTCDateTimeAttribute()


@bind_table("catalog_table")
class DiscountCode(Model):
    """A seller's discount code; ``used`` counts redemptions (conditional increments)."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CODE_SK)
    code = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "percent" | "fixed"
    value = NumberAttribute()
    min_order = NumberAttribute(default=0)
    max_uses = NumberAttribute(null=True)
    per_user_limit = NumberAttribute(null=True)
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    used = NumberAttribute(default=0)
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_shop = _Gsi1()


@bind_table("catalog_table")
class CodeUse(Model):
    """How many times one user redeemed one code."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    uses = NumberAttribute(default=0)


@bind_table("catalog_table")
class Follow(Model):
    """A shopper follows a shop."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    shop_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_user = _Gsi1()


# ---------- the search table (postings; see chalicelib.catalog.repository.search) ----------
class ByPrice(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-price"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    price_sk = UnicodeAttribute(range_key=True)


class ByNewest(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-newest"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    newest_sk = UnicodeAttribute(range_key=True)


class ByPopularity(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-popularity"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    pop_sk = UnicodeAttribute(range_key=True)


class ByRating(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by-rating"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    rating_sk = UnicodeAttribute(range_key=True)


@bind_table("search_table")
class Posting(Model):
    """One product in one partition, with its card."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    price_sk = UnicodeAttribute()
    newest_sk = UnicodeAttribute()
    pop_sk = UnicodeAttribute()
    # Review average in hundredths (3 digits), then the number of reviews, then the id.
    rating_sk = UnicodeAttribute(null=True)
    product_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    title = UnicodeAttribute()
    slug = UnicodeAttribute()
    category = UnicodeAttribute()
    subcategory = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    brand_key = UnicodeAttribute(null=True)
    tags = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    colors = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    sizes = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    # "colour/size" pairs one can buy (a variant in stock), for a search on both at once.
    combos = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    words = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    price = NumberAttribute()
    regular_price = NumberAttribute()
    currency = UnicodeAttribute()
    offer_price = NumberAttribute(null=True)
    offer_starts = UnicodeAttribute(null=True)
    offer_ends = UnicodeAttribute(null=True)
    stock = NumberAttribute()
    popularity = NumberAttribute()
    created = UnicodeAttribute()
    thumbnail_key = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)  # review average in hundredths (0: none)
    rating_sum = NumberAttribute(null=True)
    rating_count = NumberAttribute(null=True)
    by_price = ByPrice()
    by_newest = ByNewest()
    by_popularity = ByPopularity()
    by_rating = ByRating()


@bind_table("search_table")
class PostingDoc(Model):
    """The partitions one product is posted in."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="DOC")
    partitions = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]


@bind_table("search_table")
class PartitionCount(Model):
    """How many postings a partition holds (chooses the driving partition)."""

    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="COUNT")
    n = NumberAttribute(default=0)


def doc_pk(product_id: str) -> str:
    return f"DOC#{product_id}"


def count_pk(partition: str) -> str:
    return f"COUNT#{partition}"


@bind_table("catalog_table")
class SiteConfig(Model):
    """Admin-managed site configuration: categories → subcategories, logo, banner."""

    class Meta:
        table_name = "catalog"

    pk = UnicodeAttribute(hash_key=True, default="CONFIG")
    sk = UnicodeAttribute(range_key=True, default="SITE")
    categories = JSONAttribute(default=dict)
    logo_key = UnicodeAttribute(null=True)
    banner_key = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
