"""Keeps the search index in step with the catalog, from events on the bus.

Consumes ``product.*`` and ``shop.*`` (catalog) and ``account.banned`` /
``account.unbanned`` (identity). Each handler re-reads the current state and rewrites
the affected postings, so redeliveries and out-of-order events converge.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import Shop, is_listed
from chalicelib.catalog.service import shops
from chalicelib.core.observability import logger

PRODUCT_EVENTS = {"product.updated", "product.deleted", "product.purged"}
SHOP_EVENTS = {"shop.updated", "shop.deleted", "shop.purged"}
BAN_EVENTS = {"account.banned": True, "account.unbanned": False}


def reindex_product(product_id: str, shop_cache: dict[str, Shop | None] | None = None) -> int:
    """Rewrite one product's postings from its current state; returns postings written."""
    repo = repository.get()
    product = repo.product(product_id)
    shop: Shop | None = None
    if product is not None:
        cache = shop_cache if shop_cache is not None else {}
        if product.shop_id not in cache:
            cache[product.shop_id] = repo.shop(product.shop_id)
        shop = cache[product.shop_id]
    return repo.sync_postings(product_id, product if is_listed(product, shop) else None)


def reindex_shop(shop_id: str) -> int:
    """Rewrite the postings of every product of a shop (after a delete, restore or ban)."""
    repo = repository.get()
    cache: dict[str, Shop | None] = {shop_id: repo.shop(shop_id)}
    ids = repo.shop_product_ids(shop_id)
    for product_id in ids:
        reindex_product(product_id, cache)
    return len(ids)


def unlist(product_id: str) -> None:
    """Remove a product's postings (it is being purged)."""
    repository.get().sync_postings(product_id, None)


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
