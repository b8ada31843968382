"""Events of the catalog capability (EventBridge ``detail-type`` = ``name``).

They carry ids and what changed, not the whole product: a consumer that needs the
current state reads it (so redeliveries and reordering cannot roll the index back).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.catalog.domain import Product, Shop
from chalicelib.core import clock
from chalicelib.core.events import DomainEvent

SOURCE = "bazaar.catalog"
INVENTORY = "bazaar.inventory"  # stock moved by checkouts
ProductChange = Literal[
    "created", "updated", "restored", "images", "offer", "stock", "popularity", "shop", "rating"
]
ShopChange = Literal["created", "updated", "restored", "seller_banned", "seller_unbanned"]


class ProductUpdated(DomainEvent):
    """A product was created, edited, restored, re-priced, given images or stock changed."""

    name = "product.updated"
    source = SOURCE

    product_id: str
    shop_id: str
    version: int = Field(ge=0)
    change: ProductChange

    @classmethod
    def of(cls, product: Product, change: ProductChange) -> ProductUpdated:
        return cls(
            product_id=product.product_id,
            shop_id=product.shop_id,
            version=product.version,
            change=change,
        )


class ProductDeleted(DomainEvent):
    """A seller soft-deleted a product; it can be restored until ``purge_after``."""

    name = "product.deleted"
    source = SOURCE

    product_id: str
    shop_id: str
    purge_after: str

    @classmethod
    def of(cls, product: Product) -> ProductDeleted:
        assert product.purge_after is not None
        return cls(
            product_id=product.product_id,
            shop_id=product.shop_id,
            purge_after=clock.iso(product.purge_after),
        )


class ProductPurged(DomainEvent):
    """A soft-deleted product (and its images) was removed for good."""

    name = "product.purged"
    source = SOURCE

    product_id: str
    shop_id: str

    @classmethod
    def of(cls, product: Product) -> ProductPurged:
        return cls(product_id=product.product_id, shop_id=product.shop_id)


class ShopUpdated(DomainEvent):
    """A shop was created, edited, restored, or its seller was banned or unbanned."""

    name = "shop.updated"
    source = SOURCE

    shop_id: str
    owner_id: str
    change: ShopChange

    @classmethod
    def of(cls, shop: Shop, change: ShopChange) -> ShopUpdated:
        return cls(shop_id=shop.shop_id, owner_id=shop.owner_id, change=change)


class ShopDeleted(DomainEvent):
    """A seller soft-deleted their shop; it can be restored until ``purge_after``."""

    name = "shop.deleted"
    source = SOURCE

    shop_id: str
    owner_id: str
    purge_after: str

    @classmethod
    def of(cls, shop: Shop) -> ShopDeleted:
        assert shop.purge_after is not None
        return cls(
            shop_id=shop.shop_id, owner_id=shop.owner_id, purge_after=clock.iso(shop.purge_after)
        )


class ShopPurged(DomainEvent):
    """A deleted shop and all its products were removed; its seller's email is blocked."""

    name = "shop.purged"
    source = SOURCE

    shop_id: str
    owner_id: str
    products_purged: int = Field(ge=0)

    @classmethod
    def of(cls, shop: Shop, products_purged: int) -> ShopPurged:
        return cls(shop_id=shop.shop_id, owner_id=shop.owner_id, products_purged=products_purged)


class StockUpdated(DomainEvent):
    """A product's stock (or, with ``sku``, one variant's) changed by ``delta`` units (a
    reservation, a release, a restocked return); ``stock`` is that SKU's (or product's)
    stock now, ``product_stock`` the product's total."""

    name = "stock.updated"
    source = INVENTORY

    product_id: str
    shop_id: str
    stock: int = Field(ge=0)
    delta: int
    reason: str
    sku: str | None = None
    product_stock: int | None = Field(default=None, ge=0)

    @classmethod
    def of(
        cls, product: Product, *, delta: int, reason: str, sku: str | None = None
    ) -> StockUpdated:
        """``product`` as it is after its stock (``sku``'s) moved by ``delta``."""
        variant = product.variant(sku) if sku else None
        return cls(
            product_id=product.product_id,
            shop_id=product.shop_id,
            stock=max(0, variant.stock if variant else product.stock),
            delta=delta,
            reason=reason,
            sku=sku,
            product_stock=product.stock,
        )


class StockLow(DomainEvent):
    """A product's stock fell to or below its shop's low-stock threshold (sellers alerted)."""

    name = "stock.low"
    source = INVENTORY

    product_id: str
    shop_id: str
    stock: int = Field(ge=0)
    threshold: int = Field(ge=0)
    sku: str | None = None

    @classmethod
    def of(cls, product: Product, *, threshold: int, sku: str | None = None) -> StockLow:
        """``stock``: the SKU's when ``sku`` is given (alerts are per SKU), else the product's."""
        variant = product.variant(sku) if sku else None
        return cls(
            product_id=product.product_id,
            shop_id=product.shop_id,
            stock=max(0, variant.stock if variant else product.stock),
            threshold=threshold,
            sku=sku,
        )
