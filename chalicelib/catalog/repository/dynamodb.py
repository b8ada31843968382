"""The catalog table on DynamoDB: keys, indexes, conditions and transactions.

Invariants held by DynamoDB itself: slugs, one shop per seller and code texts by claim
items written in the same transaction as what claims them; optimistic locking by the
models' ``version`` (every write moves it); code limits by conditional counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import models as m
from chalicelib.catalog.domain import (
    CategoryUsage,
    DiscountCode,
    DiscountKind,
    ImageStatus,
    Offer,
    Product,
    ProductImage,
    ProductOffer,
    ProductStatus,
    RatingSubject,
    Shop,
    ShopStatus,
    SiteConfig,
    UploadTicket,
    Variant,
    split_stock_key,
    stock_key,
)
from chalicelib.catalog.repository import ClaimTaken, NotStored, StockMoves, WriteRefused
from chalicelib.catalog.repository.search import SearchTable
from chalicelib.core import clock, dynamo
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed, time_key
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings


# ---------- domain ↔ items ----------
def _int(value: Any) -> int | None:
    return None if value is None else int(value)


ItemT = TypeVar("ItemT", bound=Model)


def _versioned(item: ItemT, version: int) -> ItemT:
    """``item`` at the version read; a domain version 0 is "never stored" (pynamodb then
    writes version 1 on condition that there is none)."""
    if version:
        item.version = version  # type: ignore[attr-defined]
    return item


def image_of(entry: dict[str, Any]) -> ProductImage:
    return ProductImage(
        image_id=str(entry["image_id"]),
        width=_int(entry.get("width")),
        height=_int(entry.get("height")),
        thumbnail_key=entry.get("thumbnail_key"),
        medium_key=entry.get("medium_key"),
        full_key=entry.get("full_key"),
    )


def image_entry(image: ProductImage) -> dict[str, Any]:
    return {
        "image_id": image.image_id,
        "width": image.width,
        "height": image.height,
        "thumbnail_key": image.thumbnail_key,
        "medium_key": image.medium_key,
        "full_key": image.full_key,
    }


def offer_of(entry: dict[str, Any] | None) -> ProductOffer | None:
    if not entry:
        return None
    return ProductOffer(
        offer_id=str(entry["offer_id"]),
        name=str(entry["name"]),
        percent_off=int(entry["percent_off"]),
        starts_at=clock.parse(entry["starts_at"]),
        ends_at=clock.parse(entry["ends_at"]),
    )


def offer_entry(offer: ProductOffer) -> dict[str, Any]:
    return {
        "offer_id": offer.offer_id,
        "name": offer.name,
        "percent_off": offer.percent_off,
        "starts_at": clock.iso(offer.starts_at),
        "ends_at": clock.iso(offer.ends_at),
    }


def product_of(item: m.Product) -> Product:
    return Product(
        product_id=item.product_id,
        shop_id=item.shop_id,
        seller_id=item.seller_id,
        title=item.title,
        slug=item.slug,
        category=item.category,
        regular_price=int(item.regular_price),
        currency=item.currency,
        stock=int(item.stock),
        created_at=item.created_at,
        updated_at=item.updated_at,
        description=item.description,
        subcategory=item.subcategory,
        brand=item.brand,
        tags=tuple(item.tags or ()),
        colors=tuple(item.colors or ()),
        sizes=tuple(item.sizes or ()),
        sale_price=_int(item.sale_price),
        images=tuple(image_of(entry) for entry in item.images or []),
        offer=offer_of(item.offer),
        popularity=int(item.popularity or 0),
        rating_sum=int(item.rating_sum or 0),
        rating_count=int(item.rating_count or 0),
        rating_revision=int(item.rating_rev or 0),
        status=ProductStatus(item.status),
        deleted_at=item.deleted_at,
        purge_after=item.purge_after,
        version=int(item.version or 0),
        variants=_variants_of(item.variants),
    )


def _variants_of(stored: Any) -> tuple[Variant, ...]:
    if not stored:
        return ()
    raw = stored.as_dict() if hasattr(stored, "as_dict") else dict(stored)
    ordered = sorted(raw.items(), key=lambda kv: int(kv[1].get("position") or 0))
    return tuple(
        Variant(
            sku=sku,
            stock=int(entry["stock"]),
            color=entry.get("color"),
            size=entry.get("size"),
            price=_int(entry.get("price")),
            image_id=entry.get("image_id"),
        )
        for sku, entry in ordered
    )


def _variants_entry(variants: tuple[Variant, ...]) -> dict[str, Any] | None:
    if not variants:
        return None
    entries: dict[str, Any] = {}
    for position, variant in enumerate(variants):
        entry: dict[str, Any] = {"stock": variant.stock, "position": position}
        for name in ("color", "size", "price", "image_id"):
            value = getattr(variant, name)
            if value is not None:
                entry[name] = value
        entries[variant.sku] = entry
    return entries


def product_item(product: Product) -> m.Product:
    deleted = product.status is ProductStatus.DELETED and product.purge_after is not None
    item = m.Product(
        pk=m.product_pk(product.product_id),
        sk=m.PRODUCT_SK,
        product_id=product.product_id,
        shop_id=product.shop_id,
        seller_id=product.seller_id,
        title=product.title,
        slug=product.slug,
        description=product.description,
        category=product.category,
        subcategory=product.subcategory,
        brand=product.brand,
        tags=list(product.tags),
        colors=list(product.colors),
        sizes=list(product.sizes),
        regular_price=product.regular_price,
        sale_price=product.sale_price,
        currency=product.currency,
        stock=product.stock,
        images=[image_entry(image) for image in product.images],
        offer=offer_entry(product.offer) if product.offer else None,
        popularity=product.popularity,
        variants=_variants_entry(product.variants),
        rating_sum=product.rating_sum,
        rating_count=product.rating_count,
        rating_rev=product.rating_revision,
        status=product.status.value,
        created_at=product.created_at,
        updated_at=product.updated_at,
        deleted_at=product.deleted_at,
        purge_after=product.purge_after,
        gsi1pk=m.shop_products_pk(product.shop_id),
        gsi1sk=time_key(product.created_at, product.product_id),
        gsi2pk=m.PRODUCTS_DELETED if deleted else None,
        gsi2sk=time_key(product.purge_after, product.product_id)
        if deleted and product.purge_after
        else None,
        gsi3pk=m.category_pk(product.category),
        gsi3sk=m.product_use_sk(product.subcategory, product.product_id),
    )
    return _versioned(item, product.version)


def _product_ref(product: Product) -> m.Product:
    """The stored product's keys and the version read (what a conditional update needs)."""
    item = m.Product(pk=m.product_pk(product.product_id), sk=m.PRODUCT_SK)
    return _versioned(item, product.version)


def _slug_claim(product: Product) -> m.Claim:
    return m.Claim(
        pk=m.product_slug_pk(product.shop_id, product.slug),
        sk=m.SLUG_SK,
        owner_id=product.product_id,
    )


def shop_of(item: m.Shop) -> Shop:
    return Shop(
        shop_id=item.shop_id,
        owner_id=item.owner_id,
        name=item.name,
        slug=item.slug,
        category=item.category,
        settings=dict(item.settings or {}),
        created_at=item.created_at,
        updated_at=item.updated_at,
        description=item.description,
        address=item.address,
        branch=item.branch,
        logo_key=item.logo_key,
        follower_count=int(item.follower_count or 0),
        rating_sum=int(item.rating_sum or 0),
        rating_count=int(item.rating_count or 0),
        rating_revision=int(item.rating_rev or 0),
        status=ShopStatus(item.status),
        seller_banned=bool(item.seller_banned),
        deleted_at=item.deleted_at,
        purge_after=item.purge_after,
        version=int(item.version or 0),
    )


def _shop_list_keys(shop: Shop) -> tuple[str, str]:
    if shop.status is ShopStatus.DELETED and shop.purge_after is not None:
        return m.SHOPS_DELETED, time_key(shop.purge_after, shop.shop_id)
    return m.SHOPS_LIST, time_key(shop.created_at, shop.shop_id)


def shop_item(shop: Shop) -> m.Shop:
    gsi1pk, gsi1sk = _shop_list_keys(shop)
    item = m.Shop(
        pk=m.shop_pk(shop.shop_id),
        sk=m.SHOP_SK,
        shop_id=shop.shop_id,
        owner_id=shop.owner_id,
        name=shop.name,
        slug=shop.slug,
        category=shop.category,
        description=shop.description,
        address=shop.address,
        branch=shop.branch,
        logo_key=shop.logo_key,
        settings=dict(shop.settings),
        follower_count=shop.follower_count,
        rating_sum=shop.rating_sum,
        rating_count=shop.rating_count,
        rating_rev=shop.rating_revision,
        status=shop.status.value,
        seller_banned=shop.seller_banned,
        created_at=shop.created_at,
        updated_at=shop.updated_at,
        deleted_at=shop.deleted_at,
        purge_after=shop.purge_after,
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi3pk=m.category_pk(shop.category),
        gsi3sk=f"{m.SHOP_USE_PREFIX}{shop.shop_id}",
    )
    return _versioned(item, shop.version)


def _shop_ref(shop: Shop) -> m.Shop:
    return _versioned(m.Shop(pk=m.shop_pk(shop.shop_id), sk=m.SHOP_SK), shop.version)


def ticket_of(item: m.UploadTicket) -> UploadTicket:
    return UploadTicket(
        image_id=item.image_id,
        product_id=item.product_id or "",
        shop_id=item.shop_id or "",
        key=item.key,
        content_type=item.content_type,
        status=ImageStatus(item.status),
        created_at=item.created_at,
        reason=item.reason,
        processed_at=item.processed_at,
        purpose=item.purpose or "product",
        owner_id=item.owner_id,
        media_key=item.media_key,
    )


def _ticket_pk(ticket: UploadTicket) -> str:
    if ticket.purpose == "product":
        return m.product_pk(ticket.product_id)
    return m.asset_pk(ticket.image_id)


def _ticket_ref(ticket: UploadTicket) -> m.UploadTicket:
    return m.UploadTicket(pk=_ticket_pk(ticket), sk=m.ticket_sk(ticket.image_id))


def offer_item_of(item: m.Offer) -> Offer:
    return Offer(
        offer_id=item.sk.removeprefix(m.OFFER_PREFIX),
        shop_id=item.shop_id,
        name=item.name,
        percent_off=int(item.percent_off),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        product_ids=tuple(item.product_ids),
        created_at=item.created_at,
    )


def code_of(item: m.DiscountCode) -> DiscountCode:
    return DiscountCode(
        code=item.code,
        shop_id=item.shop_id,
        kind=DiscountKind(item.kind),
        value=int(item.value),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        created_at=item.created_at,
        min_order=int(item.min_order),
        max_uses=_int(item.max_uses),
        per_user_limit=_int(item.per_user_limit),
        used=int(item.used),
        active=bool(item.active),
    )


def _code_ref(code: str) -> m.DiscountCode:
    return m.DiscountCode(pk=m.code_pk(code), sk=m.CODE_SK)


def _code_use_ref(code: str, user_id: str) -> m.CodeUse:
    return m.CodeUse(pk=m.code_pk(code), sk=m.code_use_sk(user_id))


def config_of(item: m.SiteConfig) -> SiteConfig:
    raw: dict[str, Any] = item.categories or {}
    return SiteConfig(
        categories={str(name): [str(sub) for sub in subs] for name, subs in raw.items()},
        updated_at=item.updated_at,
        logo_key=item.logo_key,
        banner_key=item.banner_key,
        version=int(item.version or 0),
    )


class DynamoCatalogRepository(SearchTable):
    """The catalog repository on the catalog table (and, from SearchTable, the search table)."""

    # ---------- products ----------
    def product(self, product_id: str) -> Product | None:
        try:
            item = m.Product.get(m.product_pk(product_id), m.PRODUCT_SK, consistent_read=True)
        except m.Product.DoesNotExist:
            return None
        return product_of(item)

    def products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        keys = [(m.product_pk(pid), m.PRODUCT_SK) for pid in dict.fromkeys(product_ids)]
        if not keys:
            return {}
        return {
            item.product_id: product_of(item)
            for item in m.Product.batch_get(keys, consistent_read=True)
        }

    def add_product(self, product: Product) -> Product:
        item = product_item(replace(product, version=0))
        try:
            with dynamo.transaction() as writer:
                writer.save(_slug_claim(product), condition=m.Claim.pk.does_not_exist())
                writer.save(item, condition=m.Product.pk.does_not_exist())
        except TransactionCancelledError:
            raise ClaimTaken(product.slug) from None
        return product_of(item)

    def save_product(self, product: Product, *, old_slug: str) -> Product:
        item = product_item(product)
        try:
            with dynamo.transaction() as writer:
                writer.save(item)
                if product.slug != old_slug:
                    writer.delete(
                        m.Claim(pk=m.product_slug_pk(product.shop_id, old_slug), sk=m.SLUG_SK)
                    )
                    writer.save(_slug_claim(product), condition=m.Claim.pk.does_not_exist())
        except TransactionCancelledError:
            raise WriteRefused(product.product_id) from None
        return product_of(item)

    def _update_product(
        self,
        product: Product,
        actions: list[Action],
        *,
        condition: Any = None,
        check_version: bool = True,
    ) -> Product:
        item = _product_ref(product)
        try:
            item.update(
                actions=[*actions, m.Product.updated_at.set(clock.now())],
                condition=condition,
                add_version_condition=check_version,
            )
        except UpdateError as error:
            if condition_failed(error):
                raise (WriteRefused if check_version else NotStored)(product.product_id) from None
            raise
        return product_of(item)

    def set_product_deleted(
        self, product: Product, *, deleted_at: datetime, purge_after: datetime
    ) -> Product:
        return self._update_product(
            product,
            [
                m.Product.status.set(ProductStatus.DELETED.value),
                m.Product.deleted_at.set(deleted_at),
                m.Product.purge_after.set(purge_after),
                m.Product.gsi2pk.set(m.PRODUCTS_DELETED),
                m.Product.gsi2sk.set(time_key(purge_after, product.product_id)),
            ],
        )

    def set_product_restored(self, product: Product) -> Product:
        return self._update_product(
            product,
            [
                m.Product.status.set(ProductStatus.ACTIVE.value),
                m.Product.deleted_at.remove(),
                m.Product.purge_after.remove(),
                m.Product.gsi2pk.remove(),
                m.Product.gsi2sk.remove(),
            ],
        )

    def set_product_images(self, product: Product, images: Iterable[ProductImage]) -> Product:
        return self._update_product(
            product,
            [m.Product.images.set([image_entry(image) for image in images])],
            condition=m.Product.pk.exists(),
            check_version=False,
        )

    def set_product_offer(self, product: Product, offer: ProductOffer | None) -> Product:
        action = (
            m.Product.offer.remove() if offer is None else m.Product.offer.set(offer_entry(offer))
        )
        return self._update_product(
            product, [action], condition=m.Product.pk.exists(), check_version=False
        )

    def add_popularity(self, product_id: str, delta: int) -> Product | None:
        # Straight through the connection: pynamodb's model update would move the version.
        try:
            data = m.Product._get_connection().update_item(
                m.product_pk(product_id),
                range_key=m.PRODUCT_SK,
                actions=[m.Product.popularity.add(delta)],
                condition=m.Product.pk.exists(),
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if condition_failed(error):
                return None
            raise
        return product_of(m.Product.from_raw_data(data["Attributes"]))

    def set_rating(
        self, kind: RatingSubject, subject_id: str, total: int, count: int, revision: int
    ) -> bool:
        # Straight through the connection (the seller's version does not move), and only
        # forward: an older aggregate never overwrites a newer one.
        model = m.Product if kind == "product" else m.Shop
        pk = m.product_pk(subject_id) if kind == "product" else m.shop_pk(subject_id)
        sk = m.PRODUCT_SK if kind == "product" else m.SHOP_SK
        try:
            model._get_connection().update_item(
                pk,
                range_key=sk,
                actions=[
                    model.rating_sum.set(total),
                    model.rating_count.set(count),
                    model.rating_rev.set(revision),
                ],
                condition=model.pk.exists()
                & (model.rating_rev.does_not_exist() | (model.rating_rev < revision)),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def stock_moves(self, units: Mapping[str, int], *, take: bool) -> StockMoves:
        # One item per product (a transaction may touch an item once): its SKUs' stock
        # moves in place in the variants map, with the product's total.
        table = get_settings().catalog_table
        by_product: dict[str, dict[str | None, int]] = {}
        for key, quantity in units.items():
            product_id, sku = split_stock_key(key)
            by_product.setdefault(product_id, {})[sku] = quantity
        items: list[dict[str, Any]] = []
        for product_id, moves in by_product.items():
            total = sum(moves.values())
            values: dict[str, Any] = {
                ":delta": {"N": str(-total if take else total)},
                ":one": {"N": "1"},
            }
            names: dict[str, str] = {}
            sets: list[str] = []
            conditions: list[str] = []
            for n, (sku, quantity) in enumerate(moves.items()):
                if sku is None:
                    if take:
                        values[":need"] = {"N": str(quantity)}
                        conditions.append("stock >= :need")
                    continue
                names["#v"], names[f"#s{n}"] = "variants", sku
                path = f"#v.#s{n}.stock"
                values[f":d{n}"] = {"N": str(-quantity if take else quantity)}
                sets.append(f"{path} = {path} + :d{n}")
                if take:
                    values[f":n{n}"] = {"N": str(quantity)}
                    conditions.append(f"{path} >= :n{n}")
                else:
                    conditions.append(f"attribute_exists(#v.#s{n})")
            update: dict[str, Any] = {
                "TableName": table,
                "Key": {"pk": {"S": m.product_pk(product_id)}, "sk": {"S": m.PRODUCT_SK}},
                "UpdateExpression": (f"SET {', '.join(sets)} " if sets else "")
                + "ADD stock :delta, version :one",
                "ExpressionAttributeValues": values,
            }
            if take:
                values[":active"] = {"S": str(ProductStatus.ACTIVE)}
                names["#status"] = "status"
                conditions.append("#status = :active")
            else:
                conditions.insert(0, "attribute_exists(pk)")
            update["ConditionExpression"] = " AND ".join(conditions)
            if names:
                update["ExpressionAttributeNames"] = names
            items.append({"Update": update})
        return StockMoves(
            product_ids=tuple(by_product),
            items=tuple(items),
            keys={
                pid: tuple(stock_key(pid, sku) for sku in moves)
                for pid, moves in by_product.items()
            },
        )

    def shop_products(
        self, shop_id: str, *, limit: int, cursor: str | None, include_deleted: bool
    ) -> Page[Product]:
        results = m.Product.by_shop.query(
            m.shop_products_pk(shop_id),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
            filter_condition=None
            if include_deleted
            else m.Product.status == ProductStatus.ACTIVE.value,
        )
        items = [product_of(item) for item in results]
        return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))

    def shop_product_ids(self, shop_id: str) -> list[str]:
        return [
            item.product_id
            for item in m.Product.by_shop.query(
                m.shop_products_pk(shop_id), attributes_to_get=["pk", "sk", "product_id"]
            )
        ]

    def expired_products(self, as_of: datetime, *, limit: int) -> list[str]:
        results = m.Product.deleted.query(
            m.PRODUCTS_DELETED, m.Product.gsi2sk < time_key(as_of, ""), limit=limit
        )
        return [item.pk.removeprefix("PRODUCT#") for item in results]

    def purge_product(self, product: Product, *, only_if_deleted: bool) -> bool:
        pk = m.product_pk(product.product_id)
        for ticket in m.UploadTicket.query(pk, m.UploadTicket.sk.startswith(m.UPLOAD_PREFIX)):
            ticket.delete()
        m.Claim(pk=m.product_slug_pk(product.shop_id, product.slug), sk=m.SLUG_SK).delete()
        condition = m.Product.status == ProductStatus.DELETED.value if only_if_deleted else None
        try:
            _product_ref(product).delete(condition=condition, add_version_condition=False)
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def load_products(self, products: Iterable[Product]) -> int:
        items = list(products)
        with m.Product.batch_write() as batch:
            for product in items:
                batch.save(product_item(product))
        with m.Claim.batch_write() as claims:
            for product in items:
                claims.save(_slug_claim(product))
        return len(items)

    # ---------- shops ----------
    def shop(self, shop_id: str) -> Shop | None:
        try:
            item = m.Shop.get(m.shop_pk(shop_id), m.SHOP_SK, consistent_read=True)
        except m.Shop.DoesNotExist:
            return None
        return shop_of(item)

    def shops(self, shop_ids: Iterable[str]) -> dict[str, Shop]:
        keys = [(m.shop_pk(shop_id), m.SHOP_SK) for shop_id in dict.fromkeys(shop_ids)]
        if not keys:
            return {}
        return {item.shop_id: shop_of(item) for item in m.Shop.batch_get(keys)}

    def shop_of_seller(self, account_id: str) -> Shop | None:
        try:
            claim = m.Claim.get(m.seller_pk(account_id), m.SHOP_SK, consistent_read=True)
        except m.Claim.DoesNotExist:
            return None
        return self.shop(claim.owner_id)

    def add_shop(self, shop: Shop) -> Shop:
        item = shop_item(replace(shop, version=0))
        seller_claim = m.Claim(pk=m.seller_pk(shop.owner_id), sk=m.SHOP_SK, owner_id=shop.shop_id)
        slug_claim = m.Claim(pk=m.shop_slug_pk(shop.slug), sk=m.SLUG_SK, owner_id=shop.shop_id)
        try:
            with dynamo.transaction() as writer:
                writer.save(seller_claim, condition=m.Claim.pk.does_not_exist())
                writer.save(slug_claim, condition=m.Claim.pk.does_not_exist())
                writer.save(item, condition=m.Shop.pk.does_not_exist())
        except TransactionCancelledError:
            raise ClaimTaken(shop.slug) from None
        return shop_of(item)

    def save_shop(self, shop: Shop, *, old_slug: str) -> Shop:
        item = shop_item(shop)
        try:
            with dynamo.transaction() as writer:
                writer.save(item)
                if shop.slug != old_slug:
                    writer.delete(m.Claim(pk=m.shop_slug_pk(old_slug), sk=m.SLUG_SK))
                    writer.save(
                        m.Claim(pk=m.shop_slug_pk(shop.slug), sk=m.SLUG_SK, owner_id=shop.shop_id),
                        condition=m.Claim.pk.does_not_exist(),
                    )
        except TransactionCancelledError:
            raise WriteRefused(shop.shop_id) from None
        return shop_of(item)

    def listed_shops(self, *, limit: int, cursor: str | None) -> Page[Shop]:
        results = m.Shop.lists.query(
            m.SHOPS_LIST,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
        )
        items = [shop_of(item) for item in results]
        return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))

    def _update_shop(self, shop: Shop, actions: list[Action]) -> Shop:
        item = _shop_ref(shop)
        try:
            item.update(actions=[*actions, m.Shop.updated_at.set(clock.now())])
        except UpdateError as error:
            if condition_failed(error):
                raise WriteRefused(shop.shop_id) from None
            raise
        return shop_of(item)

    def set_shop_deleted(self, shop: Shop, *, deleted_at: datetime, purge_after: datetime) -> Shop:
        return self._update_shop(
            shop,
            [
                m.Shop.status.set(ShopStatus.DELETED.value),
                m.Shop.deleted_at.set(deleted_at),
                m.Shop.purge_after.set(purge_after),
                m.Shop.gsi1pk.set(m.SHOPS_DELETED),
                m.Shop.gsi1sk.set(time_key(purge_after, shop.shop_id)),
            ],
        )

    def set_shop_restored(self, shop: Shop) -> Shop:
        return self._update_shop(
            shop,
            [
                m.Shop.status.set(ShopStatus.ACTIVE.value),
                m.Shop.deleted_at.remove(),
                m.Shop.purge_after.remove(),
                m.Shop.gsi1pk.set(m.SHOPS_LIST),
                m.Shop.gsi1sk.set(time_key(shop.created_at, shop.shop_id)),
            ],
        )

    def set_seller_banned(self, shop: Shop, banned: bool) -> Shop:
        item = _shop_ref(shop)
        item.update(actions=[m.Shop.seller_banned.set(banned)], add_version_condition=False)
        return shop_of(item)

    def expired_shops(self, as_of: datetime, *, limit: int) -> list[str]:
        results = m.Shop.lists.query(
            m.SHOPS_DELETED, m.Shop.gsi1sk < time_key(as_of, ""), limit=limit
        )
        return [item.shop_id for item in results]

    def delete_shop_belongings(self, shop_id: str) -> None:
        pk = m.shop_pk(shop_id)
        for follow in m.Follow.query(pk, m.Follow.sk.startswith(m.FOLLOWER_PREFIX)):
            follow.delete()
        for offer in m.Offer.query(pk, m.Offer.sk.startswith(m.OFFER_PREFIX)):
            offer.delete()
        for code in m.DiscountCode.by_shop.query(m.shop_codes_pk(shop_id)):
            m.DiscountCode(pk=code.pk, sk=code.sk).delete()

    def delete_shop(self, shop: Shop) -> None:
        m.Claim(pk=m.shop_slug_pk(shop.slug), sk=m.SLUG_SK).delete()
        m.Claim(pk=m.seller_pk(shop.owner_id), sk=m.SHOP_SK).delete()
        _shop_ref(shop).delete(add_version_condition=False)

    def follow(self, shop: Shop, user_id: str, *, now: datetime) -> bool:
        record = m.Follow(
            pk=m.shop_pk(shop.shop_id),
            sk=m.follower_sk(user_id),
            shop_id=shop.shop_id,
            user_id=user_id,
            created_at=now,
            gsi1pk=m.user_follows_pk(user_id),
            gsi1sk=time_key(now, shop.shop_id),
        )
        return self._count_follow(
            shop, 1, lambda writer: writer.save(record, condition=m.Follow.pk.does_not_exist())
        )

    def unfollow(self, shop: Shop, user_id: str) -> bool:
        record = m.Follow(pk=m.shop_pk(shop.shop_id), sk=m.follower_sk(user_id))
        return self._count_follow(
            shop, -1, lambda writer: writer.delete(record, condition=m.Follow.pk.exists())
        )

    def _count_follow(self, shop: Shop, delta: int, write: Any) -> bool:
        try:
            with dynamo.transaction() as writer:
                write(writer)
                writer.update(
                    _shop_ref(shop),
                    actions=[m.Shop.follower_count.add(delta)],
                    condition=m.Shop.pk.exists(),
                    add_version_condition=False,
                )
        except TransactionCancelledError:
            return False
        return True

    def followed_shop_ids(self, user_id: str, *, limit: int, cursor: str | None) -> Page[str]:
        results = m.Follow.by_user.query(
            m.user_follows_pk(user_id),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
        )
        ids = [item.shop_id for item in results]
        return Page(items=ids, next_cursor=encode_cursor(results.last_evaluated_key))

    # ---------- image uploads ----------
    def add_ticket(self, ticket: UploadTicket) -> None:
        product = ticket.purpose == "product"
        m.UploadTicket(
            pk=_ticket_pk(ticket),
            sk=m.ticket_sk(ticket.image_id),
            image_id=ticket.image_id,
            product_id=ticket.product_id or None,
            shop_id=ticket.shop_id or None,
            purpose=None if product else ticket.purpose,
            owner_id=ticket.owner_id,
            media_key=ticket.media_key,
            key=ticket.key,
            content_type=ticket.content_type,
            status=ticket.status.value,
            reason=ticket.reason,
            created_at=ticket.created_at,
            processed_at=ticket.processed_at,
        ).save()

    def ticket(self, product_id: str, image_id: str) -> UploadTicket | None:
        try:
            item = m.UploadTicket.get(
                m.product_pk(product_id), m.ticket_sk(image_id), consistent_read=True
            )
        except m.UploadTicket.DoesNotExist:
            return None
        return ticket_of(item)

    def asset_ticket(self, asset_id: str) -> UploadTicket | None:
        try:
            item = m.UploadTicket.get(
                m.asset_pk(asset_id), m.ticket_sk(asset_id), consistent_read=True
            )
        except m.UploadTicket.DoesNotExist:
            return None
        return ticket_of(item)

    def claim_ticket(self, ticket: UploadTicket, *, now: datetime, lease: timedelta) -> bool:
        status = m.UploadTicket.status
        free = (status == ImageStatus.PENDING.value) | (
            (status == ImageStatus.PROCESSING.value) & (m.UploadTicket.processed_at < now - lease)
        )
        try:
            _ticket_ref(ticket).update(
                actions=[
                    status.set(ImageStatus.PROCESSING.value),
                    m.UploadTicket.processed_at.set(now),
                ],
                condition=free,
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def finish_ticket(
        self,
        ticket: UploadTicket,
        status: ImageStatus,
        reason: str | None,
        *,
        now: datetime,
        media_key: str | None = None,
    ) -> None:
        actions: list[Action] = [
            m.UploadTicket.status.set(status.value),
            m.UploadTicket.processed_at.set(now),
        ]
        if reason:
            actions.append(m.UploadTicket.reason.set(reason[:500]))
        if media_key:
            actions.append(m.UploadTicket.media_key.set(media_key))
        _ticket_ref(ticket).update(actions=actions)

    # ---------- offers ----------
    def add_offer(self, offer: Offer) -> None:
        m.Offer(
            pk=m.shop_pk(offer.shop_id),
            sk=m.offer_sk(offer.offer_id),
            offer_id=offer.offer_id,
            shop_id=offer.shop_id,
            name=offer.name,
            percent_off=offer.percent_off,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
            product_ids=list(offer.product_ids),
            created_at=offer.created_at,
        ).save()

    def offers(self, shop_id: str) -> list[Offer]:
        return [
            offer_item_of(item)
            for item in m.Offer.query(m.shop_pk(shop_id), m.Offer.sk.startswith(m.OFFER_PREFIX))
        ]

    def offer(self, shop_id: str, offer_id: str) -> Offer | None:
        try:
            return offer_item_of(m.Offer.get(m.shop_pk(shop_id), m.offer_sk(offer_id)))
        except m.Offer.DoesNotExist:
            return None

    def delete_offer(self, offer: Offer) -> None:
        m.Offer(pk=m.shop_pk(offer.shop_id), sk=m.offer_sk(offer.offer_id)).delete()

    # ---------- discount codes ----------
    def add_code(self, code: DiscountCode) -> None:
        item = m.DiscountCode(
            pk=m.code_pk(code.code),
            sk=m.CODE_SK,
            code=code.code,
            shop_id=code.shop_id,
            kind=code.kind.value,
            value=code.value,
            min_order=code.min_order,
            max_uses=code.max_uses,
            per_user_limit=code.per_user_limit,
            starts_at=code.starts_at,
            ends_at=code.ends_at,
            used=code.used,
            active=code.active,
            created_at=code.created_at,
            gsi1pk=m.shop_codes_pk(code.shop_id),
            gsi1sk=code.code,
        )
        try:
            item.save(condition=m.DiscountCode.pk.does_not_exist())
        except PutError as error:
            if condition_failed(error):
                raise ClaimTaken(code.code) from None
            raise

    def code(self, code: str) -> DiscountCode | None:
        try:
            return code_of(m.DiscountCode.get(m.code_pk(code), m.CODE_SK, consistent_read=True))
        except m.DiscountCode.DoesNotExist:
            return None

    def shop_codes(self, shop_id: str) -> list[DiscountCode]:
        return [code_of(item) for item in m.DiscountCode.by_shop.query(m.shop_codes_pk(shop_id))]

    def deactivate_code(self, code: DiscountCode) -> DiscountCode:
        item = _code_ref(code.code)
        item.update(actions=[m.DiscountCode.active.set(False)])
        return code_of(item)

    def code_uses(self, code: str, user_id: str) -> int:
        try:
            return int(m.CodeUse.get(m.code_pk(code), m.code_use_sk(user_id)).uses)
        except m.CodeUse.DoesNotExist:
            return 0

    def transaction(self) -> AbstractContextManager[TransactWrite]:
        return dynamo.transaction()

    def write_redemption(
        self,
        transaction: TransactWrite,
        *,
        code: str,
        user_id: str,
        max_uses: int | None,
        per_user_limit: int | None,
        now: datetime,
    ) -> None:
        code_ok = (m.DiscountCode.active == True) & (m.DiscountCode.ends_at > now)  # noqa: E712
        if max_uses is not None:
            code_ok &= m.DiscountCode.used < max_uses
        use_ok = None
        if per_user_limit is not None:
            use_ok = m.CodeUse.uses.does_not_exist() | (m.CodeUse.uses < per_user_limit)
        transaction.update(_code_ref(code), actions=[m.DiscountCode.used.add(1)], condition=code_ok)
        transaction.update(
            _code_use_ref(code, user_id), actions=[m.CodeUse.uses.add(1)], condition=use_ok
        )

    def release_redemption(self, code: str, *, user_id: str) -> None:
        with dynamo.transaction() as writer:
            writer.update(
                _code_ref(code),
                actions=[m.DiscountCode.used.add(-1)],
                condition=m.DiscountCode.used > 0,
            )
            writer.update(
                _code_use_ref(code, user_id),
                actions=[m.CodeUse.uses.add(-1)],
                condition=m.CodeUse.uses > 0,
            )

    def category_usage(
        self, category: str, subcategory: str | None = None, *, sample: int = 5
    ) -> CategoryUsage:
        pk = m.category_pk(category)
        if subcategory is None:
            product_condition = m.Product.gsi3sk.startswith(m.PRODUCT_USE_PREFIX)
        else:
            product_condition = m.Product.gsi3sk.startswith(m.subcategory_use_prefix(subcategory))
        product_ids = tuple(
            item.pk.removeprefix("PRODUCT#")
            for item in m.Product.by_category.query(pk, product_condition, limit=sample)
        )
        products = m.Product.by_category.count(pk, product_condition) if product_ids else 0
        shop_ids: tuple[str, ...] = ()
        shops = 0
        if subcategory is None:
            shop_condition = m.Shop.gsi3sk.startswith(m.SHOP_USE_PREFIX)
            shop_ids = tuple(
                item.pk.removeprefix("SHOP#")
                for item in m.Shop.by_category.query(pk, shop_condition, limit=sample)
            )
            shops = m.Shop.by_category.count(pk, shop_condition) if shop_ids else 0
        return CategoryUsage(
            category=category,
            subcategory=subcategory,
            products=products,
            shops=shops,
            product_ids=product_ids,
            shop_ids=shop_ids,
        )

    # ---------- site configuration ----------
    def site_config(self) -> SiteConfig:
        try:
            return config_of(m.SiteConfig.get(m.CONFIG_PK, m.CONFIG_SK))
        except m.SiteConfig.DoesNotExist:
            return SiteConfig(categories={}, updated_at=clock.now())

    def save_site_config(self, config: SiteConfig) -> SiteConfig:
        item = m.SiteConfig(
            pk=m.CONFIG_PK,
            sk=m.CONFIG_SK,
            categories=config.categories,
            logo_key=config.logo_key,
            banner_key=config.banner_key,
            updated_at=config.updated_at,
        )
        _versioned(item, config.version)
        try:
            item.save()
        except PutError as error:
            if condition_failed(error):
                raise WriteRefused("site config") from None
            raise
        return config_of(item)
