"""Permanent removal of soft-deleted products and shops (the purge workflows' tasks).

``infra/statemachines/product_purge.asl.json`` and ``shop_purge.asl.json`` loop over
these steps in small batches, so no Lambda call runs long and a failure resumes on the
next scheduled run. Every step is idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import ProductStatus, ShopStatus
from chalicelib.catalog.events import ProductPurged, ShopPurged
from chalicelib.catalog.service import images, indexer, products, shops
from chalicelib.core import clock, events
from chalicelib.core.observability import logger
from chalicelib.identity import service as identity_service

MAX_ROUNDS = 200


def list_expired_products(as_of: datetime, *, limit: int = 25) -> list[str]:
    """Deleted products whose restore window closed before ``as_of``."""
    return products.expired_deleted_products(as_of, limit=limit)


def purge_product(product_id: str, *, as_of: datetime, force: bool = False) -> bool:
    """Remove a product for good: postings, image files, tickets, slug claim, the item.

    Without ``force`` only a product still deleted and past its window goes (a restore
    that raced the workflow wins). Returns whether it was purged.
    """
    product = products.get_product(product_id)
    if product is None:
        indexer.unlist(product_id)
        return False
    expired = product.purge_after is not None and product.purge_after <= as_of
    if not force and (product.status is not ProductStatus.DELETED or not expired):
        return False
    indexer.unlist(product_id)
    images.delete_files(product_id)
    if not repository.get().purge_product(product, only_if_deleted=not force):
        return False
    events.publish(ProductPurged.of(product), best_effort=True)
    return True


def purge_products(product_ids: list[str], *, as_of: datetime) -> int:
    """Purge each of ``product_ids`` that is still due; returns how many went."""
    return sum(1 for product_id in product_ids if purge_product(product_id, as_of=as_of))


def list_expired_shops(as_of: datetime, *, limit: int = 5) -> list[str]:
    """Deleted shops whose restore window closed before ``as_of``."""
    return shops.expired_deleted_shops(as_of, limit=limit)


def _due_shop(shop_id: str, as_of: datetime) -> bool:
    shop = shops.get_shop(shop_id)
    return (
        shop is not None
        and shop.status is ShopStatus.DELETED
        and shop.purge_after is not None
        and shop.purge_after <= as_of
    )


def purge_shop_products(shop_id: str, *, as_of: datetime, limit: int = 25) -> dict[str, Any]:
    """Purge up to ``limit`` products of a due shop; ``more`` says whether any remain."""
    if not _due_shop(shop_id, as_of):
        return {"purged": 0, "more": False}
    ids = products.all_shop_product_ids(shop_id)
    batch = ids[:limit]
    for product_id in batch:
        purge_product(product_id, as_of=as_of, force=True)
    return {"purged": len(batch), "more": len(ids) > limit}


def finish_shop(shop_id: str, *, as_of: datetime) -> dict[str, Any]:
    """Remove a due shop's own items and block its seller's email from signing up again."""
    shop = shops.get_shop(shop_id)
    if shop is None or not _due_shop(shop_id, as_of):
        return {"finished": False}
    remaining = products.all_shop_product_ids(shop_id)
    for product_id in remaining:
        purge_product(product_id, as_of=as_of, force=True)
    repo = repository.get()
    repo.delete_shop_belongings(shop_id)
    email = _seller_email(shop.owner_id)
    if email:
        identity_service.block_signups(email, reason="shop purged", shop_id=shop_id)
    repo.delete_shop(shop)
    _detach_account(shop.owner_id)
    events.publish(ShopPurged.of(shop, len(remaining)), best_effort=True)
    return {"finished": True, "email_blocked": bool(email)}


def _seller_email(account_id: str) -> str | None:
    return identity_service.email_of(account_id)


def _detach_account(account_id: str) -> None:
    try:
        identity_service.attach_shop(account_id, None)
    except Exception:  # noqa: BLE001 - the shop is gone either way; identity may have deleted it
        logger.exception("Could not detach the purged shop from its seller account")


def as_of_from(raw: str | None) -> datetime:
    """The workflow's reference time (its input), or now."""
    return clock.parse(raw) if raw else clock.now()
