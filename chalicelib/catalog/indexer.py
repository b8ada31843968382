"""Keeps the search index in step with the catalog, from events on the bus.

Consumes ``product.*`` and ``shop.*`` (catalog) and ``account.banned`` /
``account.unbanned`` (identity). Each handler re-reads the current state and rewrites
the affected postings, so redeliveries and out-of-order events converge.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import products, search_index, shops
from chalicelib.catalog.models import Shop
from chalicelib.core.observability import logger

PRODUCT_EVENTS = {"product.updated", "product.deleted", "product.purged"}
SHOP_EVENTS = {"shop.updated", "shop.deleted", "shop.purged"}
BAN_EVENTS = {"account.banned": True, "account.unbanned": False}


def reindex_product(product_id: str, shop_cache: dict[str, Shop | None] | None = None) -> int:
    """Rewrite one product's postings from its current state; returns postings written."""
    product = products.get_product(product_id)
    shop: Shop | None = None
    if product is not None:
        cache = shop_cache if shop_cache is not None else {}
        if product.shop_id not in cache:
            cache[product.shop_id] = shops.get_shop(product.shop_id)
        shop = cache[product.shop_id]
    return search_index.sync_product(product_id, product, shop)


def reindex_shop(shop_id: str) -> int:
    """Rewrite the postings of every product of a shop (after a delete, restore or ban)."""
    cache: dict[str, Shop | None] = {shop_id: shops.get_shop(shop_id)}
    ids = products.all_shop_product_ids(shop_id)
    for product_id in ids:
        reindex_product(product_id, cache)
    return len(ids)


def handle(event: dict[str, Any]) -> dict[str, Any]:
    """Apply one bus event (EventBridge envelope) to the index.

    Idempotent by construction (each handler rewrites from the current state), so a
    redelivered event costs a rewrite, never a wrong index; no idempotency record needed.
    """
    detail_type = event["detail-type"]
    data = event["detail"]["data"]
    if detail_type in PRODUCT_EVENTS:
        return {"postings": reindex_product(data["product_id"])}
    if detail_type in SHOP_EVENTS:
        return {"products": reindex_shop(data["shop_id"])}
    if detail_type in BAN_EVENTS:
        shop = shops.set_seller_banned(data["account_id"], BAN_EVENTS[detail_type])
        return {"shop_id": shop.shop_id if shop else None}
    logger.warning("Ignoring an event the indexer does not handle", extra={"type": detail_type})
    return {"ignored": detail_type}
