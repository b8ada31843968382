"""The carts table: a shopper's cart and wishlist.

==============  ==================  ====================  ===================================
item            pk                  sk                    gsi1
==============  ==================  ====================  ===================================
Cart header     ``CART#<user>``     ``META``              ``CARTS#OPEN`` / last activity#user
                                                          (``CARTS#ABANDONED`` once reported)
Cart line       ``CART#<user>``     ``ITEM#<product>``
Wishlist entry  ``WISH#<user>``     ``ITEM#<product>``
Bought receipt  ``CART#<user>``     ``BOUGHT#<id>``       TTL ``expires_at``; id = checkout
==============  ==================  ====================  ===================================

A bought receipt records that a paid checkout's lines left the cart (so a repeated saga
step takes nothing twice). A cart is one Query; the abandoned-cart job Queries gsi1 by
last activity (no Scan).
Lines hold only product ids and quantities: prices and stock are always read live.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

META_SK = "META"
ITEM_PREFIX = "ITEM#"
BOUGHT_PREFIX = "BOUGHT#"
OPEN_CARTS = "CARTS#OPEN"
ABANDONED_CARTS = "CARTS#ABANDONED"


def cart_pk(user_id: str) -> str:
    return f"CART#{user_id}"


def wish_pk(user_id: str) -> str:
    return f"WISH#{user_id}"


def item_sk(key: str) -> str:
    """A line's (``product`` or ``product#sku``) or a wishlist entry's sort key."""
    return f"{ITEM_PREFIX}{key}"


class CartsByActivity(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Cart headers by last activity (the abandoned-cart job reads the oldest)."""

    class Meta:
        index_name = "gsi1"
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


@bind_table("carts_table")
class CartHeader(Model):
    """A cart's code and activity."""

    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=META_SK)
    user_id = UnicodeAttribute()
    code = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    abandoned_at = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_activity = CartsByActivity()


@bind_table("carts_table")
class CartLine(Model):
    """One product and its quantity in a cart."""

    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    product_id = UnicodeAttribute()
    quantity = NumberAttribute()
    added_at = UTCDateTimeAttribute()
    unit_price = NumberAttribute(null=True)  # as the shopper last saw it
    sku = UnicodeAttribute(null=True)  # one of the product's variants (ITEM#<product>#<sku>)


@bind_table("carts_table")
class WishlistEntry(Model):
    """A product a shopper saved for later."""

    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    product_id = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()


@bind_table("carts_table")
class BoughtReceipt(Model):
    """A paid checkout whose units were taken out of the cart."""

    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute()
