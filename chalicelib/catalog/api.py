"""Catalog routes: site config, shops, products, images, offers, discount codes, search.

Thin: each view reads the validated body and the caller, calls one use case, and shapes
the answer. Rules, errors and storage live in the service modules.
"""

from __future__ import annotations

from typing import Literal

from chalice import Blueprint

from chalicelib.catalog import (
    browse,
    descriptions,
    discounts,
    images,
    offers,
    products,
    shops,
    site_config,
    views,
)
from chalicelib.catalog.actor import Actor
from chalicelib.catalog.common import new_id
from chalicelib.catalog.inputs import (
    DiscountCodeInput,
    ImageUploadInput,
    OfferInput,
    ProductInput,
    ProductPatch,
    ShopInput,
    SiteConfigInput,
)
from chalicelib.core import aws, clock
from chalicelib.core.caller import Caller
from chalicelib.core.pagination import page_limit
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel, validate_model
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import QueryParam, api_route

bp = Blueprint(__name__)
SELLER = roles("seller")
SELLER_OR_ADMIN = roles("seller", "admin")
ADMIN = roles("admin")
TAGS = ["catalog"]


def actor_of(caller: Caller) -> Actor:
    """The catalog's view of the authenticated caller."""
    return Actor(account_id=caller.account_id, role=caller.role)


def _query() -> dict[str, str]:
    request = bp.current_request
    raw = request.query_params if request is not None else None
    return dict(raw or {})


def _limit() -> int:
    return page_limit(_query().get("limit"))


# ---------- site configuration ----------
class SiteConfigView(ResponseModel):
    categories: dict[str, list[str]]
    logo_url: str | None = None
    banner_url: str | None = None
    version: int


class AssetRequest(RequestModel):
    kind: Literal["logo", "banner"]
    content_type: Literal["image/jpeg", "image/png", "image/webp"]


class AssetGrant(ResponseModel):
    key: str
    url: str
    fields: dict[str, str]


def _config_view() -> SiteConfigView:
    config = site_config.get_config()
    return SiteConfigView(
        categories=site_config.categories(),
        logo_url=images.url_for(config.logo_key),
        banner_url=images.url_for(config.banner_key),
        version=int(config.version or 0),
    )


@api_route(
    bp,
    "/site/config",
    summary="Categories, logo and banner",
    tags=TAGS,
    response_model=SiteConfigView,
)
def get_site_config() -> SiteConfigView:
    return _config_view()


@api_route(
    bp,
    "/admin/site/config",
    methods=["PUT"],
    summary="Change categories, logo or banner",
    tags=TAGS,
    request_model=SiteConfigInput,
    response_model=SiteConfigView,
    access=ADMIN,
    errors=[409],
)
def put_site_config(body: SiteConfigInput, caller: Caller) -> SiteConfigView:
    site_config.save_config(
        categories_map=body.categories,
        logo_key=body.logo_key,
        banner_key=body.banner_key,
        expected_version=body.version,
    )
    return _config_view()


@api_route(
    bp,
    "/admin/site/assets",
    methods=["POST"],
    summary="Pre-signed upload for a logo or banner",
    tags=TAGS,
    request_model=AssetRequest,
    response_model=AssetGrant,
    access=ADMIN,
    status=201,
)
def site_asset_upload(body: AssetRequest, caller: Caller) -> AssetGrant:
    settings = get_settings()
    key = f"media/site/{body.kind}-{new_id()}"
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.media_bucket,
        Key=key,
        Fields={"Content-Type": body.content_type},
        Conditions=[
            {"Content-Type": body.content_type},
            ["content-length-range", 1, settings.image_max_bytes],
        ],
        ExpiresIn=settings.image_upload_ttl_seconds,
    )
    return AssetGrant(key=key, url=post["url"], fields=dict(post["fields"]))


# ---------- shops ----------
@api_route(
    bp,
    "/shops",
    methods=["POST"],
    summary="Open your shop (one per seller)",
    tags=TAGS,
    request_model=ShopInput,
    response_model=views.ShopView,
    access=SELLER,
    status=201,
    errors=[409],
)
def create_shop(body: ShopInput, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.create_shop(actor_of(caller), body))


@api_route(
    bp,
    "/shops",
    summary="Shops, newest first",
    tags=TAGS,
    response_model=views.ShopPage,
    query=[QueryParam("limit", "page size"), QueryParam("cursor", "from the previous page")],
)
def list_shops() -> views.ShopPage:
    page = shops.list_shops(limit=_limit(), cursor=_query().get("cursor"))
    return views.ShopPage(
        items=[views.shop_view(shop) for shop in page.items], next_cursor=page.next_cursor
    )


@api_route(
    bp,
    "/seller/shop",
    summary="Your shop, in any state",
    tags=TAGS,
    response_model=views.ShopView,
    access=SELLER,
    errors=[404],
)
def my_shop(caller: Caller) -> views.ShopView:
    return views.shop_view(shops.owned_shop(actor_of(caller)))


@api_route(
    bp,
    "/shops/{shop_id}",
    summary="A shop",
    tags=TAGS,
    response_model=views.ShopView,
    errors=[404],
)
def get_shop(shop_id: str) -> views.ShopView:
    return views.shop_view(shops.visible_shop(shop_id))


@api_route(
    bp,
    "/shops/{shop_id}",
    methods=["PATCH"],
    summary="Edit your shop",
    tags=TAGS,
    request_model=ShopInput,
    response_model=views.ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def update_shop(shop_id: str, body: ShopInput, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.update_shop(actor_of(caller), shop_id, body))


@api_route(
    bp,
    "/shops/{shop_id}",
    methods=["DELETE"],
    summary="Delete your shop (restorable for 28 days, then purged)",
    tags=TAGS,
    response_model=views.ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_shop(shop_id: str, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.delete_shop(actor_of(caller), shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/restore",
    methods=["POST"],
    summary="Restore a deleted shop",
    tags=TAGS,
    response_model=views.ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def restore_shop(shop_id: str, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.restore_shop(actor_of(caller), shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/follow",
    methods=["PUT"],
    summary="Follow a shop",
    tags=TAGS,
    response_model=views.ShopView,
    access=SIGNED_IN,
    errors=[404],
)
def follow_shop(shop_id: str, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.follow(actor_of(caller), shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/follow",
    methods=["DELETE"],
    summary="Unfollow a shop",
    tags=TAGS,
    response_model=views.ShopView,
    access=SIGNED_IN,
    errors=[404],
)
def unfollow_shop(shop_id: str, caller: Caller) -> views.ShopView:
    return views.shop_view(shops.unfollow(actor_of(caller), shop_id))


class FollowsPage(ResponseModel):
    items: list[str]
    next_cursor: str | None = None


@api_route(
    bp,
    "/me/follows",
    summary="Ids of the shops you follow",
    tags=TAGS,
    response_model=FollowsPage,
    access=SIGNED_IN,
)
def my_follows(caller: Caller) -> FollowsPage:
    page = shops.followed_shops(actor_of(caller), limit=_limit(), cursor=_query().get("cursor"))
    return FollowsPage(items=page.items, next_cursor=page.next_cursor)


class OfferList(ResponseModel):
    items: list[views.OfferView]


@api_route(
    bp,
    "/shops/{shop_id}/offers",
    summary="A shop's offers",
    tags=TAGS,
    response_model=OfferList,
    errors=[404],
)
def shop_offers(shop_id: str) -> OfferList:
    shops.visible_shop(shop_id)
    now = clock.now()
    return OfferList(items=[views.offer_view(offer, now) for offer in offers.list_offers(shop_id)])


# ---------- products ----------
SEARCH_PARAMS = [
    QueryParam("q", "words that must all appear (title, brand, tags, category)"),
    QueryParam("category", "a configured category"),
    QueryParam("subcategory", "a subcategory of category"),
    QueryParam("brand", "brand name"),
    QueryParam("shop_id", "one shop"),
    QueryParam("tags", "comma-separated; any of them"),
    QueryParam("colors", "comma-separated; any of them"),
    QueryParam("sizes", "comma-separated; any of them"),
    QueryParam("min_price", "minor units, inclusive", schema={"type": "integer"}),
    QueryParam("max_price", "minor units, inclusive", schema={"type": "integer"}),
    QueryParam("on_offer", "only products with an active offer", schema={"type": "boolean"}),
    QueryParam(
        "sort",
        "order",
        schema={"type": "string", "enum": ["newest", "price_asc", "price_desc", "popularity"]},
    ),
    QueryParam("limit", "page size (1-100)", schema={"type": "integer"}),
    QueryParam("cursor", "from the previous page"),
]


@api_route(
    bp,
    "/products",
    summary="Browse, search and filter products",
    tags=TAGS,
    response_model=views.ProductPage,
    query=SEARCH_PARAMS,
    errors=[400, 422],
)
def search_products() -> views.ProductPage:
    params = validate_model(browse.SearchParams, _query())
    return browse.search(params)


@api_route(
    bp,
    "/products",
    methods=["POST"],
    summary="Add a product to your shop",
    tags=TAGS,
    request_model=ProductInput,
    response_model=views.ProductView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def create_product(body: ProductInput, caller: Caller) -> views.ProductView:
    return views.product_view(products.create_product(actor_of(caller), body))


@api_route(
    bp,
    "/products/{product_id}",
    summary="A product, its shop and related products",
    tags=TAGS,
    response_model=views.ProductDetail,
    errors=[404],
)
def get_product(product_id: str) -> views.ProductDetail:
    return browse.detail(product_id)


@api_route(
    bp,
    "/seller/products",
    summary="Your shop's products (deleted ones with ?deleted=true)",
    tags=TAGS,
    response_model=views.SellerProductPage,
    access=SELLER,
    query=[QueryParam("deleted", "include deleted products", schema={"type": "boolean"})],
)
def my_products(caller: Caller) -> views.SellerProductPage:
    shop = shops.owned_shop(actor_of(caller))
    query = _query()
    page = products.list_shop_products(
        shop.shop_id,
        limit=_limit(),
        cursor=query.get("cursor"),
        include_deleted=query.get("deleted") == "true",
    )
    now = clock.now()
    return views.SellerProductPage(
        items=[views.product_view(p, now) for p in page.items], next_cursor=page.next_cursor
    )


@api_route(
    bp,
    "/shops/{shop_id}/products",
    summary="A shop's products, newest first",
    tags=TAGS,
    response_model=views.ProductPage,
    errors=[404],
)
def shop_products(shop_id: str) -> views.ProductPage:
    shops.visible_shop(shop_id)
    query = {key: value for key, value in _query().items() if key in ("limit", "cursor", "sort")}
    params = validate_model(browse.SearchParams, {**query, "shop_id": shop_id})
    return browse.search(params)


@api_route(
    bp,
    "/products/{product_id}",
    methods=["PATCH"],
    summary="Edit your product (send the version you read)",
    tags=TAGS,
    request_model=ProductPatch,
    response_model=views.ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def update_product(product_id: str, body: ProductPatch, caller: Caller) -> views.ProductView:
    return views.product_view(products.update_product(actor_of(caller), product_id, body))


@api_route(
    bp,
    "/products/{product_id}",
    methods=["DELETE"],
    summary="Delete your product (restorable for 24 hours, then purged)",
    tags=TAGS,
    response_model=views.ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_product(product_id: str, caller: Caller) -> views.ProductView:
    return views.product_view(products.delete_product(actor_of(caller), product_id))


@api_route(
    bp,
    "/products/{product_id}/restore",
    methods=["POST"],
    summary="Restore a deleted product",
    tags=TAGS,
    response_model=views.ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def restore_product(product_id: str, caller: Caller) -> views.ProductView:
    return views.product_view(products.restore_product(actor_of(caller), product_id))


@api_route(
    bp,
    "/products/{product_id}/images",
    methods=["POST"],
    summary="Start an image upload (pre-signed S3 POST)",
    tags=TAGS,
    request_model=ImageUploadInput,
    response_model=views.UploadGrantView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def request_image_upload(
    product_id: str, body: ImageUploadInput, caller: Caller
) -> views.UploadGrantView:
    grant = images.request_upload(actor_of(caller), product_id, body)
    return views.UploadGrantView(**grant.__dict__)


@api_route(
    bp,
    "/products/{product_id}/images/{image_id}",
    summary="What became of an upload (PENDING, READY or REJECTED with a reason)",
    tags=TAGS,
    response_model=views.UploadStatusView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def image_status(product_id: str, image_id: str, caller: Caller) -> views.UploadStatusView:
    return views.upload_status(images.get_ticket(actor_of(caller), product_id, image_id))


@api_route(
    bp,
    "/products/{product_id}/images/{image_id}",
    methods=["DELETE"],
    summary="Remove an image from your product",
    tags=TAGS,
    response_model=views.ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_image(product_id: str, image_id: str, caller: Caller) -> views.ProductView:
    return views.product_view(images.remove_image(actor_of(caller), product_id, image_id))


@api_route(
    bp,
    "/products/{product_id}/description-draft",
    methods=["POST"],
    summary="Draft a marketing description from the product's attributes (not saved)",
    tags=TAGS,
    response_model=views.DescriptionDraftView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def draft_description(product_id: str, caller: Caller) -> views.DescriptionDraftView:
    product = products.owned_product(actor_of(caller), product_id)
    draft = descriptions.draft_description(product)
    return views.DescriptionDraftView(**draft.__dict__)


# ---------- offers and discount codes ----------
@api_route(
    bp,
    "/seller/offers",
    methods=["POST"],
    summary="Put a time-boxed offer on your products",
    tags=TAGS,
    request_model=OfferInput,
    response_model=views.OfferView,
    access=SELLER,
    status=201,
    errors=[404],
)
def create_offer(body: OfferInput, caller: Caller) -> views.OfferView:
    return views.offer_view(offers.create_offer(actor_of(caller), body), clock.now())


@api_route(
    bp,
    "/seller/offers/{offer_id}",
    methods=["DELETE"],
    summary="End an offer",
    tags=TAGS,
    access=SELLER,
    status=204,
    errors=[404],
)
def end_offer(offer_id: str, caller: Caller) -> None:
    offers.end_offer(actor_of(caller), offer_id)


class CodeList(ResponseModel):
    items: list[views.DiscountCodeView]


@api_route(
    bp,
    "/seller/discount-codes",
    methods=["POST"],
    summary="Create a discount code",
    tags=TAGS,
    request_model=DiscountCodeInput,
    response_model=views.DiscountCodeView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def create_code(body: DiscountCodeInput, caller: Caller) -> views.DiscountCodeView:
    return views.code_view(discounts.create_code(actor_of(caller), body))


@api_route(
    bp,
    "/seller/discount-codes",
    summary="Your shop's discount codes",
    tags=TAGS,
    response_model=CodeList,
    access=SELLER,
    errors=[404],
)
def list_codes(caller: Caller) -> CodeList:
    return CodeList(
        items=[views.code_view(code) for code in discounts.list_codes(actor_of(caller))]
    )


@api_route(
    bp,
    "/seller/discount-codes/{code}",
    methods=["DELETE"],
    summary="Stop a discount code",
    tags=TAGS,
    response_model=views.DiscountCodeView,
    access=SELLER,
    errors=[404],
)
def deactivate_code(code: str, caller: Caller) -> views.DiscountCodeView:
    return views.code_view(discounts.deactivate_code(actor_of(caller), code))
