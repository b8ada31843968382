"""The catalog's request and response models: validated bodies in, documented bodies out.

Request models are what callers send to the use cases (the API's bodies too). Money is
integer minor units (``1999`` is 19.99): floats and numeric strings are refused.
Response models are built from domain values (``…View.of(value)``); media keys become
time-limited URLs here.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from chalicelib.catalog import media
from chalicelib.catalog.domain import (
    DiscountCode,
    Listing,
    Offer,
    Product,
    ProductImage,
    ProductOffer,
    SearchPage,
    Shop,
    SiteConfig,
    UploadGrant,
    UploadTicket,
    Variant,
    slugify,
)
from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_LABEL = re.compile(r"^[\w][\w .&'+/-]*$", re.UNICODE)


def _price_in_range(value: int) -> int:
    limit = get_settings().price_max_minor
    if value > limit:
        raise ValueError(f"must be at most {limit} (minor units)")
    return value


def _stock_in_range(value: int) -> int:
    limit = get_settings().stock_max
    if value > limit:
        raise ValueError(f"must be at most {limit}")
    return value


def _label(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not _LABEL.match(value):
        raise ValueError("letters, digits, spaces and . & ' + / - only")
    return value


Money = Annotated[int, Field(strict=True, ge=1), AfterValidator(_price_in_range)]
Stock = Annotated[int, Field(strict=True, ge=0), AfterValidator(_stock_in_range)]
Channel = Literal["email", "app", "websocket"]
Label = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_label)]
Labels = Annotated[list[Label], Field(max_length=20)]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
CategoryName = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


KEEP = "Leave the field out to keep it; null is refused (422)."
CLEAR = "null clears it."


def _no_null_in_schema(schema: dict[str, Any]) -> None:
    """The JSON schema of a field that refuses null: drop the ``null`` branch (and the
    ``null`` default, which would not match the type)."""
    if schema.get("default", ...) is None:
        del schema["default"]
    options = schema.pop("anyOf", None)
    if options is None:
        return
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) == 1:
        schema.update(kept[0])
    else:
        schema["anyOf"] = kept


def _kept(note: str = "", **constraints: Any) -> Any:
    """An optional field of a change that cannot be empty: left out keeps the value, an
    explicit null is refused (with ``_refuse_null``), the schema does not offer null."""
    return Field(
        default=None,
        description=f"{KEEP} {note}".strip(),
        json_schema_extra=_no_null_in_schema,
        **constraints,
    )


def _refuse_null(value: Any) -> Any:
    """A ``mode="before"`` check for a change's fields that cannot be empty: an explicit
    ``null`` is a 422 naming the field (leaving the field out keeps its value)."""
    if value is None:
        raise ValueError("may not be null: leave the field out to keep its value")
    return value


Sku = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class VariantInput(RequestModel):
    """One SKU of a product (a size x colour): its own stock, optionally its own price
    (instead of ``regular_price``) and image (one of the product's ``image_id``s).
    ``sku`` defaults to ``<color>-<size>``."""

    sku: Sku | None = None
    color: Label | None = None
    size: Label | None = None
    stock: Stock
    price: Money | None = None
    image_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _named(self) -> VariantInput:
        if self.sku is None and self.color is None and self.size is None:
            raise ValueError("a variant needs a sku, a color or a size")
        return self

    def to_domain(self) -> Variant:
        named = "-".join(v for v in (self.color, self.size) if v)
        sku = (
            self.sku
            or slugify(named, max_length=40)
            or hashlib.sha256(named.encode()).hexdigest()[:8]
        )
        return Variant(
            sku=sku,
            stock=self.stock,
            color=self.color,
            size=self.size,
            price=self.price,
            image_id=self.image_id,
        )


Variants = Annotated[list[VariantInput], Field(max_length=60)]


def _distinct_skus(variants: list[VariantInput] | None) -> list[VariantInput] | None:
    if variants is not None:
        skus = [variant.to_domain().sku for variant in variants]
        if len(set(skus)) != len(skus):
            raise ValueError("each variant needs its own sku (or colour x size)")
    return variants


class ProductInput(RequestModel):
    """A new product. With ``variants`` it is bought by SKU and its ``stock`` is theirs
    (send ``stock: 0`` or their sum)."""

    title: str = Field(min_length=1, max_length=200)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    category: CategoryName
    subcategory: CategoryName | None = None
    brand: str | None = Field(default=None, min_length=1, max_length=60)
    tags: Labels = Field(default_factory=list)
    colors: Labels = Field(default_factory=list)
    sizes: Labels = Field(default_factory=list)
    regular_price: Money
    sale_price: Money | None = None
    stock: Stock
    variants: Variants = Field(default_factory=list)

    _skus = field_validator("variants")(_distinct_skus)

    @field_validator("tags", "colors", "sizes")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        return _unique(values)

    @model_validator(mode="after")
    def _sale_below_regular(self) -> ProductInput:
        if self.sale_price is not None and self.sale_price >= self.regular_price:
            raise ValueError("sale_price must be lower than regular_price")
        return self


class ProductPatch(RequestModel):
    """Changes to a product; ``version`` is the one the caller read (optimistic locking).

    Only the fields sent change. ``null`` clears ``description``, ``subcategory``,
    ``brand`` and ``sale_price``; it is refused (422 naming the field) for every other
    field, which cannot be empty.
    """

    version: int = Field(strict=True, ge=1)
    title: str | None = _kept(min_length=1, max_length=200)
    slug: Slug | None = _kept()
    description: str | None = Field(default=None, max_length=5000, description=CLEAR)
    category: CategoryName | None = _kept("A new category without subcategory clears it.")
    subcategory: CategoryName | None = Field(default=None, description=CLEAR)
    brand: str | None = Field(default=None, min_length=1, max_length=60, description=CLEAR)
    tags: Labels | None = _kept("[] removes every tag.")
    colors: Labels | None = _kept("[] removes every color.")
    sizes: Labels | None = _kept("[] removes every size.")
    regular_price: Money | None = _kept()
    sale_price: Money | None = Field(default=None, description=CLEAR + " (no sale price)")
    clear_sale_price: bool = Field(default=False, description="same as sale_price: null")
    stock: Stock | None = _kept("A product with variants takes its stock from them.")
    variants: Variants | None = _kept(
        "The product's whole set of SKUs (each with its stock); [] makes it a product "
        "without variants again."
    )

    _skus = field_validator("variants")(_distinct_skus)

    _not_null = field_validator(
        "title",
        "slug",
        "category",
        "tags",
        "colors",
        "sizes",
        "regular_price",
        "stock",
        "variants",
        mode="before",
    )(_refuse_null)

    @field_validator("tags", "colors", "sizes")
    @classmethod
    def _dedupe(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _unique(values)


class ShopInput(RequestModel):
    """A new shop (``name`` and ``category`` required), or changes to one (only the fields
    sent change). ``null`` clears ``description``, ``address``, ``branch`` and
    ``logo_key``; it is refused (422 naming the field) for the others."""

    name: str | None = _kept(min_length=2, max_length=80)
    slug: Slug | None = _kept()
    category: CategoryName | None = _kept()
    description: str | None = Field(default=None, max_length=2000, description=CLEAR)
    address: ShopAddress | None = Field(default=None, description=CLEAR)
    branch: BranchInfo | None = Field(default=None, description=CLEAR)
    logo_key: str | None = Field(
        default=None,
        max_length=300,
        description="the `media_key` of a READY logo upload of yours (POST "
        "/seller/shop/logo); any other key is refused (422). " + CLEAR,
    )
    settings: ShopSettings | None = _kept()

    _not_null = field_validator("name", "slug", "category", "settings", mode="before")(_refuse_null)


class ShopAddress(RequestModel):
    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(default=None, max_length=120)
    city: str = Field(min_length=1, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class BranchInfo(RequestModel):
    """A store chain's branch: its name and code, and the chain it belongs to."""

    name: str = Field(min_length=1, max_length=80)
    code: str | None = Field(default=None, max_length=20)
    chain: str | None = Field(default=None, max_length=80)


def _default_channels() -> list[Channel]:
    return ["app", "websocket"]


class ShopSettings(RequestModel):
    low_stock_threshold: int = Field(default=5, strict=True, ge=0, le=100_000)
    channels: list[Channel] = Field(default_factory=_default_channels, max_length=3)


ShopInput.model_rebuild()


class OfferInput(RequestModel):
    """A time-boxed sale over some of the shop's products."""

    name: str = Field(min_length=1, max_length=80)
    percent_off: int = Field(strict=True, ge=1, le=90)
    starts_at: datetime
    ends_at: datetime
    product_ids: list[str] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _window(self) -> OfferInput:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class DiscountCodeInput(RequestModel):
    """A discount code: percent (1-100) or fixed (minor units) off a shop's items."""

    code: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    kind: Literal["percent", "fixed"]
    value: int = Field(strict=True, ge=1)
    min_order: int = Field(default=0, strict=True, ge=0)
    max_uses: int | None = Field(
        default=None, strict=True, ge=1, le=10_000_000, description="null or left out: no limit"
    )
    per_user_limit: int | None = Field(
        default=None, strict=True, ge=1, le=1000, description="null or left out: no limit"
    )
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _rules(self) -> DiscountCodeInput:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent code takes 1-100")
        if self.kind == "fixed":
            _price_in_range(self.value)
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    @property
    def normalized_code(self) -> str:
        return self.code.upper()


class SiteConfigInput(RequestModel):
    """Changes to the site configuration; only the fields sent change. ``version`` (the one
    read from ``GET /site/config``) is required: a stale one is a 409 STALE_VERSION.
    Removing a category or subcategory that products or shops still use is a 409
    CATEGORY_IN_USE naming them."""

    version: int = Field(strict=True, ge=0)
    categories: dict[CategoryName, list[CategoryName]] | None = _kept(
        "Every category → its subcategories (the whole set: one left out is removed).",
        max_length=200,
    )
    logo_key: str | None = Field(
        default=None,
        max_length=300,
        description="the `media_key` of a READY `logo` upload of yours (POST "
        "/admin/site/assets); any other key is refused (422). " + CLEAR,
    )
    banner_key: str | None = Field(
        default=None,
        max_length=300,
        description="the `media_key` of a READY `banner` upload of yours (POST "
        "/admin/site/assets); any other key is refused (422). " + CLEAR,
    )

    _not_null = field_validator("categories", mode="before")(_refuse_null)


class ImageUploadInput(RequestModel):
    """The file a seller is about to upload."""

    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/gif"]
    size: int = Field(strict=True, ge=1)


class SearchParams(RequestModel):
    """Query-string filters. Lists are comma-separated (``colors=red,blue``: any of them)."""

    q: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=60)
    subcategory: str | None = Field(default=None, max_length=60)
    brand: str | None = Field(default=None, max_length=60)
    shop_id: str | None = Field(default=None, max_length=64)
    tags: str | None = Field(default=None, max_length=400)
    colors: str | None = Field(default=None, max_length=400)
    sizes: str | None = Field(default=None, max_length=400)
    min_price: int | None = Field(default=None, ge=0)
    max_price: int | None = Field(default=None, ge=0, le=10**12)
    on_offer: bool = False
    min_rating: float | None = Field(
        default=None, ge=1, le=5, description="Only products whose review average is at least this"
    )
    sort: Literal["newest", "price_asc", "price_desc", "popularity", "rating"] = Field(
        default="newest",
        description="rating: the best review average first (then the most reviewed)",
    )
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _range(self) -> SearchParams:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price must not be above max_price")
        if self.subcategory and not self.category:
            raise ValueError("subcategory needs category")
        return self


class AssetRequest(RequestModel):
    """A site logo or banner about to be uploaded."""

    kind: Literal["logo", "banner"]
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int | None = _kept("Bytes.", strict=True, ge=1)

    _not_null = field_validator("size", mode="before")(_refuse_null)


# ---------- responses ----------
class SiteConfigView(ResponseModel):
    categories: dict[str, list[str]]
    logo_url: str | None = None
    banner_url: str | None = None
    version: int

    @classmethod
    def of(cls, config: SiteConfig) -> SiteConfigView:
        return cls(
            categories=config.categories,
            logo_url=media.url_for(config.logo_key),
            banner_url=media.url_for(config.banner_key),
            version=config.version,
        )


class AssetGrant(ResponseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` plus ``file``; then
    ``GET /assets/{asset_id}`` until READY and store its ``media_key``."""

    asset_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int

    @classmethod
    def of(cls, grant: UploadGrant) -> AssetGrant:
        return cls(
            asset_id=grant.image_id,
            key=grant.key,
            url=grant.url,
            fields=grant.fields,
            max_bytes=grant.max_bytes,
            expires_in=grant.expires_in,
        )


class AssetView(ResponseModel):
    """An asset upload: PENDING, PROCESSING, READY (``media_key`` is what a ``logo_key`` or
    ``banner_key`` may then be set to) or REJECTED with the reason."""

    asset_id: str
    purpose: str
    status: str
    reason: str | None = None
    media_key: str | None = None
    created_at: datetime
    processed_at: datetime | None = None

    @classmethod
    def of(cls, ticket: UploadTicket) -> AssetView:
        return cls(
            asset_id=ticket.image_id,
            purpose=ticket.purpose,
            status=ticket.status.value,
            reason=ticket.reason,
            media_key=ticket.media_key,
            created_at=ticket.created_at,
            processed_at=ticket.processed_at,
        )


class ImageView(ResponseModel):
    image_id: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None
    medium_url: str | None = None
    full_url: str | None = None

    @classmethod
    def of(cls, image: ProductImage) -> ImageView:
        return cls(
            image_id=image.image_id,
            width=image.width,
            height=image.height,
            thumbnail_url=media.url_for(image.thumbnail_key),
            medium_url=media.url_for(image.medium_key),
            full_url=media.url_for(image.full_key),
        )


class OfferSummary(ResponseModel):
    offer_id: str
    name: str
    percent_off: int
    starts_at: str
    ends_at: str
    active: bool

    @classmethod
    def of(cls, offer: ProductOffer | None, now: datetime) -> OfferSummary | None:
        """The offer as a product shows it, or None once it ended."""
        if offer is None or offer.ends_at <= now:
            return None
        return cls(
            offer_id=offer.offer_id,
            name=offer.name,
            percent_off=offer.percent_off,
            starts_at=clock.iso(offer.starts_at),
            ends_at=clock.iso(offer.ends_at),
            active=offer.active_at(now),
        )


class ProductCard(ResponseModel):
    """A product in a list: enough to render a search result."""

    product_id: str
    shop_id: str
    title: str
    slug: str
    category: str
    subcategory: str | None = None
    brand: str | None = None
    tags: list[str]
    colors: list[str]
    sizes: list[str]
    price: int
    list_price: int
    regular_price: int
    currency: str
    on_offer: bool
    in_stock: bool
    popularity: int
    created_at: str
    thumbnail_url: str | None = None
    rating_average: float | None = None
    rating_count: int = 0

    @classmethod
    def of(cls, listing: Listing, now: datetime) -> ProductCard:
        """A search result's card."""
        price, on_offer = listing.price_at(now)
        return cls.model_validate(
            {
                **_fields(listing),
                "price": price,
                "list_price": listing.price,
                "on_offer": on_offer,
                "in_stock": listing.stock > 0,
                "created_at": listing.created,
                "thumbnail_url": media.url_for(listing.thumbnail_key),
            }
        )

    @classmethod
    def of_product(cls, product: Product, now: datetime) -> ProductCard:
        """A product's card read from the catalog itself (not from a search listing)."""
        return cls.model_validate(
            {
                **_fields(product),
                "price": product.price_at(now),
                "list_price": product.list_price,
                "on_offer": product.on_offer_at(now) and product.offer is not None,
                "in_stock": product.stock > 0,
                "created_at": clock.iso(product.created_at),
                "thumbnail_url": media.url_for(product.thumbnail_key),
            }
        )


def _fields(value: Product | Listing) -> dict[str, Any]:
    """What a card copies as it is from a product or a listing."""
    return {
        "product_id": value.product_id,
        "shop_id": value.shop_id,
        "title": value.title,
        "slug": value.slug,
        "category": value.category,
        "subcategory": value.subcategory,
        "brand": value.brand,
        "tags": list(value.tags),
        "colors": list(value.colors),
        "sizes": list(value.sizes),
        "regular_price": value.regular_price,
        "currency": value.currency,
        "popularity": value.popularity,
        "rating_average": round(value.rating_sum / value.rating_count, 2)
        if value.rating_count
        else None,
        "rating_count": value.rating_count,
    }


class VariantView(ResponseModel):
    """A SKU: ``price`` is what one unit costs right now."""

    sku: str
    color: str | None = None
    size: str | None = None
    stock: int
    in_stock: bool
    price: int
    image_id: str | None = None

    @classmethod
    def of(cls, product: Product, variant: Variant, now: datetime) -> VariantView:
        return cls(
            sku=variant.sku,
            color=variant.color,
            size=variant.size,
            stock=variant.stock,
            in_stock=variant.stock > 0,
            price=product.variant_price_at(variant, now),
            image_id=variant.image_id,
        )


class ProductView(ResponseModel):
    """A product in full (prices in minor units; ``price`` is what it costs right now).
    With ``variants`` it is bought by SKU (cart lines name one); ``stock`` is their sum."""

    product_id: str
    shop_id: str
    title: str
    slug: str
    description: str | None = None
    category: str
    subcategory: str | None = None
    brand: str | None = None
    tags: list[str]
    colors: list[str]
    sizes: list[str]
    regular_price: int
    sale_price: int | None = None
    list_price: int
    price: int
    currency: str
    stock: int
    in_stock: bool
    images: list[ImageView]
    variants: list[VariantView] = Field(default_factory=list)
    offer: OfferSummary | None = None
    popularity: int
    rating_average: float | None = None
    rating_count: int = 0
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    restorable_until: datetime | None = None

    @classmethod
    def of(cls, product: Product, now: datetime | None = None) -> ProductView:
        return cls.model_validate(_product_fields(product, now or clock.now()))


def _product_fields(product: Product, now: datetime) -> dict[str, Any]:
    return {
        **_fields(product),
        "description": product.description,
        "sale_price": product.sale_price,
        "list_price": product.list_price,
        "price": product.price_at(now),
        "stock": product.stock,
        "in_stock": product.stock > 0,
        "images": [ImageView.of(image) for image in product.images],
        "variants": [VariantView.of(product, variant, now) for variant in product.variants],
        "offer": OfferSummary.of(product.offer, now),
        "rating_average": round(product.rating_sum / product.rating_count, 2)
        if product.rating_count
        else None,
        "rating_count": product.rating_count,
        "status": product.status.value,
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "deleted_at": product.deleted_at,
        "restorable_until": product.purge_after,
    }


class ProductDetail(ProductView):
    shop: ShopView
    related_url: str = Field(
        description="where its related products are: the recommender's paginated list "
        "(bought and viewed together; for a product too new for the model, popular ones of "
        "its category)",
        examples=["/products/0f8fad5bf8a94c6f8c1e2b8b9a6c7d10/related"],
    )

    @classmethod
    def of_detail(cls, product: Product, shop: Shop, now: datetime) -> ProductDetail:
        return cls.model_validate(
            {
                **_product_fields(product, now),
                "shop": ShopView.of(shop),
                "related_url": f"/products/{product.product_id}/related",
            }
        )


class ProductPage(ResponseModel):
    items: list[ProductCard]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: SearchPage, now: datetime) -> ProductPage:
        return cls(
            items=[ProductCard.of(listing, now) for listing in page.items],
            next_cursor=page.next_cursor,
        )


class SellerProductPage(ResponseModel):
    items: list[ProductView]
    next_cursor: str | None = None


class ShopView(ResponseModel):
    shop_id: str
    owner_id: str
    name: str
    slug: str
    category: str
    description: str | None = None
    address: dict[str, Any] | None = None
    branch: dict[str, Any] | None = None
    logo_url: str | None = None
    settings: dict[str, Any]
    follower_count: int
    rating_average: float | None = None
    rating_count: int
    status: str
    created_at: datetime
    deleted_at: datetime | None = None
    restorable_until: datetime | None = None

    @classmethod
    def of(cls, shop: Shop) -> ShopView:
        count = shop.rating_count
        return cls(
            shop_id=shop.shop_id,
            owner_id=shop.owner_id,
            name=shop.name,
            slug=shop.slug,
            category=shop.category,
            description=shop.description,
            address=shop.address,
            branch=shop.branch,
            logo_url=media.url_for(shop.logo_key),
            settings=dict(shop.settings),
            follower_count=max(0, shop.follower_count),
            rating_average=round(shop.rating_sum / count, 2) if count else None,
            rating_count=count,
            status=shop.shown_status,
            created_at=shop.created_at,
            deleted_at=shop.deleted_at,
            restorable_until=shop.purge_after,
        )


class ShopPage(ResponseModel):
    items: list[ShopView]
    next_cursor: str | None = None


class FollowsPage(ResponseModel):
    items: list[str]
    next_cursor: str | None = None


class UploadGrantView(ResponseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` plus ``file``."""

    image_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int

    @classmethod
    def of(cls, grant: UploadGrant) -> UploadGrantView:
        return cls.model_validate(grant, from_attributes=True)


class UploadStatusView(ResponseModel):
    image_id: str
    product_id: str
    status: str
    reason: str | None = None
    created_at: datetime
    processed_at: datetime | None = None

    @classmethod
    def of(cls, ticket: UploadTicket) -> UploadStatusView:
        return cls.model_validate(ticket, from_attributes=True)


class OfferView(ResponseModel):
    offer_id: str
    shop_id: str
    name: str
    percent_off: int
    starts_at: datetime
    ends_at: datetime
    product_ids: list[str]
    active: bool

    @classmethod
    def of(cls, offer: Offer, now: datetime) -> OfferView:
        return cls(
            offer_id=offer.offer_id,
            shop_id=offer.shop_id,
            name=offer.name,
            percent_off=offer.percent_off,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
            product_ids=list(offer.product_ids),
            active=offer.active_at(now),
        )


class OfferList(ResponseModel):
    items: list[OfferView]


class DiscountCodeView(ResponseModel):
    code: str
    shop_id: str
    kind: str
    value: int
    min_order: int
    max_uses: int | None = None
    per_user_limit: int | None = None
    starts_at: datetime
    ends_at: datetime
    used: int
    active: bool

    @classmethod
    def of(cls, code: DiscountCode) -> DiscountCodeView:
        return cls.model_validate(code, from_attributes=True)


class CodeList(ResponseModel):
    items: list[DiscountCodeView]


class DescriptionDraftView(ResponseModel):
    text: str
    provider: str
    offline: bool
    note: str


ProductDetail.model_rebuild()
