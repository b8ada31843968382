"""Shops: one per seller; edit, follow, soft delete with a restore window, ban mirroring.

A shop's owner is recorded on the seller's account by identity (``attach_shop``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import Shop, ShopStatus, slugify
from chalicelib.catalog.errors import RestoreWindowClosedError, StaleVersionError
from chalicelib.catalog.events import ShopChange, ShopDeleted, ShopUpdated
from chalicelib.catalog.schemas import ShopInput
from chalicelib.catalog.service import assets
from chalicelib.catalog.service.site_config import require_category
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.identity import service as identity_service

DEFAULT_SETTINGS: dict[str, Any] = {"low_stock_threshold": 5, "channels": ["app", "websocket"]}


def get_shop(shop_id: str) -> Shop | None:
    """The shop, whatever its state, or None."""
    return repository.get().shop(shop_id)


def shop_of_seller(account_id: str) -> Shop | None:
    """The seller's shop (deleted ones too), or None."""
    return repository.get().shop_of_seller(account_id)


def staff_of(shop_id: str) -> list[str]:
    """The accounts that act for a shop (chat answers, shop notifications): today its
    seller; branch admins join this list when branches have their own accounts. Empty
    for an unknown shop."""
    shop = get_shop(shop_id)
    return [shop.owner_id] if shop is not None else []


def visible_shop(shop_id: str) -> Shop:
    """A shop shoppers may see; NotFoundError for deleted, banned or unknown shops."""
    shop = get_shop(shop_id)
    if shop is None or not shop.visible:
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    return shop


def owned_shop(caller: Caller, shop_id: str | None = None) -> Shop:
    """The caller's own shop (admins: any shop by id).

    NotFoundError for an unknown shop and, with the same body, for another seller's.
    """
    if shop_id is None:
        shop = shop_of_seller(caller.account_id)
        if shop is None:
            raise NotFoundError("You have no shop yet: create one first")
        return shop
    shop = get_shop(shop_id)
    if shop is None or (shop.owner_id != caller.account_id and not caller.is_admin):
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    return shop


def create_shop(caller: Caller, body: ShopInput) -> Shop:
    """Open the seller's one shop; ConflictError if they have one or the slug is taken."""
    if not caller.is_seller:
        raise ForbiddenError("Only sellers open shops")
    draft = _values(body)
    missing = [name for name in ("name", "category") if draft.get(name) is None]
    if missing:
        raise ValidationFailedError(
            f"Invalid request: {', '.join(missing)}",
            details=[{"field": n, "message": "Field required", "type": "missing"} for n in missing],
        )
    require_category(draft["category"], None)
    if draft.get("logo_key") is not None:
        assets.require_accepted(caller, draft["logo_key"], purpose="shop_logo", field="logo_key")
    now = clock.now()
    slug = draft.get("slug") or slugify(draft["name"])
    shop = Shop(
        shop_id=new_id(),
        owner_id=caller.account_id,
        name=draft["name"],
        slug=slug,
        category=draft["category"],
        description=draft.get("description"),
        address=draft.get("address"),
        branch=draft.get("branch"),
        logo_key=draft.get("logo_key"),
        settings={**DEFAULT_SETTINGS, **(draft.get("settings") or {})},
        created_at=now,
        updated_at=now,
    )
    try:
        shop = repository.get().add_shop(shop)
    except repository.ClaimTaken:
        if shop_of_seller(caller.account_id) is not None:
            raise ConflictError("You already have a shop") from None
        raise ConflictError(f"The shop address {slug!r} is taken", details={"slug": slug}) from None
    # The seller's account carries its shop id (tokens read it there).
    identity_service.attach_shop(caller.account_id, shop.shop_id)
    events.publish(ShopUpdated.of(shop, "created"), best_effort=True)
    return shop


def _values(body: ShopInput) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}


def update_shop(caller: Caller, shop_id: str, body: ShopInput) -> Shop:
    """Edit a shop the caller owns; slug changes move the slug claim atomically."""
    shop = owned_shop(caller, shop_id)
    if shop.status is not ShopStatus.ACTIVE:
        raise ConflictError("A deleted shop cannot be edited; restore it first")
    # Fields sent as null are cleared (the schema refuses null where it makes no sense).
    draft = body.model_dump(exclude_unset=True)
    if "category" in draft:
        require_category(draft["category"], None)
    if draft.get("logo_key") is not None and draft["logo_key"] != shop.logo_key:
        assets.require_accepted(caller, draft["logo_key"], purpose="shop_logo", field="logo_key")
    changes: dict[str, Any] = {
        name: draft[name]
        for name in ("name", "category", "description", "address", "branch", "logo_key", "slug")
        if name in draft
    }
    if "settings" in draft:
        changes["settings"] = {**shop.settings, **draft["settings"]}
    edited = replace(shop, **changes, updated_at=clock.now())
    try:
        saved = repository.get().save_shop(edited, old_slug=shop.slug)
    except repository.WriteRefused:
        raise ConflictError(
            "The shop changed meanwhile, or its new address is taken",
            details={"slug": edited.slug},
        ) from None
    events.publish(ShopUpdated.of(saved, "updated"), best_effort=True)
    return saved


def list_shops(*, limit: int, cursor: str | None) -> Page[Shop]:
    """Visible shops, newest first."""
    page = repository.get().listed_shops(limit=limit, cursor=cursor)
    return Page(items=[shop for shop in page.items if shop.visible], next_cursor=page.next_cursor)


def delete_shop(caller: Caller, shop_id: str) -> Shop:
    """Soft-delete a shop; its products disappear from search; restorable for N days."""
    shop = owned_shop(caller, shop_id)
    if shop.status is ShopStatus.DELETED:
        return shop
    now = clock.now()
    purge_after = now + timedelta(days=get_settings().shop_restore_days)
    try:
        deleted = repository.get().set_shop_deleted(shop, deleted_at=now, purge_after=purge_after)
    except repository.WriteRefused:
        raise StaleVersionError("The shop changed meanwhile; try again") from None
    events.publish(ShopDeleted.of(deleted), best_effort=True)
    return deleted


def restore_shop(caller: Caller, shop_id: str) -> Shop:
    """Undo a soft delete within the restore window; RestoreWindowClosedError after it."""
    shop = owned_shop(caller, shop_id)
    if shop.status is ShopStatus.ACTIVE:
        return shop
    if shop.purge_after is None or clock.now() >= shop.purge_after:
        raise RestoreWindowClosedError("The restore window of this shop has closed")
    try:
        restored = repository.get().set_shop_restored(shop)
    except repository.WriteRefused:
        raise StaleVersionError("The shop changed meanwhile; try again") from None
    events.publish(ShopUpdated.of(restored, "restored"), best_effort=True)
    return restored


def set_seller_banned(account_id: str, banned: bool) -> Shop | None:
    """Mirror identity's ban on the seller's shop (hides it and its products)."""
    shop = shop_of_seller(account_id)
    if shop is None or shop.seller_banned == banned:
        return shop
    shop = repository.get().set_seller_banned(shop, banned)
    change: ShopChange = "seller_banned" if banned else "seller_unbanned"
    events.publish(ShopUpdated.of(shop, change), best_effort=True)
    return shop


def expired_deleted_shops(as_of: datetime, *, limit: int) -> list[str]:
    """Ids of deleted shops whose restore window closed before ``as_of`` (oldest first)."""
    return repository.get().expired_shops(as_of, limit=limit)


# ---------- follows ----------
def follow(caller: Caller, shop_id: str) -> Shop:
    """Follow a visible shop (idempotent); the shop's follower count follows."""
    shop = visible_shop(shop_id)
    repository.get().follow(shop, caller.account_id, now=clock.now())
    return visible_shop(shop_id)


def unfollow(caller: Caller, shop_id: str) -> Shop:
    """Stop following (idempotent)."""
    shop = get_shop(shop_id)
    if shop is None:
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    repository.get().unfollow(shop, caller.account_id)
    refreshed = get_shop(shop_id)
    assert refreshed is not None
    return refreshed


def followed_shops(caller: Caller, *, limit: int, cursor: str | None) -> Page[str]:
    """Ids of the shops the caller follows, newest first."""
    return repository.get().followed_shop_ids(caller.account_id, limit=limit, cursor=cursor)
