"""Events of the catalog capability (EventBridge ``detail-type`` = ``name``).

They carry ids and what changed, not the whole product: a consumer that needs the
current state reads it (so redeliveries and reordering cannot roll the index back).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.events import DomainEvent

SOURCE = "bazaar.catalog"


class ProductUpdated(DomainEvent):
    """A product was created, edited, restored, re-priced, given images or stock changed."""

    name = "product.updated"
    source = SOURCE

    product_id: str
    shop_id: str
    version: int = Field(ge=0)
    change: Literal[
        "created", "updated", "restored", "images", "offer", "stock", "popularity", "shop"
    ]


class ProductDeleted(DomainEvent):
    """A seller soft-deleted a product; it can be restored until ``purge_after``."""

    name = "product.deleted"
    source = SOURCE

    product_id: str
    shop_id: str
    purge_after: str


class ProductPurged(DomainEvent):
    """A soft-deleted product (and its images) was removed for good."""

    name = "product.purged"
    source = SOURCE

    product_id: str
    shop_id: str


class ShopUpdated(DomainEvent):
    """A shop was created, edited, restored, or its seller was banned or unbanned."""

    name = "shop.updated"
    source = SOURCE

    shop_id: str
    owner_id: str
    change: Literal["created", "updated", "restored", "seller_banned", "seller_unbanned"]


class ShopDeleted(DomainEvent):
    """A seller soft-deleted their shop; it can be restored until ``purge_after``."""

    name = "shop.deleted"
    source = SOURCE

    shop_id: str
    owner_id: str
    purge_after: str


class ShopPurged(DomainEvent):
    """A deleted shop and all its products were removed; its seller's email is blocked."""

    name = "shop.purged"
    source = SOURCE

    shop_id: str
    owner_id: str
    products_purged: int = Field(ge=0)
