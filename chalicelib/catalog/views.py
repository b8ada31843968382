"""How catalog things look in API responses (documented models, built from domain items)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.catalog import images
from chalicelib.catalog.models import DiscountCode, Offer, Product, Shop, UploadTicket
from chalicelib.catalog.pricing import effective_price, list_price, offer_is_active
from chalicelib.catalog.search_index import Posting, card_price
from chalicelib.core import clock
from chalicelib.core.validation import ResponseModel


class ImageView(ResponseModel):
    image_id: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None
    medium_url: str | None = None
    full_url: str | None = None


class OfferSummary(ResponseModel):
    offer_id: str
    name: str
    percent_off: int
    starts_at: str
    ends_at: str
    active: bool


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


class ProductView(ResponseModel):
    """A product in full (prices in minor units; ``price`` is what it costs right now)."""

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
    offer: OfferSummary | None = None
    popularity: int
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    restorable_until: datetime | None = None


class ProductDetail(ProductView):
    shop: ShopView
    related: list[ProductCard]


class ProductPage(ResponseModel):
    items: list[ProductCard]
    next_cursor: str | None = None


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


class ShopPage(ResponseModel):
    items: list[ShopView]
    next_cursor: str | None = None


class UploadGrantView(ResponseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` plus ``file``."""

    image_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


class UploadStatusView(ResponseModel):
    image_id: str
    product_id: str
    status: str
    reason: str | None = None
    created_at: datetime
    processed_at: datetime | None = None


class OfferView(ResponseModel):
    offer_id: str
    shop_id: str
    name: str
    percent_off: int
    starts_at: datetime
    ends_at: datetime
    product_ids: list[str]
    active: bool


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


class DescriptionDraftView(ResponseModel):
    text: str
    provider: str
    offline: bool
    note: str


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def offer_summary(offer: dict[str, Any] | None, now: datetime) -> OfferSummary | None:
    if not offer or clock.parse(offer["ends_at"]) <= now:
        return None
    return OfferSummary(
        offer_id=offer["offer_id"],
        name=offer["name"],
        percent_off=int(offer["percent_off"]),
        starts_at=offer["starts_at"],
        ends_at=offer["ends_at"],
        active=offer_is_active(offer, now),
    )


def product_view(product: Product, now: datetime | None = None) -> ProductView:
    now = now or clock.now()
    sale = _int(product.sale_price)
    return ProductView(
        product_id=product.product_id,
        shop_id=product.shop_id,
        title=product.title,
        slug=product.slug,
        description=product.description,
        category=product.category,
        subcategory=product.subcategory,
        brand=product.brand,
        tags=list(product.tags or []),
        colors=list(product.colors or []),
        sizes=list(product.sizes or []),
        regular_price=int(product.regular_price),
        sale_price=sale,
        list_price=list_price(int(product.regular_price), sale),
        price=effective_price(int(product.regular_price), sale, product.offer, now),
        currency=product.currency,
        stock=int(product.stock),
        in_stock=int(product.stock) > 0,
        images=[ImageView(**images.image_urls(entry)) for entry in product.images or []],
        offer=offer_summary(product.offer, now),
        popularity=int(product.popularity or 0),
        status=product.status,
        version=int(product.version or 0),
        created_at=product.created_at,
        updated_at=product.updated_at,
        deleted_at=product.deleted_at,
        restorable_until=product.purge_after,
    )


def product_card(posting: Posting, now: datetime) -> ProductCard:
    price, on_offer = card_price(posting, now)
    return ProductCard(
        product_id=posting.product_id,
        shop_id=posting.shop_id,
        title=posting.title,
        slug=posting.slug,
        category=posting.category,
        subcategory=posting.subcategory,
        brand=posting.brand,
        tags=list(posting.tags or []),
        colors=list(posting.colors or []),
        sizes=list(posting.sizes or []),
        price=price,
        list_price=int(posting.price),
        regular_price=int(posting.regular_price),
        currency=posting.currency,
        on_offer=on_offer,
        in_stock=int(posting.stock) > 0,
        popularity=int(posting.popularity),
        created_at=posting.created,
        thumbnail_url=images.url_for(posting.thumbnail_key),
    )


def card_of(product: Product, now: datetime) -> ProductCard:
    """A product's card read from the catalog itself (not from a search posting)."""
    full = product_view(product, now)
    return ProductCard(
        product_id=full.product_id,
        shop_id=full.shop_id,
        title=full.title,
        slug=full.slug,
        category=full.category,
        subcategory=full.subcategory,
        brand=full.brand,
        tags=full.tags,
        colors=full.colors,
        sizes=full.sizes,
        price=full.price,
        list_price=full.list_price,
        regular_price=full.regular_price,
        currency=full.currency,
        on_offer=bool(full.offer and full.offer.active),
        in_stock=full.in_stock,
        popularity=full.popularity,
        created_at=clock.iso(product.created_at),
        thumbnail_url=full.images[0].thumbnail_url if full.images else None,
    )


def shop_view(shop: Shop) -> ShopView:
    count = int(shop.rating_count or 0)
    return ShopView(
        shop_id=shop.shop_id,
        owner_id=shop.owner_id,
        name=shop.name,
        slug=shop.slug,
        category=shop.category,
        description=shop.description,
        address=shop.address,
        branch=shop.branch,
        logo_url=images.url_for(shop.logo_key),
        settings=dict(shop.settings or {}),
        follower_count=max(0, int(shop.follower_count or 0)),
        rating_average=round(int(shop.rating_sum or 0) / count, 2) if count else None,
        rating_count=count,
        status="SELLER_BANNED" if shop.seller_banned else shop.status,
        created_at=shop.created_at,
        deleted_at=shop.deleted_at,
        restorable_until=shop.purge_after,
    )


def upload_status(ticket: UploadTicket) -> UploadStatusView:
    return UploadStatusView(
        image_id=ticket.image_id,
        product_id=ticket.product_id,
        status=ticket.status,
        reason=ticket.reason,
        created_at=ticket.created_at,
        processed_at=ticket.processed_at,
    )


def offer_view(offer: Offer, now: datetime) -> OfferView:
    return OfferView(
        offer_id=offer.sk.removeprefix("OFFER#"),
        shop_id=offer.shop_id,
        name=offer.name,
        percent_off=int(offer.percent_off),
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        product_ids=list(offer.product_ids),
        active=offer.starts_at <= now < offer.ends_at,
    )


def code_view(code: DiscountCode) -> DiscountCodeView:
    return DiscountCodeView(
        code=code.code,
        shop_id=code.shop_id,
        kind=code.kind,
        value=int(code.value),
        min_order=int(code.min_order),
        max_uses=_int(code.max_uses),
        per_user_limit=_int(code.per_user_limit),
        starts_at=code.starts_at,
        ends_at=code.ends_at,
        used=int(code.used),
        active=bool(code.active),
    )


ProductDetail.model_rebuild()
