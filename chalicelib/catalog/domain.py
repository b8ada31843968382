"""The catalog's domain values and the pure rules on them (prices, offers, slugs, tokens).

The repository returns these, the services take and return them, the schemas render them.
Money is integer minor units of ``currency``. Nothing here touches a table or a request.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class ProductStatus(StrEnum):
    """Where a product is in its life: listed, or soft-deleted (restorable, then purged)."""

    ACTIVE = "ACTIVE"
    DELETED = "DELETED"


class ShopStatus(StrEnum):
    """Where a shop is in its life: open, or soft-deleted (restorable, then purged)."""

    ACTIVE = "ACTIVE"
    DELETED = "DELETED"


# How a shop whose seller is banned shows (its stored status is unchanged).
SELLER_BANNED = "SELLER_BANNED"


class ImageStatus(StrEnum):
    """What became of an image upload."""

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    READY = "READY"
    REJECTED = "REJECTED"


class DiscountKind(StrEnum):
    """A code takes a percentage of the eligible subtotal, or a fixed amount off it."""

    PERCENT = "percent"
    FIXED = "fixed"


# ---------- prices ----------
def list_price(regular_price: int, sale_price: int | None) -> int:
    """The price a product is listed at (its sale price when it has one)."""
    return sale_price if sale_price is not None and sale_price < regular_price else regular_price


def percent_off(amount: int, percent: int) -> int:
    """``amount`` less ``percent`` percent, the discount rounded down (never below 0)."""
    return max(0, amount - amount * percent // 100)


@dataclass(frozen=True)
class ProductOffer:
    """The offer covering a product, copied onto it (so a product read knows its price)."""

    offer_id: str
    name: str
    percent_off: int
    starts_at: datetime
    ends_at: datetime

    def active_at(self, now: datetime) -> bool:
        """True while ``now`` is inside the offer's window."""
        return self.starts_at <= now < self.ends_at


def effective_price(
    regular_price: int, sale_price: int | None, offer: ProductOffer | None, now: datetime
) -> int:
    """What a shopper pays for one unit at ``now``: list price, less an active offer."""
    price = list_price(regular_price, sale_price)
    if offer is not None and offer.active_at(now):
        price = percent_off(price, offer.percent_off)
    return price


# ---------- products ----------
@dataclass(frozen=True)
class ProductImage:
    """One processed image of a product: its size and the keys of its renditions."""

    image_id: str
    width: int | None = None
    height: int | None = None
    thumbnail_key: str | None = None
    medium_key: str | None = None
    full_key: str | None = None


@dataclass(frozen=True)
class Variant:
    """One buyable version of a product (a size x colour): a SKU with its own stock, an
    optional price (instead of the product's regular price) and image."""

    sku: str
    stock: int
    color: str | None = None
    size: str | None = None
    price: int | None = None
    image_id: str | None = None


# A unit of stock: the product's own (no variants), or one of its variants'.
STOCK_KEY_SEPARATOR = "#"


def stock_key(product_id: str, sku: str | None = None) -> str:
    """What a reservation counts units of: ``product_id``, or ``product_id#sku``."""
    return f"{product_id}{STOCK_KEY_SEPARATOR}{sku}" if sku else product_id


def split_stock_key(key: str) -> tuple[str, str | None]:
    """(product id, sku or None) of a ``stock_key``."""
    product_id, _, sku = key.partition(STOCK_KEY_SEPARATOR)
    return product_id, sku or None


@dataclass(frozen=True)
class Product:
    """A product of one shop. ``version`` moves on every change (optimistic locking).

    A product with ``variants`` is bought by SKU; its ``stock`` is then the sum of theirs.
    """

    product_id: str
    shop_id: str
    seller_id: str
    title: str
    slug: str
    category: str
    regular_price: int
    currency: str
    stock: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    subcategory: str | None = None
    brand: str | None = None
    tags: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    sale_price: int | None = None
    images: tuple[ProductImage, ...] = ()
    offer: ProductOffer | None = None
    popularity: int = 0
    # Counted review ratings (the reviews capability sets them; ``rating_revision`` is its
    # aggregate's revision, so an older value never overwrites a newer one).
    rating_sum: int = 0
    rating_count: int = 0
    rating_revision: int = 0
    status: ProductStatus = ProductStatus.ACTIVE
    deleted_at: datetime | None = None
    purge_after: datetime | None = None
    version: int = 0
    variants: tuple[Variant, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status is ProductStatus.ACTIVE

    def variant(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)

    @property
    def listed_colors(self) -> tuple[str, ...]:
        """Colours search finds it by: its variants' that are in stock, or its own."""
        if not self.variants:
            return self.colors
        return tuple(dict.fromkeys(v.color for v in self.variants if v.color and v.stock > 0))

    @property
    def listed_sizes(self) -> tuple[str, ...]:
        """Sizes search finds it by: its variants' that are in stock, or its own."""
        if not self.variants:
            return self.sizes
        return tuple(dict.fromkeys(v.size for v in self.variants if v.size and v.stock > 0))

    @property
    def listed_combos(self) -> tuple[str, ...]:
        """``colour/size`` pairs one can buy: in-stock variants', or any of its own."""
        if not self.variants:
            return tuple(f"{c}/{s}" for c in self.colors for s in self.sizes)
        return tuple(
            dict.fromkeys(f"{v.color or ''}/{v.size or ''}" for v in self.variants if v.stock > 0)
        )

    def variant_price_at(self, variant: Variant, now: datetime) -> int:
        """What one unit of ``variant`` costs at ``now`` (its own price, less an offer)."""
        if variant.price is None:
            return self.price_at(now)
        return effective_price(variant.price, None, self.offer, now)

    @property
    def list_price(self) -> int:
        """The price it is listed at (the sale price when set)."""
        return list_price(self.regular_price, self.sale_price)

    def price_at(self, now: datetime) -> int:
        """What one unit costs at ``now`` (an active offer taken off)."""
        return effective_price(self.regular_price, self.sale_price, self.offer, now)

    def on_offer_at(self, now: datetime) -> bool:
        return self.offer is not None and self.offer.active_at(now)

    @property
    def thumbnail_key(self) -> str | None:
        return self.images[0].thumbnail_key if self.images else None


@dataclass(frozen=True)
class ProductSnapshot:
    """A product as a cart line sees it at one moment: can it be bought, for how much.

    ``available`` is False for unknown or deleted products and for products of deleted
    shops or banned sellers; the other fields are then empty.
    """

    product_id: str
    available: bool = False
    shop_id: str | None = None
    title: str | None = None
    sku: str | None = None
    color: str | None = None
    size: str | None = None
    stock: int = 0
    unit_price: int = 0
    list_price: int = 0
    on_offer: bool = False
    thumbnail_key: str | None = None


RatingSubject = Literal["product", "shop"]


# ---------- shops ----------
@dataclass(frozen=True)
class Shop:
    """A seller's shop (one per seller). ``seller_banned`` mirrors identity's ban."""

    shop_id: str
    owner_id: str
    name: str
    slug: str
    category: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    address: dict[str, Any] | None = None
    branch: dict[str, Any] | None = None
    logo_key: str | None = None
    follower_count: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    rating_revision: int = 0
    status: ShopStatus = ShopStatus.ACTIVE
    seller_banned: bool = False
    deleted_at: datetime | None = None
    purge_after: datetime | None = None
    version: int = 0

    @property
    def visible(self) -> bool:
        """Shoppers see the shop and its products."""
        return self.status is ShopStatus.ACTIVE and not self.seller_banned

    @property
    def shown_status(self) -> str:
        """The status the API shows (a banned seller's shop shows as such)."""
        return SELLER_BANNED if self.seller_banned else self.status.value


def is_listed(product: Product | None, shop: Shop | None) -> bool:
    """Whether shoppers may find ``product`` (active, in a visible shop)."""
    return product is not None and product.is_active and shop is not None and shop.visible


# ---------- images ----------
@dataclass(frozen=True)
class UploadTicket:
    """A pre-signed image upload and what became of it.

    ``purpose`` is ``product`` (an image of ``product_id``) or one of ``ASSET_PURPOSES``
    (a shop logo, the site's logo or banner: ``product_id`` is empty, ``owner_id`` is the
    account that asked for the upload, and ``media_key`` the accepted rendition once READY
    — the only key such a field may then be set to).
    """

    image_id: str
    product_id: str
    shop_id: str
    key: str
    content_type: str
    status: ImageStatus
    created_at: datetime
    reason: str | None = None
    processed_at: datetime | None = None
    purpose: str = "product"
    owner_id: str | None = None
    media_key: str | None = None


# What an asset upload is for: who may ask for it, and where its key may then be stored.
ASSET_PURPOSES = ("shop_logo", "site_logo", "site_banner")


@dataclass(frozen=True)
class CategoryUsage:
    """What still uses a category (or one of its subcategories): counts and a few ids.

    Soft-deleted products and shops count: they can be restored until they are purged.
    """

    category: str
    subcategory: str | None = None
    products: int = 0
    shops: int = 0
    product_ids: tuple[str, ...] = ()
    shop_ids: tuple[str, ...] = ()

    @property
    def in_use(self) -> bool:
        return self.products > 0 or self.shops > 0


@dataclass(frozen=True)
class UploadGrant:
    """Where and how the client uploads one file (a pre-signed S3 POST)."""

    key: str
    url: str
    fields: dict[str, str]
    image_id: str = ""
    max_bytes: int = 0
    expires_in: int = 0


# ---------- offers and discount codes ----------
@dataclass(frozen=True)
class Offer:
    """A time-boxed sale: ``percent_off`` on the listed products between two instants."""

    offer_id: str
    shop_id: str
    name: str
    percent_off: int
    starts_at: datetime
    ends_at: datetime
    product_ids: tuple[str, ...]
    created_at: datetime

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def terms(self) -> ProductOffer:
        """What each covered product carries of this offer."""
        return ProductOffer(
            offer_id=self.offer_id,
            name=self.name,
            percent_off=self.percent_off,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


@dataclass(frozen=True)
class DiscountCode:
    """A seller's discount code; ``used`` counts redemptions."""

    code: str
    shop_id: str
    kind: DiscountKind
    value: int
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    min_order: int = 0
    max_uses: int | None = None
    per_user_limit: int | None = None
    used: int = 0
    active: bool = True


@dataclass(frozen=True)
class AppliedDiscount:
    """A code that passed every rule, and what it takes off."""

    code: str
    shop_id: str
    kind: str
    value: int
    eligible_subtotal: int
    amount: int


def normalize_code(code: str) -> str:
    """Codes compare case-insensitively, without surrounding spaces."""
    return code.strip().upper()


# ---------- site configuration ----------
@dataclass(frozen=True)
class SiteConfig:
    """Admin-managed categories (name → subcategories), logo and banner."""

    categories: dict[str, list[str]]
    updated_at: datetime
    logo_key: str | None = None
    banner_key: str | None = None
    version: int = 0


# ---------- search ----------
Sort = Literal["newest", "price_asc", "price_desc", "popularity", "rating"]


def rating_hundredths(total: int, count: int) -> int:
    """A review average in hundredths of a star (0 with no reviews): what search sorts and
    filters on (``min_rating`` 4.5 keeps 450 and up)."""
    return round(total * 100 / count) if count else 0


_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset({"and", "the", "for", "with", "of", "in", "on", "to", "a", "an"})


def tokens(text: str) -> list[str]:
    """Search tokens of ``text``: lower-case words of 2+ characters, plural ``s`` dropped."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return list(dict.fromkeys(out))


def words_of(product: Product) -> list[str]:
    """The tokens a product is found by (title, brand, category, subcategory, tags)."""
    text = " ".join(
        [
            product.title,
            product.brand or "",
            product.category,
            product.subcategory or "",
            *product.tags,
        ]
    )
    return tokens(text)


def normalize_label(value: str) -> str:
    """Facet values compare case- and space-insensitively."""
    return " ".join(value.lower().split())


@dataclass(frozen=True)
class SearchQuery:
    """A shopper's search. Multi-valued facets match any of their values; words all."""

    text: str | None = None
    category: str | None = None
    subcategory: str | None = None
    brand: str | None = None
    shop_id: str | None = None
    tags: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    min_price: int | None = None
    max_price: int | None = None
    on_offer: bool = False
    # The lowest review average (in hundredths: 4.5 stars = 450); unrated products fail it.
    min_rating: int | None = None
    sort: Sort = "newest"
    limit: int = 20


@dataclass(frozen=True)
class Listing:
    """A visible product as search results show it (no second read needed).

    ``price`` is the list price; ``offer_price`` what it costs while the offer runs.
    """

    product_id: str
    shop_id: str
    title: str
    slug: str
    category: str
    price: int
    regular_price: int
    currency: str
    stock: int
    popularity: int
    created: str
    subcategory: str | None = None
    brand: str | None = None
    tags: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    offer_price: int | None = None
    offer_starts: datetime | None = None
    offer_ends: datetime | None = None
    thumbnail_key: str | None = None
    # Counted review ratings (as on the product), for the card's average and count.
    rating_sum: int = 0
    rating_count: int = 0

    def price_at(self, now: datetime) -> tuple[int, bool]:
        """The price right now and whether an offer gives it."""
        if (
            self.offer_price is not None
            and self.offer_starts is not None
            and self.offer_ends is not None
            and self.offer_starts <= now < self.offer_ends
        ):
            return self.offer_price, True
        return self.price, False


@dataclass
class SearchPage:
    """One page of listings, the cursor for the next, and what it cost."""

    items: list[Listing] = field(default_factory=list)
    next_cursor: str | None = None
    driving_partition: str = "all"
    items_read: int = 0
    queries: int = 0


# ---------- small helpers ----------
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_length: int = 80) -> str:
    """``"Red Shoes!"`` → ``"red-shoes"`` (ASCII, lower-case, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"
