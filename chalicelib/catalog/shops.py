"""Shops: one per seller; edit, follow, soft delete with a restore window, ban mirroring."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.catalog.actor import Actor
from chalicelib.catalog.common import new_id, publish, slugify
from chalicelib.catalog.errors import RestoreWindowClosedError, StaleVersionError
from chalicelib.catalog.events import ShopDeleted, ShopUpdated
from chalicelib.catalog.inputs import ShopInput
from chalicelib.catalog.models import (
    ACTIVE,
    DELETED,
    SHOP_SK,
    SHOPS_DELETED,
    SHOPS_LIST,
    SLUG_SK,
    Claim,
    Follow,
    Shop,
    seller_pk,
    shop_pk,
    shop_slug_pk,
    user_follows_pk,
)
from chalicelib.catalog.site_config import require_category
from chalicelib.core import clock
from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.identity import service as identity_service

DEFAULT_SETTINGS: dict[str, Any] = {"low_stock_threshold": 5, "channels": ["app", "websocket"]}


def _list_key(moment: datetime, shop_id: str) -> str:
    return f"{clock.iso(moment)}#{shop_id}"


def _cancelled(error: TransactWriteError) -> bool:
    return error.cause_response_code == "TransactionCanceledException"


def get_shop(shop_id: str) -> Shop | None:
    """The shop, whatever its state, or None."""
    try:
        return Shop.get(shop_pk(shop_id), SHOP_SK, consistent_read=True)
    except Shop.DoesNotExist:
        return None


def shop_of_seller(account_id: str) -> Shop | None:
    """The seller's shop (deleted ones too), or None."""
    try:
        claim = Claim.get(seller_pk(account_id), SHOP_SK, consistent_read=True)
    except Claim.DoesNotExist:
        return None
    return get_shop(claim.owner_id)


def visible_shop(shop_id: str) -> Shop:
    """A shop shoppers may see; NotFoundError for deleted, banned or unknown shops."""
    shop = get_shop(shop_id)
    if shop is None or not shop.visible:
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    return shop


def owned_shop(actor: Actor, shop_id: str | None = None) -> Shop:
    """The actor's own shop (admins: any shop by id). 404 unknown, 403 someone else's."""
    if shop_id is None:
        shop = shop_of_seller(actor.account_id)
        if shop is None:
            raise NotFoundError("You have no shop yet: create one first")
        return shop
    shop = get_shop(shop_id)
    if shop is None:
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    if shop.owner_id != actor.account_id and not actor.is_admin:
        raise ForbiddenError("This shop belongs to another seller")
    return shop


def _attach_to_account(account_id: str, shop_id: str | None) -> None:
    # The seller's account carries its shop id (tokens read it there).
    identity_service.attach_shop(account_id, shop_id)


def create_shop(actor: Actor, body: ShopInput) -> Shop:
    """Open the seller's one shop; ConflictError if they have one or the slug is taken."""
    if not actor.is_seller:
        raise ForbiddenError("Only sellers open shops")
    draft = _values(body)
    missing = [name for name in ("name", "category") if draft.get(name) is None]
    if missing:
        raise ValidationFailedError(
            f"Invalid request: {', '.join(missing)}",
            details=[{"field": n, "message": "Field required", "type": "missing"} for n in missing],
        )
    require_category(draft["category"], None)
    now = clock.now()
    shop_id = new_id()
    slug = draft.get("slug") or slugify(draft["name"])
    shop = Shop(
        pk=shop_pk(shop_id),
        shop_id=shop_id,
        owner_id=actor.account_id,
        name=draft["name"],
        slug=slug,
        category=draft["category"],
        description=draft.get("description"),
        address=draft.get("address"),
        branch=draft.get("branch"),
        logo_key=draft.get("logo_key"),
        settings={**DEFAULT_SETTINGS, **(draft.get("settings") or {})},
        status=ACTIVE,
        created_at=now,
        updated_at=now,
        gsi1pk=SHOPS_LIST,
        gsi1sk=_list_key(now, shop_id),
    )
    seller_claim = Claim(pk=seller_pk(actor.account_id), sk=SHOP_SK, owner_id=shop_id)
    slug_claim = Claim(pk=shop_slug_pk(slug), sk=SLUG_SK, owner_id=shop_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(seller_claim, condition=Claim.pk.does_not_exist())
            transaction.save(slug_claim, condition=Claim.pk.does_not_exist())
            transaction.save(shop, condition=Shop.pk.does_not_exist())
    except TransactWriteError as error:
        if not _cancelled(error):
            raise
        if shop_of_seller(actor.account_id) is not None:
            raise ConflictError("You already have a shop") from None
        raise ConflictError(f"The shop address {slug!r} is taken", details={"slug": slug}) from None
    shop.version = 1
    _attach_to_account(actor.account_id, shop_id)
    publish(ShopUpdated(shop_id=shop_id, owner_id=actor.account_id, change="created"))
    return shop


def _values(body: ShopInput) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}


def update_shop(actor: Actor, shop_id: str, body: ShopInput) -> Shop:
    """Edit a shop the actor owns; slug changes move the slug claim atomically."""
    shop = owned_shop(actor, shop_id)
    if shop.status != ACTIVE:
        raise ConflictError("A deleted shop cannot be edited; restore it first")
    draft = _values(body)
    if "category" in draft:
        require_category(draft["category"], None)
    old_slug = shop.slug
    for field_name in ("name", "category", "description", "address", "branch", "logo_key"):
        if field_name in draft:
            setattr(shop, field_name, draft[field_name])
    if "settings" in draft:
        shop.settings = {**(shop.settings or {}), **draft["settings"]}
    if "slug" in draft:
        shop.slug = draft["slug"]
    shop.updated_at = clock.now()
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(shop)
            if shop.slug != old_slug:
                transaction.delete(Claim(pk=shop_slug_pk(old_slug), sk=SLUG_SK))
                transaction.save(
                    Claim(pk=shop_slug_pk(shop.slug), sk=SLUG_SK, owner_id=shop.shop_id),
                    condition=Claim.pk.does_not_exist(),
                )
    except TransactWriteError as error:
        if not _cancelled(error):
            raise
        raise ConflictError(
            "The shop changed meanwhile, or its new address is taken",
            details={"slug": shop.slug},
        ) from None
    publish(ShopUpdated(shop_id=shop.shop_id, owner_id=shop.owner_id, change="updated"))
    return shop


def list_shops(*, limit: int, cursor: str | None) -> Page[Shop]:
    """Visible shops, newest first (a Query on gsi1)."""
    start = decode_cursor(cursor)
    results = Shop.lists.query(
        SHOPS_LIST, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    items = [shop for shop in results if shop.visible]
    more = results.last_evaluated_key
    return Page(items=items, next_cursor=encode_cursor(more))


def delete_shop(actor: Actor, shop_id: str) -> Shop:
    """Soft-delete a shop; its products disappear from search; restorable for N days."""
    shop = owned_shop(actor, shop_id)
    if shop.status == DELETED:
        return shop
    now = clock.now()
    purge_after = now + timedelta(days=get_settings().shop_restore_days)
    _set_state(
        shop,
        status=DELETED,
        deleted_at=now,
        purge_after=purge_after,
        gsi1pk=SHOPS_DELETED,
        gsi1sk=_list_key(purge_after, shop.shop_id),
    )
    publish(
        ShopDeleted(
            shop_id=shop.shop_id, owner_id=shop.owner_id, purge_after=clock.iso(purge_after)
        )
    )
    return shop


def restore_shop(actor: Actor, shop_id: str) -> Shop:
    """Undo a soft delete within the restore window; RestoreWindowClosedError after it."""
    shop = owned_shop(actor, shop_id)
    if shop.status == ACTIVE:
        return shop
    if shop.purge_after is None or clock.now() >= shop.purge_after:
        raise RestoreWindowClosedError("The restore window of this shop has closed")
    _set_state(
        shop,
        status=ACTIVE,
        deleted_at=None,
        purge_after=None,
        gsi1pk=SHOPS_LIST,
        gsi1sk=_list_key(shop.created_at, shop.shop_id),
    )
    publish(ShopUpdated(shop_id=shop.shop_id, owner_id=shop.owner_id, change="restored"))
    return shop


def _set_state(shop: Shop, **values: Any) -> None:
    actions = []
    for name, value in values.items():
        attribute = getattr(Shop, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    actions.append(Shop.updated_at.set(clock.now()))
    try:
        shop.update(actions=actions)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StaleVersionError("The shop changed meanwhile; try again") from None
        raise


def set_seller_banned(account_id: str, banned: bool) -> Shop | None:
    """Mirror identity's ban on the seller's shop (hides it and its products)."""
    shop = shop_of_seller(account_id)
    if shop is None or bool(shop.seller_banned) == banned:
        return shop
    shop.update(actions=[Shop.seller_banned.set(banned)], add_version_condition=False)
    publish(
        ShopUpdated(
            shop_id=shop.shop_id,
            owner_id=shop.owner_id,
            change="seller_banned" if banned else "seller_unbanned",
        )
    )
    return shop


def expired_deleted_shops(as_of: datetime, *, limit: int) -> list[str]:
    """Ids of deleted shops whose restore window closed before ``as_of`` (oldest first)."""
    results = Shop.lists.query(SHOPS_DELETED, Shop.gsi1sk < _list_key(as_of, ""), limit=limit)
    return [shop.shop_id for shop in results]


# ---------- follows ----------
def follow(actor: Actor, shop_id: str) -> Shop:
    """Follow a visible shop (idempotent); the shop's follower count follows."""
    shop = visible_shop(shop_id)
    now = clock.now()
    record = Follow(
        pk=shop_pk(shop_id),
        sk=f"FOLLOWER#{actor.account_id}",
        shop_id=shop_id,
        user_id=actor.account_id,
        created_at=now,
        gsi1pk=user_follows_pk(actor.account_id),
        gsi1sk=_list_key(now, shop_id),
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(record, condition=Follow.pk.does_not_exist())
            transaction.update(
                shop,
                actions=[Shop.follower_count.add(1)],
                condition=Shop.pk.exists(),
                add_version_condition=False,
            )
    except TransactWriteError as error:
        if not _cancelled(error):
            raise
    return visible_shop(shop_id)


def unfollow(actor: Actor, shop_id: str) -> Shop:
    """Stop following (idempotent)."""
    shop = get_shop(shop_id)
    if shop is None:
        raise NotFoundError("No such shop", details={"shop_id": shop_id})
    record = Follow(pk=shop_pk(shop_id), sk=f"FOLLOWER#{actor.account_id}")
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.delete(record, condition=Follow.pk.exists())
            transaction.update(
                shop,
                actions=[Shop.follower_count.add(-1)],
                condition=Shop.pk.exists(),
                add_version_condition=False,
            )
    except TransactWriteError as error:
        if not _cancelled(error):
            raise
    refreshed = get_shop(shop_id)
    assert refreshed is not None
    return refreshed


def is_following(actor: Actor, shop_id: str) -> bool:
    try:
        Follow.get(shop_pk(shop_id), f"FOLLOWER#{actor.account_id}")
    except Follow.DoesNotExist:
        return False
    return True


def followed_shops(actor: Actor, *, limit: int, cursor: str | None) -> Page[str]:
    """Ids of the shops the actor follows, newest first."""
    results = Follow.by_user.query(
        user_follows_pk(actor.account_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor),
    )
    ids = [item.shop_id for item in results]
    return Page(items=ids, next_cursor=encode_cursor(results.last_evaluated_key))
