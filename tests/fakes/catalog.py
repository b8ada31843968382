"""The catalog repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/catalog/test_repository_contract.py`` runs the same assertions on
both, so use-case tests on this fake (``tests/unit/catalog``) mean what they say.
Search is a brute-force filter and sort over the listed products.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.catalog import repository
from chalicelib.catalog.domain import (
    CategoryUsage,
    DiscountCode,
    ImageStatus,
    Listing,
    Offer,
    Product,
    ProductImage,
    ProductOffer,
    ProductStatus,
    SearchPage,
    SearchQuery,
    Shop,
    ShopStatus,
    SiteConfig,
    UploadTicket,
    normalize_label,
    percent_off,
    rating_hundredths,
    split_stock_key,
    stock_key,
    tokens,
    words_of,
)
from chalicelib.catalog.repository import ClaimTaken, NotStored, StockMoves, WriteRefused
from chalicelib.core import clock
from chalicelib.core.dynamo import ITEM_CONDITION_FAILED, TransactionCancelledError, time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.events import DomainEvent
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor


@dataclass
class _Follow:
    shop_id: str
    user_id: str
    created_at: datetime


@dataclass
class FakeTransaction:
    """Writes that all happen, or none: each is a (condition, apply) pair."""

    writes: list[tuple[Any, Any]] = field(default_factory=list)

    def add(self, condition: Any, apply: Any) -> None:
        self.writes.append((condition, apply))

    def commit(self) -> None:
        reasons = ["None" if condition() else ITEM_CONDITION_FAILED for condition, _ in self.writes]
        if ITEM_CONDITION_FAILED in reasons:
            raise TransactionCancelledError(reasons)
        for _, apply in self.writes:
            apply()


def _page(items: list[Any], limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """A page of ``items`` (already ordered) after ``cursor``; cursors are offsets."""
    start = int((decode_cursor(cursor) or {}).get("offset", 0))
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, encode_cursor({"offset": start + limit}) if more else None


def listing_of(product: Product) -> Listing:
    """What search shows of a listed product (as the search table stores it)."""
    offer = product.offer
    return Listing(
        product_id=product.product_id,
        shop_id=product.shop_id,
        title=product.title,
        slug=product.slug,
        category=product.category,
        subcategory=product.subcategory,
        brand=product.brand,
        tags=product.tags,
        colors=product.listed_colors,
        sizes=product.listed_sizes,
        price=product.list_price,
        regular_price=product.regular_price,
        currency=product.currency,
        offer_price=percent_off(product.list_price, offer.percent_off) if offer else None,
        offer_starts=offer.starts_at if offer else None,
        offer_ends=offer.ends_at if offer else None,
        stock=product.stock,
        popularity=product.popularity,
        created=clock.iso(product.created_at),
        thumbnail_key=product.thumbnail_key,
        rating_sum=product.rating_sum,
        rating_count=product.rating_count,
    )


def _partitions(product: Product) -> int:
    """How many postings the search table keeps for a listed product."""
    parts = {"all", f"cat#{product.category}", f"shop#{product.shop_id}"}
    if product.subcategory:
        parts.add(f"sub#{product.category}/{product.subcategory}")
    if product.brand:
        parts.add(f"brand#{normalize_label(product.brand)}")
    parts |= {f"tag#{tag}" for tag in product.tags}
    parts |= {f"color#{color}" for color in product.listed_colors}
    parts |= {f"size#{size}" for size in product.listed_sizes}
    parts |= {f"word#{word}" for word in words_of(product)}
    if product.offer:
        parts.add("offer")
    return len(parts)


def _matches(listing: Listing, product: Product, query: SearchQuery, now: datetime) -> bool:
    price, on_offer = listing.price_at(now)
    checks = [
        not query.category or product.category == query.category,
        not query.subcategory or product.subcategory == query.subcategory,
        not query.brand or normalize_label(product.brand or "") == normalize_label(query.brand),
        not query.shop_id or product.shop_id == query.shop_id,
        not query.tags or bool(set(query.tags) & set(product.tags)),
        not query.colors or bool(set(query.colors) & set(product.listed_colors)),
        not query.sizes or bool(set(query.sizes) & set(product.listed_sizes)),
        not (query.colors and query.sizes)
        or any(f"{c}/{s}" in product.listed_combos for c in query.colors for s in query.sizes),
        set(tokens(query.text or "")) <= set(words_of(product)),
        query.min_price is None or price >= query.min_price,
        query.max_price is None or price <= query.max_price,
        not query.on_offer or on_offer,
        query.min_rating is None
        or rating_hundredths(product.rating_sum, product.rating_count) >= query.min_rating,
    ]
    return all(checks)


_ORDER: dict[str, tuple[Any, bool]] = {
    "newest": (lambda item: (item.created, item.product_id), True),
    "price_asc": (lambda item: (item.price, item.product_id), False),
    "price_desc": (lambda item: (item.price, item.product_id), True),
    "popularity": (lambda item: (item.popularity, item.product_id), True),
    "rating": (
        lambda item: (
            rating_hundredths(item.rating_sum, item.rating_count),
            item.rating_count,
            item.product_id,
        ),
        True,
    ),
}


def _fingerprint(query: SearchQuery) -> str:
    data = json.dumps({k: v for k, v in query.__dict__.items() if k != "limit"}, default=list)
    return base64.b64encode(data.encode()).decode()[:64]


def fake_item(condition: Any, apply: Any) -> dict[str, Any]:
    """A fake's transaction item for a transaction another fake runs (the in-memory twin of
    a ``TransactWriteItems`` item): ``condition()`` says whether it may be written,
    ``apply()`` writes it. ``tests/fakes/orders.py`` runs them with its own items."""
    return {"Fake": (condition, apply)}


class InMemoryCatalogRepository:
    """Every method of ``chalicelib.catalog.repository.CatalogRepository``, in dicts."""

    def __init__(self) -> None:
        self.product_items: dict[str, Product] = {}
        self.shop_items: dict[str, Shop] = {}
        self.claims: dict[str, str] = {}
        self.follows: dict[tuple[str, str], _Follow] = {}
        self.tickets: dict[tuple[str, str], UploadTicket] = {}
        self.offer_items: dict[tuple[str, str], Offer] = {}
        self.codes: dict[str, DiscountCode] = {}
        self.uses: dict[tuple[str, str], int] = {}
        self.config: SiteConfig | None = None
        self.listed: dict[str, Product] = {}

    # ---------- products ----------
    def product(self, product_id: str) -> Product | None:
        return self.product_items.get(product_id)

    def products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        return {pid: self.product_items[pid] for pid in product_ids if pid in self.product_items}

    @staticmethod
    def _slug_claim(shop_id: str, slug: str) -> str:
        return f"product-slug:{shop_id}:{slug}"

    def add_product(self, product: Product) -> Product:
        claim = self._slug_claim(product.shop_id, product.slug)
        if claim in self.claims or product.product_id in self.product_items:
            raise ClaimTaken(product.slug)
        self.claims[claim] = product.product_id
        stored = replace(product, version=1)
        self.product_items[product.product_id] = stored
        return stored

    def save_product(self, product: Product, *, old_slug: str) -> Product:
        stored = self.product_items.get(product.product_id)
        new_claim = self._slug_claim(product.shop_id, product.slug)
        moved = product.slug != old_slug
        if stored is None or stored.version != product.version:
            raise WriteRefused(product.product_id)
        if moved and new_claim in self.claims:
            raise WriteRefused(product.product_id)
        if moved:
            self.claims.pop(self._slug_claim(product.shop_id, old_slug), None)
            self.claims[new_claim] = product.product_id
        saved = replace(product, version=product.version + 1)
        self.product_items[product.product_id] = saved
        return saved

    def _change_product(self, product: Product, *, check_version: bool, **values: Any) -> Product:
        stored = self.product_items.get(product.product_id)
        if stored is None:
            raise (WriteRefused if check_version else NotStored)(product.product_id)
        if check_version and stored.version != product.version:
            raise WriteRefused(product.product_id)
        changed = replace(stored, **values, updated_at=clock.now(), version=stored.version + 1)
        self.product_items[product.product_id] = changed
        return changed

    def set_product_deleted(
        self, product: Product, *, deleted_at: datetime, purge_after: datetime
    ) -> Product:
        return self._change_product(
            product,
            check_version=True,
            status=ProductStatus.DELETED,
            deleted_at=deleted_at,
            purge_after=purge_after,
        )

    def set_product_restored(self, product: Product) -> Product:
        return self._change_product(
            product,
            check_version=True,
            status=ProductStatus.ACTIVE,
            deleted_at=None,
            purge_after=None,
        )

    def set_product_images(self, product: Product, images: Iterable[ProductImage]) -> Product:
        return self._change_product(product, check_version=False, images=tuple(images))

    def set_product_offer(self, product: Product, offer: ProductOffer | None) -> Product:
        return self._change_product(product, check_version=False, offer=offer)

    def set_rating(self, kind: str, subject_id: str, total: int, count: int, revision: int) -> bool:
        items: Any = self.product_items if kind == "product" else self.shop_items
        stored = items.get(subject_id)
        if stored is None or stored.rating_revision >= revision:
            return False
        items[subject_id] = replace(
            stored, rating_sum=total, rating_count=count, rating_revision=revision
        )
        return True

    def add_popularity(self, product_id: str, delta: int) -> Product | None:
        stored = self.product_items.get(product_id)
        if stored is None:
            return None
        changed = replace(stored, popularity=stored.popularity + delta)
        self.product_items[product_id] = changed
        return changed

    def _of_shop(self, shop_id: str) -> list[Product]:
        return sorted(
            (p for p in self.product_items.values() if p.shop_id == shop_id),
            key=lambda p: time_key(p.created_at, p.product_id),
        )

    def shop_products(
        self, shop_id: str, *, limit: int, cursor: str | None, include_deleted: bool
    ) -> Page[Product]:
        # As DynamoDB does: the limit counts items read, the filter applies after it.
        chunk, next_cursor = _page(list(reversed(self._of_shop(shop_id))), limit, cursor)
        items = [p for p in chunk if include_deleted or p.is_active]
        return Page(items=items, next_cursor=next_cursor)

    def shop_product_ids(self, shop_id: str) -> list[str]:
        return [p.product_id for p in self._of_shop(shop_id)]

    def expired_products(self, as_of: datetime, *, limit: int) -> list[str]:
        due = sorted(
            (time_key(p.purge_after, p.product_id), p.product_id)
            for p in self.product_items.values()
            if p.status is ProductStatus.DELETED and p.purge_after is not None
        )
        return [pid for key, pid in due if key < time_key(as_of, "")][:limit]

    def purge_product(self, product: Product, *, only_if_deleted: bool) -> bool:
        for key in [key for key in self.tickets if key[0] == product.product_id]:
            del self.tickets[key]
        self.claims.pop(self._slug_claim(product.shop_id, product.slug), None)
        stored = self.product_items.get(product.product_id)
        if only_if_deleted and (stored is None or stored.status is not ProductStatus.DELETED):
            return False
        self.product_items.pop(product.product_id, None)
        return True

    def stock_moves(self, units: Mapping[str, int], *, take: bool) -> StockMoves:
        by_product: dict[str, dict[str | None, int]] = {}
        for key, quantity in units.items():
            product_id, sku = split_stock_key(key)
            by_product.setdefault(product_id, {})[sku] = quantity

        def move(product_id: str, moves: dict[str | None, int]) -> dict[str, Any]:
            def condition() -> bool:
                stored = self.product_items.get(product_id)
                if stored is None:
                    return False
                for sku, quantity in moves.items():
                    variant = stored.variant(sku) if sku else None
                    if sku and variant is None:
                        return False
                    have = variant.stock if variant else stored.stock
                    if take and have < quantity:
                        return False
                return not take or stored.is_active

            def apply() -> None:
                stored = self.product_items[product_id]
                sign = -1 if take else 1
                variants = tuple(
                    replace(v, stock=v.stock + sign * moves[v.sku]) if v.sku in moves else v
                    for v in stored.variants
                )
                self.product_items[product_id] = replace(
                    stored,
                    stock=stored.stock + sign * sum(moves.values()),
                    variants=variants,
                    version=stored.version + 1,
                )

            return fake_item(condition, apply)

        return StockMoves(
            product_ids=tuple(by_product),
            items=tuple(move(pid, moves) for pid, moves in by_product.items()),
            keys={
                pid: tuple(stock_key(pid, sku) for sku in moves)
                for pid, moves in by_product.items()
            },
        )

    def load_products(self, products: Iterable[Product]) -> int:
        count = 0
        for product in products:
            self.product_items[product.product_id] = product
            self.claims[self._slug_claim(product.shop_id, product.slug)] = product.product_id
            count += 1
        return count

    # ---------- shops ----------
    def shop(self, shop_id: str) -> Shop | None:
        return self.shop_items.get(shop_id)

    def shops(self, shop_ids: Iterable[str]) -> dict[str, Shop]:
        return {sid: self.shop_items[sid] for sid in shop_ids if sid in self.shop_items}

    def shop_of_seller(self, account_id: str) -> Shop | None:
        shop_id = self.claims.get(f"seller:{account_id}")
        return self.shop_items.get(shop_id) if shop_id else None

    def add_shop(self, shop: Shop) -> Shop:
        seller, slug = f"seller:{shop.owner_id}", f"shop-slug:{shop.slug}"
        if seller in self.claims or slug in self.claims or shop.shop_id in self.shop_items:
            raise ClaimTaken(shop.slug)
        self.claims[seller] = self.claims[slug] = shop.shop_id
        stored = replace(shop, version=1)
        self.shop_items[shop.shop_id] = stored
        return stored

    def save_shop(self, shop: Shop, *, old_slug: str) -> Shop:
        stored = self.shop_items.get(shop.shop_id)
        moved = shop.slug != old_slug
        if stored is None or stored.version != shop.version:
            raise WriteRefused(shop.shop_id)
        if moved and f"shop-slug:{shop.slug}" in self.claims:
            raise WriteRefused(shop.shop_id)
        if moved:
            self.claims.pop(f"shop-slug:{old_slug}", None)
            self.claims[f"shop-slug:{shop.slug}"] = shop.shop_id
        saved = replace(shop, version=shop.version + 1)
        self.shop_items[shop.shop_id] = saved
        return saved

    def listed_shops(self, *, limit: int, cursor: str | None) -> Page[Shop]:
        ordered = sorted(
            (s for s in self.shop_items.values() if s.status is ShopStatus.ACTIVE),
            key=lambda s: time_key(s.created_at, s.shop_id),
            reverse=True,
        )
        items, next_cursor = _page(ordered, limit, cursor)
        return Page(items=items, next_cursor=next_cursor)

    def _change_shop(self, shop: Shop, *, check_version: bool = True, **values: Any) -> Shop:
        stored = self.shop_items.get(shop.shop_id)
        if stored is None or (check_version and stored.version != shop.version):
            raise WriteRefused(shop.shop_id)
        changed = replace(stored, **values, version=stored.version + 1)
        self.shop_items[shop.shop_id] = changed
        return changed

    def set_shop_deleted(self, shop: Shop, *, deleted_at: datetime, purge_after: datetime) -> Shop:
        return self._change_shop(
            shop,
            status=ShopStatus.DELETED,
            deleted_at=deleted_at,
            purge_after=purge_after,
            updated_at=clock.now(),
        )

    def set_shop_restored(self, shop: Shop) -> Shop:
        return self._change_shop(
            shop,
            status=ShopStatus.ACTIVE,
            deleted_at=None,
            purge_after=None,
            updated_at=clock.now(),
        )

    def set_seller_banned(self, shop: Shop, banned: bool) -> Shop:
        return self._change_shop(shop, check_version=False, seller_banned=banned)

    def expired_shops(self, as_of: datetime, *, limit: int) -> list[str]:
        due = sorted(
            (time_key(s.purge_after, s.shop_id), s.shop_id)
            for s in self.shop_items.values()
            if s.status is ShopStatus.DELETED and s.purge_after is not None
        )
        return [sid for key, sid in due if key < time_key(as_of, "")][:limit]

    def delete_shop_belongings(self, shop_id: str) -> None:
        for key in [key for key in self.follows if key[0] == shop_id]:
            del self.follows[key]
        for key in [key for key in self.offer_items if key[0] == shop_id]:
            del self.offer_items[key]
        for code in [c for c, item in self.codes.items() if item.shop_id == shop_id]:
            del self.codes[code]

    def delete_shop(self, shop: Shop) -> None:
        self.claims.pop(f"shop-slug:{shop.slug}", None)
        self.claims.pop(f"seller:{shop.owner_id}", None)
        self.shop_items.pop(shop.shop_id, None)

    def follow(self, shop: Shop, user_id: str, *, now: datetime) -> bool:
        stored = self.shop_items.get(shop.shop_id)
        if stored is None or (shop.shop_id, user_id) in self.follows:
            return False
        self.follows[(shop.shop_id, user_id)] = _Follow(shop.shop_id, user_id, now)
        self._count_follow(stored, 1)
        return True

    def unfollow(self, shop: Shop, user_id: str) -> bool:
        stored = self.shop_items.get(shop.shop_id)
        if stored is None or (shop.shop_id, user_id) not in self.follows:
            return False
        del self.follows[(shop.shop_id, user_id)]
        self._count_follow(stored, -1)
        return True

    def _count_follow(self, stored: Shop, delta: int) -> None:
        self.shop_items[stored.shop_id] = replace(
            stored, follower_count=stored.follower_count + delta, version=stored.version + 1
        )

    def followed_shop_ids(self, user_id: str, *, limit: int, cursor: str | None) -> Page[str]:
        mine = sorted(
            (f for f in self.follows.values() if f.user_id == user_id),
            key=lambda f: time_key(f.created_at, f.shop_id),
            reverse=True,
        )
        items, next_cursor = _page([f.shop_id for f in mine], limit, cursor)
        return Page(items=items, next_cursor=next_cursor)

    # ---------- image uploads ----------
    def add_ticket(self, ticket: UploadTicket) -> None:
        self.tickets[(ticket.product_id, ticket.image_id)] = ticket

    def ticket(self, product_id: str, image_id: str) -> UploadTicket | None:
        found = self.tickets.get((product_id, image_id))
        return found if found is not None and found.purpose == "product" else None

    def asset_ticket(self, asset_id: str) -> UploadTicket | None:
        found = self.tickets.get(("", asset_id))
        return found if found is not None and found.purpose != "product" else None

    def claim_ticket(self, ticket: UploadTicket, *, now: datetime, lease: timedelta) -> bool:
        stored = self.tickets.get((ticket.product_id, ticket.image_id))
        if stored is None:
            return False
        stale = (
            stored.status is ImageStatus.PROCESSING
            and stored.processed_at is not None
            and stored.processed_at < now - lease
        )
        if stored.status is not ImageStatus.PENDING and not stale:
            return False
        self.tickets[(ticket.product_id, ticket.image_id)] = replace(
            stored, status=ImageStatus.PROCESSING, processed_at=now
        )
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
        key = (ticket.product_id, ticket.image_id)
        stored = self.tickets.get(key, ticket)
        self.tickets[key] = replace(
            stored,
            status=status,
            processed_at=now,
            reason=reason[:500] if reason else stored.reason,
            media_key=media_key or stored.media_key,
        )

    # ---------- offers ----------
    def add_offer(self, offer: Offer) -> None:
        self.offer_items[(offer.shop_id, offer.offer_id)] = offer

    def offers(self, shop_id: str) -> list[Offer]:
        return [o for key, o in sorted(self.offer_items.items()) if key[0] == shop_id]

    def offer(self, shop_id: str, offer_id: str) -> Offer | None:
        return self.offer_items.get((shop_id, offer_id))

    def delete_offer(self, offer: Offer) -> None:
        self.offer_items.pop((offer.shop_id, offer.offer_id), None)

    # ---------- discount codes ----------
    def add_code(self, code: DiscountCode) -> None:
        if code.code in self.codes:
            raise ClaimTaken(code.code)
        self.codes[code.code] = code

    def code(self, code: str) -> DiscountCode | None:
        return self.codes.get(code)

    def shop_codes(self, shop_id: str) -> list[DiscountCode]:
        return [c for _, c in sorted(self.codes.items()) if c.shop_id == shop_id]

    def deactivate_code(self, code: DiscountCode) -> DiscountCode:
        changed = replace(self.codes[code.code], active=False)
        self.codes[code.code] = changed
        return changed

    def code_uses(self, code: str, user_id: str) -> int:
        return self.uses.get((code, user_id), 0)

    @contextmanager
    def transaction(self) -> Iterator[FakeTransaction]:
        writer = FakeTransaction()
        yield writer
        writer.commit()

    def _count_use(self, code: str, user_id: str, delta: int) -> None:
        item = self.codes[code]
        self.codes[code] = replace(item, used=item.used + delta)
        self.uses[(code, user_id)] = self.uses.get((code, user_id), 0) + delta

    def write_redemption(
        self,
        transaction: FakeTransaction,
        *,
        code: str,
        user_id: str,
        max_uses: int | None,
        per_user_limit: int | None,
        now: datetime,
    ) -> None:
        def code_ok() -> bool:
            item = self.codes.get(code)
            return (
                item is not None
                and item.active
                and item.ends_at > now
                and (max_uses is None or item.used < max_uses)
            )

        def use_ok() -> bool:
            return per_user_limit is None or self.uses.get((code, user_id), 0) < per_user_limit

        transaction.add(code_ok, lambda: None)
        transaction.add(use_ok, lambda: self._count_use(code, user_id, 1))

    def release_redemption(self, code: str, *, user_id: str) -> None:
        with self.transaction() as writer:
            item = self.codes.get(code)
            writer.add(lambda: item is not None and item.used > 0, lambda: None)
            writer.add(
                lambda: self.uses.get((code, user_id), 0) > 0,
                lambda: self._count_use(code, user_id, -1),
            )

    def category_usage(
        self, category: str, subcategory: str | None = None, *, sample: int = 5
    ) -> CategoryUsage:
        product_ids = sorted(
            p.product_id
            for p in self.product_items.values()
            if p.category == category and (subcategory is None or p.subcategory == subcategory)
        )
        shop_ids = (
            sorted(s.shop_id for s in self.shop_items.values() if s.category == category)
            if subcategory is None
            else []
        )
        return CategoryUsage(
            category=category,
            subcategory=subcategory,
            products=len(product_ids),
            shops=len(shop_ids),
            product_ids=tuple(product_ids[:sample]),
            shop_ids=tuple(shop_ids[:sample]),
        )

    # ---------- site configuration ----------
    def site_config(self) -> SiteConfig:
        return self.config or SiteConfig(categories={}, updated_at=clock.now())

    def save_site_config(self, config: SiteConfig) -> SiteConfig:
        current = self.config.version if self.config else 0
        if config.version != current:
            raise WriteRefused("site config")
        self.config = replace(config, version=current + 1)
        return self.config

    # ---------- the search index ----------
    def sync_postings(self, product_id: str, listed: Product | None) -> int:
        if listed is None:
            self.listed.pop(product_id, None)
            return 0
        self.listed[product_id] = listed
        return _partitions(listed)

    def post_many(self, products: Iterable[Product]) -> int:
        return sum(self.sync_postings(p.product_id, p) for p in products)

    def search(self, query: SearchQuery, cursor: str | None, *, now: datetime) -> SearchPage:
        decoded = decode_cursor(cursor)
        if decoded is not None and decoded.get("q") != _fingerprint(query):
            raise BadRequestError("This cursor belongs to another search")
        key, descending = _ORDER[query.sort]
        found = sorted(
            (
                listing
                for product in self.listed.values()
                if _matches(listing := listing_of(product), product, query, now)
            ),
            key=key,
            reverse=descending,
        )
        start = int(decoded["o"]) if decoded else 0
        items = found[start : start + query.limit]
        more = start + query.limit < len(found)
        next_cursor = (
            encode_cursor({"q": _fingerprint(query), "o": start + query.limit}) if more else None
        )
        return SearchPage(items=items, next_cursor=next_cursor, items_read=len(found), queries=1)

    def related(self, product: Product, *, limit: int) -> list[Listing]:
        same = [
            listing_of(p)
            for p in self.listed.values()
            if p.product_id != product.product_id
            and p.category == product.category
            and (not product.subcategory or p.subcategory == product.subcategory)
        ]
        same.sort(key=lambda item: (item.popularity, item.product_id), reverse=True)
        return same[:limit]


# ---------- acting as checkout does ----------
def redeem_prepared(redemption: Any) -> Any:
    """Count a prepared use in a transaction of its own, as checkout does with its orders
    (on whichever repository is in use); raises the rule that now fails."""
    try:
        with repository.get().transaction() as transaction:
            redemption.write(transaction)
    except TransactionCancelledError:
        raise redemption.refused() from None
    return redemption.applied


def redeem(code: str, *, user_id: str, shop_subtotals: dict[str, int]) -> Any:
    """Use a code once for ``user_id`` on its own (checkout writes the use with its orders)."""
    from chalicelib.catalog.service import discounts

    return redeem_prepared(
        discounts.prepare_redemption(code, user_id=user_id, shop_subtotals=shop_subtotals)
    )


# ---------- domain values for tests (what the use cases would build) ----------
def make_shop(shop_id: str = "shop-1", owner_id: str = "seller-1", **values: Any) -> Shop:
    now = clock.now()
    fields: dict[str, Any] = {
        "name": f"Shop {shop_id}",
        "slug": f"slug-{shop_id}",
        "category": "shoes",
        "settings": {"low_stock_threshold": 5, "channels": ["app", "websocket"]},
        "created_at": now,
        "updated_at": now,
    }
    return Shop(shop_id=shop_id, owner_id=owner_id, **(fields | values))


def make_product(product_id: str = "p-1", shop: Shop | None = None, **values: Any) -> Product:
    shop = shop or make_shop()
    now = clock.now()
    fields: dict[str, Any] = {
        "title": f"Product {product_id}",
        "slug": f"product-{product_id}",
        "category": "shoes",
        "subcategory": "sneakers",
        "regular_price": 5000,
        "currency": "USD",
        "stock": 10,
        "created_at": now,
        "updated_at": now,
    }
    return Product(
        product_id=product_id,
        shop_id=shop.shop_id,
        seller_id=shop.owner_id,
        **(fields | values),
    )


def make_code(code: str = "SAVE10", shop_id: str = "shop-1", **values: Any) -> DiscountCode:
    from chalicelib.catalog.domain import DiscountKind

    now = clock.now()
    fields: dict[str, Any] = {
        "kind": DiscountKind.PERCENT,
        "value": 10,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=1),
        "created_at": now,
    }
    return DiscountCode(code=code, shop_id=shop_id, **(fields | values))


# ---------- fixtures for use-case tests (imported by tests/unit/*/conftest.py) ----------
@pytest.fixture
def catalog_repo() -> Iterator[InMemoryCatalogRepository]:
    """The catalog's services run on a fresh in-memory repository."""
    fake = InMemoryCatalogRepository()
    repository.use(fake)
    yield fake
    repository.use(None)


@dataclass
class Bus:
    """What the services published, and what a failing bus made them count."""

    events: list[DomainEvent] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    down: bool = False

    def names(self) -> list[str]:
        return [event.name for event in self.events]


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    """EventBridge replaced by a list (``bus.down = True`` makes every put fail)."""
    from chalicelib.core import events, observability
    from chalicelib.core.errors import DependencyUnavailableError

    recorded = Bus()

    def put(sent: tuple[DomainEvent, ...]) -> list[str]:
        if recorded.down:
            raise DependencyUnavailableError("Could not publish events")
        recorded.events.extend(sent)
        return [str(n) for n in range(len(sent))]

    def add_metric(*, name: str, unit: str, value: float) -> None:
        recorded.metrics.append(name)

    monkeypatch.setattr(events, "_put", put)
    monkeypatch.setattr(observability.metrics, "add_metric", add_metric)
    return recorded


@dataclass
class IdentityCalls:
    """What the catalog asked of identity's service."""

    shops: list[tuple[str, str | None]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> IdentityCalls:
    """identity's service as the catalog uses it, recorded instead of stored."""
    from chalicelib.identity import service as identity_service

    calls = IdentityCalls()
    monkeypatch.setattr(
        identity_service, "attach_shop", lambda account, shop: calls.shops.append((account, shop))
    )
    monkeypatch.setattr(identity_service, "email_of", calls.emails.get)
    monkeypatch.setattr(
        identity_service,
        "block_signups",
        lambda email, *, reason, shop_id=None: calls.blocked.append(email),
    )
    return calls


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The media bucket's deletions, recorded (use-case tests touch no S3)."""
    from chalicelib.catalog import media as media_bucket

    deleted: list[str] = []

    def delete_under(prefix: str, *, first_parts: list[str] | None = None) -> int:
        deleted.append(prefix)
        return 0

    monkeypatch.setattr(media_bucket, "delete_under", delete_under)
    monkeypatch.setattr(media_bucket, "delete", deleted.append)
    return deleted


@dataclass
class MediaObjects:
    """The catalog's media bucket as a dict of key → bytes (pre-signed POSTs are recorded
    grants; a test "uploads" by putting bytes under the granted key)."""

    objects: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)


@pytest.fixture
def media_objects(monkeypatch: pytest.MonkeyPatch) -> MediaObjects:
    """Pre-signed uploads, bounded reads, puts and deletes of ``chalicelib.catalog.media``
    on a dict (use-case tests touch no S3)."""
    from chalicelib.catalog import media as media_bucket
    from chalicelib.catalog.domain import UploadGrant

    store = MediaObjects()

    def presigned_upload(key: str, content_type: str, *, max_bytes: int, ttl: int) -> UploadGrant:
        return UploadGrant(key=key, url="memory://media", fields={"key": key})

    def read_at_most(key: str, limit: int) -> bytes:
        return store.objects[key][: limit + 1]

    def read_if_present(key: str, limit: int) -> bytes | None:
        return store.objects[key][: limit + 1] if key in store.objects else None

    def put(key: str, data: bytes, content_type: str) -> None:
        store.objects[key] = data

    def delete(key: str) -> None:
        store.objects.pop(key, None)
        store.deleted.append(key)

    monkeypatch.setattr(media_bucket, "presigned_upload", presigned_upload)
    monkeypatch.setattr(media_bucket, "read_at_most", read_at_most)
    monkeypatch.setattr(media_bucket, "read_if_present", read_if_present)
    monkeypatch.setattr(media_bucket, "put", put)
    monkeypatch.setattr(media_bucket, "delete", delete)
    return store
