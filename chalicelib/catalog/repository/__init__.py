"""The catalog's storage port: every read and write of the catalog and search tables.

``CatalogRepository`` says in domain terms what the services need; ``dynamodb.py`` is the
DynamoDB implementation (the catalog table, keys, conditions, transactions) and
``search.py`` its search-table half (postings, partition counts, Query-only search).
Services call ``repository.get().<method>(...)``; tests swap in the in-memory fake
(``tests/fakes/catalog.py``) with ``repository.use(fake)``. Both pass the same contract
tests (``tests/integration/catalog/test_repository_contract.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.catalog.domain import (
    CategoryUsage,
    DiscountCode,
    ImageStatus,
    Listing,
    Offer,
    Product,
    ProductImage,
    ProductOffer,
    RatingSubject,
    SearchPage,
    SearchQuery,
    Shop,
    SiteConfig,
    UploadTicket,
)
from chalicelib.core.dynamo import ITEM_CONDITION_FAILED
from chalicelib.core.pagination import Page


class ClaimTaken(Exception):
    """A uniqueness claim is held already (a slug, a seller's one shop, a code's text)."""


class WriteRefused(Exception):
    """The stored item moved on since it was read (its version), or a claim it needs is taken."""


class NotStored(Exception):
    """The item to change is not stored (any more)."""


@dataclass(frozen=True)
class StockMoves:
    """Stock changes of products as low-level ``TransactWriteItems`` items (one per product,
    in ``product_ids`` order), for a transaction that spans tables: another capability's
    repository adds its own items and runs it (``core.dynamo.transact_items``)."""

    product_ids: tuple[str, ...]
    items: tuple[dict[str, Any], ...]
    # product id → the stock keys (``product`` or ``product#sku``) its item moves.
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def refused(self, reasons: Sequence[str]) -> list[str]:
        """The stock keys whose product's condition failed, from the cancellation reasons
        of these items (in the same order)."""
        return [
            key
            for product_id, code in zip(self.product_ids, reasons, strict=False)
            if code == ITEM_CONDITION_FAILED
            for key in self.keys.get(product_id, (product_id,))
        ]


class CatalogRepository(Protocol):
    """Products, shops, follows, upload tickets, offers, codes, site config and postings."""

    # ---------- products ----------
    def product(self, product_id: str) -> Product | None:
        """The product in any state (strongly consistent), or None."""
        ...

    def products(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The stored ones of ``product_ids`` by id, in one batch read (strongly consistent)."""
        ...

    def add_product(self, product: Product) -> Product:
        """Store a new product and its slug claim together (version 1); ClaimTaken if the
        shop has a product at that slug."""
        ...

    def save_product(self, product: Product, *, old_slug: str) -> Product:
        """Replace the product if it is still at ``product.version`` (moving its slug claim
        when the slug changed); WriteRefused otherwise. Returns it at its new version."""
        ...

    def set_product_deleted(
        self, product: Product, *, deleted_at: datetime, purge_after: datetime
    ) -> Product:
        """Soft-delete, if still at ``product.version``; WriteRefused otherwise."""
        ...

    def set_product_restored(self, product: Product) -> Product:
        """Undo a soft delete, if still at ``product.version``; WriteRefused otherwise."""
        ...

    def set_product_images(self, product: Product, images: Iterable[ProductImage]) -> Product:
        """Replace the images whatever the version (it still moves); NotStored if gone."""
        ...

    def set_product_offer(self, product: Product, offer: ProductOffer | None) -> Product:
        """Put an offer's terms on the product (None: take them off); NotStored if gone."""
        ...

    def add_popularity(self, product_id: str, delta: int) -> Product | None:
        """Count interest without moving the version; None if there is no such product."""
        ...

    def set_rating(
        self, kind: RatingSubject, subject_id: str, total: int, count: int, revision: int
    ) -> bool:
        """Set a product's or shop's counted ratings unless ``revision`` is not newer than
        the one it holds (or it does not exist): False then."""
        ...

    def stock_moves(self, units: Mapping[str, int], *, take: bool) -> StockMoves:
        """Items moving each product's stock by its units (and its version): taken
        (``take``) only while that many are in stock and the product is active; given back
        only while the product exists (a purged product refuses)."""
        ...

    def shop_products(
        self, shop_id: str, *, limit: int, cursor: str | None, include_deleted: bool
    ) -> Page[Product]:
        """A shop's products, newest first."""
        ...

    def shop_product_ids(self, shop_id: str) -> list[str]:
        """Every product id of a shop, deleted ones too."""
        ...

    def expired_products(self, as_of: datetime, *, limit: int) -> list[str]:
        """Ids of soft-deleted products whose restore window closed before ``as_of``."""
        ...

    def purge_product(self, product: Product, *, only_if_deleted: bool) -> bool:
        """Remove the product, its upload tickets and slug claim; False if ``only_if_deleted``
        and it is not deleted any more (a restore won)."""
        ...

    def load_products(self, products: Iterable[Product]) -> int:
        """Store fully built products and their slug claims in bulk (no checks, no events)."""
        ...

    # ---------- shops ----------
    def shop(self, shop_id: str) -> Shop | None:
        """The shop in any state (strongly consistent), or None."""
        ...

    def shops(self, shop_ids: Iterable[str]) -> dict[str, Shop]:
        """The stored ones of ``shop_ids`` by id, in one batch read."""
        ...

    def shop_of_seller(self, account_id: str) -> Shop | None:
        """The seller's shop (deleted ones too), or None."""
        ...

    def add_shop(self, shop: Shop) -> Shop:
        """Store a new shop with its seller and slug claims (version 1); ClaimTaken if the
        seller has a shop or the slug is taken."""
        ...

    def save_shop(self, shop: Shop, *, old_slug: str) -> Shop:
        """Replace the shop if still at ``shop.version`` (moving the slug claim); else
        WriteRefused."""
        ...

    def listed_shops(self, *, limit: int, cursor: str | None) -> Page[Shop]:
        """Shops that are not deleted, newest first (banned sellers' ones included)."""
        ...

    def set_shop_deleted(self, shop: Shop, *, deleted_at: datetime, purge_after: datetime) -> Shop:
        """Soft-delete, if still at ``shop.version``; WriteRefused otherwise."""
        ...

    def set_shop_restored(self, shop: Shop) -> Shop:
        """Undo a soft delete, if still at ``shop.version``; WriteRefused otherwise."""
        ...

    def set_seller_banned(self, shop: Shop, banned: bool) -> Shop:
        """Mirror the seller's ban (whatever the version; it still moves)."""
        ...

    def expired_shops(self, as_of: datetime, *, limit: int) -> list[str]:
        """Ids of deleted shops whose restore window closed before ``as_of`` (oldest first)."""
        ...

    def delete_shop_belongings(self, shop_id: str) -> None:
        """Remove a shop's follows, offers and discount codes."""
        ...

    def delete_shop(self, shop: Shop) -> None:
        """Remove the shop and its slug and seller claims."""
        ...

    def follow(self, shop: Shop, user_id: str, *, now: datetime) -> bool:
        """Record a follow and count it; False if it was already there."""
        ...

    def unfollow(self, shop: Shop, user_id: str) -> bool:
        """Remove a follow and count it; False if there was none."""
        ...

    def followed_shop_ids(self, user_id: str, *, limit: int, cursor: str | None) -> Page[str]:
        """Ids of the shops a user follows, newest first."""
        ...

    # ---------- image uploads ----------
    def add_ticket(self, ticket: UploadTicket) -> None: ...

    def ticket(self, product_id: str, image_id: str) -> UploadTicket | None:
        """The upload ticket of a product image (strongly consistent), or None."""
        ...

    def asset_ticket(self, asset_id: str) -> UploadTicket | None:
        """The upload ticket of an asset (logo, banner; strongly consistent), or None."""
        ...

    def claim_ticket(self, ticket: UploadTicket, *, now: datetime, lease: timedelta) -> bool:
        """Mark the ticket PROCESSING if it is PENDING, or PROCESSING for longer than
        ``lease`` (a crashed run); False if another run holds it."""
        ...

    def finish_ticket(
        self,
        ticket: UploadTicket,
        status: ImageStatus,
        reason: str | None,
        *,
        now: datetime,
        media_key: str | None = None,
    ) -> None:
        """Record the outcome (and, for an accepted asset, its rendition's key)."""
        ...

    # ---------- offers ----------
    def add_offer(self, offer: Offer) -> None: ...

    def offers(self, shop_id: str) -> list[Offer]: ...

    def offer(self, shop_id: str, offer_id: str) -> Offer | None: ...

    def delete_offer(self, offer: Offer) -> None: ...

    # ---------- discount codes ----------
    def add_code(self, code: DiscountCode) -> None:
        """Store a new code; ClaimTaken if its text is taken."""
        ...

    def code(self, code: str) -> DiscountCode | None:
        """The code (already normalised; strongly consistent), or None."""
        ...

    def shop_codes(self, shop_id: str) -> list[DiscountCode]: ...

    def deactivate_code(self, code: DiscountCode) -> DiscountCode: ...

    def code_uses(self, code: str, user_id: str) -> int:
        """How many times ``user_id`` redeemed ``code``."""
        ...

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction other writes can join (TransactionCancelledError if refused)."""
        ...

    def write_redemption(
        self,
        transaction: Any,
        *,
        code: str,
        user_id: str,
        max_uses: int | None,
        per_user_limit: int | None,
        now: datetime,
    ) -> None:
        """Add one use of ``code`` by ``user_id`` to ``transaction``: the code's counter, then
        the user's, each conditional on its limit (and the code on being active, unexpired)."""
        ...

    def release_redemption(self, code: str, *, user_id: str) -> None:
        """Give back one use of ``code`` by ``user_id`` (both counters, never below zero)."""
        ...

    # ---------- site configuration ----------
    def category_usage(
        self, category: str, subcategory: str | None = None, *, sample: int = 5
    ) -> CategoryUsage:
        """The shops and products (any state, until purged) in ``category`` — or, given
        ``subcategory``, the products in it: exact counts and up to ``sample`` ids each."""
        ...

    def site_config(self) -> SiteConfig:
        """The configuration (an empty one at version 0 before any was saved)."""
        ...

    def save_site_config(self, config: SiteConfig) -> SiteConfig:
        """Store it if the stored one is still at ``config.version``; WriteRefused otherwise."""
        ...

    # ---------- the search index ----------
    def sync_postings(self, product_id: str, listed: Product | None) -> int:
        """Make the product's postings match ``listed`` (None: it is not listed); returns
        how many postings it has now. Idempotent and order-insensitive."""
        ...

    def post_many(self, products: Iterable[Product]) -> int:
        """Post many new, listed products at once (bulk loads); returns postings written."""
        ...

    def search(self, query: SearchQuery, cursor: str | None, *, now: datetime) -> SearchPage:
        """One page of listed products matching ``query``; BadRequestError for a cursor of
        another query."""
        ...

    def related(self, product: Product, *, limit: int) -> list[Listing]:
        """Listed products of the same (sub)category, most popular first, this one excluded."""
        ...


_repository: CatalogRepository | None = None


def get() -> CatalogRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        from chalicelib.catalog.repository.dynamodb import DynamoCatalogRepository

        _repository = DynamoCatalogRepository()
    return _repository


def use(repository: CatalogRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
