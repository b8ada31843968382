"""Catalog routes: site config, shops, products, images, offers, discount codes, search.

Thin: each view reads the validated body and the caller, calls one use case, and renders
its answer with a response schema. Rules, errors and storage live in the service modules.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.catalog.schemas import (
    AssetGrant,
    AssetRequest,
    AssetView,
    CodeList,
    DescriptionDraftView,
    DiscountCodeInput,
    DiscountCodeView,
    FollowsPage,
    ImageUploadInput,
    OfferInput,
    OfferList,
    OfferView,
    ProductDetail,
    ProductInput,
    ProductPage,
    ProductPatch,
    ProductView,
    SearchParams,
    SellerProductPage,
    ShopInput,
    ShopPage,
    ShopView,
    SiteConfigInput,
    SiteConfigView,
    UploadGrantView,
    UploadStatusView,
)
from chalicelib.catalog.service import (
    assets,
    browse,
    descriptions,
    discounts,
    images,
    offers,
    products,
    shops,
    site_config,
)
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.validation import validate_model
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
SELLER = roles("seller")
SELLER_OR_ADMIN = roles("seller", "admin")
ADMIN = roles("admin")
TAGS = ["catalog"]


def _query() -> dict[str, str]:
    return query_of(bp)


# ---------- site configuration ----------
@api_route(
    bp,
    "/site/config",
    summary="Categories, logo and banner",
    tags=TAGS,
    response_model=SiteConfigView,
)
def get_site_config() -> SiteConfigView:
    return SiteConfigView.of(site_config.get_config())


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
    return SiteConfigView.of(site_config.change_config(caller, body))


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
    return AssetGrant.of(site_config.asset_upload(caller, body))


@api_route(
    bp,
    "/seller/shop/logo",
    methods=["POST"],
    summary="Pre-signed upload for your shop's logo",
    tags=TAGS,
    request_model=ImageUploadInput,
    response_model=AssetGrant,
    access=SELLER,
    status=201,
)
def shop_logo_upload(body: ImageUploadInput, caller: Caller) -> AssetGrant:
    return AssetGrant.of(assets.request_upload(caller, "shop_logo", body.content_type, body.size))


@api_route(
    bp,
    "/assets/{asset_id}",
    summary="What became of a logo or banner upload (READY: its media_key may be stored)",
    tags=TAGS,
    response_model=AssetView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def asset_status(asset_id: str, caller: Caller) -> AssetView:
    return AssetView.of(assets.get_asset(caller, asset_id))


# ---------- shops ----------
@api_route(
    bp,
    "/shops",
    methods=["POST"],
    summary="Open your shop (one per seller)",
    tags=TAGS,
    request_model=ShopInput,
    response_model=ShopView,
    access=SELLER,
    status=201,
    errors=[409],
    body_required=["name", "category"],
)
def create_shop(body: ShopInput, caller: Caller) -> ShopView:
    return ShopView.of(shops.create_shop(caller, body))


@api_route(
    bp,
    "/shops",
    summary="Shops, newest first",
    tags=TAGS,
    response_model=ShopPage,
    query=PAGE_QUERY,
)
def list_shops() -> ShopPage:
    limit, cursor = page_of(bp)
    page = shops.list_shops(limit=limit, cursor=cursor)
    return ShopPage(items=[ShopView.of(shop) for shop in page.items], next_cursor=page.next_cursor)


@api_route(
    bp,
    "/seller/shop",
    summary="Your shop, in any state",
    tags=TAGS,
    response_model=ShopView,
    access=SELLER,
    errors=[404],
)
def my_shop(caller: Caller) -> ShopView:
    return ShopView.of(shops.owned_shop(caller))


@api_route(
    bp,
    "/shops/{shop_id}",
    summary="A shop",
    tags=TAGS,
    response_model=ShopView,
    errors=[404],
)
def get_shop(shop_id: str) -> ShopView:
    return ShopView.of(shops.visible_shop(shop_id))


@api_route(
    bp,
    "/shops/{shop_id}",
    methods=["PATCH"],
    summary="Edit your shop",
    tags=TAGS,
    request_model=ShopInput,
    response_model=ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def update_shop(shop_id: str, body: ShopInput, caller: Caller) -> ShopView:
    return ShopView.of(shops.update_shop(caller, shop_id, body))


@api_route(
    bp,
    "/shops/{shop_id}",
    methods=["DELETE"],
    summary="Delete your shop (restorable for 28 days, then purged)",
    tags=TAGS,
    response_model=ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_shop(shop_id: str, caller: Caller) -> ShopView:
    return ShopView.of(shops.delete_shop(caller, shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/restore",
    methods=["POST"],
    summary="Restore a deleted shop",
    tags=TAGS,
    response_model=ShopView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def restore_shop(shop_id: str, caller: Caller) -> ShopView:
    return ShopView.of(shops.restore_shop(caller, shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/follow",
    methods=["PUT"],
    summary="Follow a shop",
    tags=TAGS,
    response_model=ShopView,
    access=SIGNED_IN,
    errors=[404],
)
def follow_shop(shop_id: str, caller: Caller) -> ShopView:
    return ShopView.of(shops.follow(caller, shop_id))


@api_route(
    bp,
    "/shops/{shop_id}/follow",
    methods=["DELETE"],
    summary="Unfollow a shop",
    tags=TAGS,
    response_model=ShopView,
    access=SIGNED_IN,
    errors=[404],
)
def unfollow_shop(shop_id: str, caller: Caller) -> ShopView:
    return ShopView.of(shops.unfollow(caller, shop_id))


@api_route(
    bp,
    "/me/follows",
    summary="Ids of the shops you follow",
    tags=TAGS,
    response_model=FollowsPage,
    access=SIGNED_IN,
    query=PAGE_QUERY,
)
def my_follows(caller: Caller) -> FollowsPage:
    limit, cursor = page_of(bp)
    page = shops.followed_shops(caller, limit=limit, cursor=cursor)
    return FollowsPage(items=page.items, next_cursor=page.next_cursor)


@api_route(
    bp,
    "/shops/{shop_id}/offers",
    summary="A shop's offers",
    tags=TAGS,
    response_model=OfferList,
    errors=[404],
)
def shop_offers(shop_id: str) -> OfferList:
    now = clock.now()
    return OfferList(items=[OfferView.of(offer, now) for offer in offers.shop_offers(shop_id)])


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
        "min_rating",
        "only products whose review average is at least this (1-5)",
        schema={"type": "number", "minimum": 1, "maximum": 5},
    ),
    QueryParam(
        "sort",
        "order (rating: best review average first, then the most reviewed)",
        schema={
            "type": "string",
            "enum": ["newest", "price_asc", "price_desc", "popularity", "rating"],
        },
    ),
    *PAGE_QUERY,
]


@api_route(
    bp,
    "/products",
    summary="Browse, search and filter products",
    tags=TAGS,
    response_model=ProductPage,
    query=SEARCH_PARAMS,
    errors=[400, 422],
)
def search_products() -> ProductPage:
    now = clock.now()
    return ProductPage.of(browse.search(validate_model(SearchParams, _query()), now=now), now)


@api_route(
    bp,
    "/products",
    methods=["POST"],
    summary="Add a product to your shop",
    tags=TAGS,
    request_model=ProductInput,
    response_model=ProductView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def create_product(body: ProductInput, caller: Caller) -> ProductView:
    return ProductView.of(products.create_product(caller, body))


@api_route(
    bp,
    "/products/{product_id}",
    summary="A product and its shop (its related products: related_url)",
    tags=TAGS,
    response_model=ProductDetail,
    errors=[404],
)
def get_product(product_id: str) -> ProductDetail:
    found = browse.detail(product_id)
    return ProductDetail.of_detail(found.product, found.shop, clock.now())


@api_route(
    bp,
    "/seller/products",
    summary="Your shop's products (deleted ones with ?deleted=true)",
    tags=TAGS,
    response_model=SellerProductPage,
    access=SELLER,
    query=[
        QueryParam("deleted", "include deleted products", schema={"type": "boolean"}),
        *PAGE_QUERY,
    ],
)
def my_products(caller: Caller) -> SellerProductPage:
    limit, cursor = page_of(bp)
    page = products.seller_products(
        caller, limit=limit, cursor=cursor, include_deleted=_query().get("deleted") == "true"
    )
    now = clock.now()
    return SellerProductPage(
        items=[ProductView.of(p, now) for p in page.items], next_cursor=page.next_cursor
    )


@api_route(
    bp,
    "/shops/{shop_id}/products",
    summary="A shop's products, newest first",
    tags=TAGS,
    response_model=ProductPage,
    query=[p for p in SEARCH_PARAMS if p.name in ("limit", "cursor", "sort")],
    errors=[404],
)
def shop_products(shop_id: str) -> ProductPage:
    now = clock.now()
    return ProductPage.of(browse.shop_search(shop_id, _query(), now=now), now)


@api_route(
    bp,
    "/products/{product_id}",
    methods=["PATCH"],
    summary="Edit your product (send the version you read)",
    tags=TAGS,
    request_model=ProductPatch,
    response_model=ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def update_product(product_id: str, body: ProductPatch, caller: Caller) -> ProductView:
    return ProductView.of(products.update_product(caller, product_id, body))


@api_route(
    bp,
    "/products/{product_id}",
    methods=["DELETE"],
    summary="Delete your product (restorable for 24 hours, then purged)",
    tags=TAGS,
    response_model=ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_product(product_id: str, caller: Caller) -> ProductView:
    return ProductView.of(products.delete_product(caller, product_id))


@api_route(
    bp,
    "/products/{product_id}/restore",
    methods=["POST"],
    summary="Restore a deleted product",
    tags=TAGS,
    response_model=ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404, 409],
)
def restore_product(product_id: str, caller: Caller) -> ProductView:
    return ProductView.of(products.restore_product(caller, product_id))


@api_route(
    bp,
    "/products/{product_id}/images",
    methods=["POST"],
    summary="Start an image upload (pre-signed S3 POST)",
    tags=TAGS,
    request_model=ImageUploadInput,
    response_model=UploadGrantView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def request_image_upload(
    product_id: str, body: ImageUploadInput, caller: Caller
) -> UploadGrantView:
    return UploadGrantView.of(images.request_upload(caller, product_id, body))


@api_route(
    bp,
    "/products/{product_id}/images/{image_id}",
    summary="What became of an upload (PENDING, READY or REJECTED with a reason)",
    tags=TAGS,
    response_model=UploadStatusView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def image_status(product_id: str, image_id: str, caller: Caller) -> UploadStatusView:
    return UploadStatusView.of(images.get_ticket(caller, product_id, image_id))


@api_route(
    bp,
    "/products/{product_id}/images/{image_id}",
    methods=["DELETE"],
    summary="Remove an image from your product",
    tags=TAGS,
    response_model=ProductView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def delete_image(product_id: str, image_id: str, caller: Caller) -> ProductView:
    return ProductView.of(images.remove_image(caller, product_id, image_id))


@api_route(
    bp,
    "/products/{product_id}/description-draft",
    methods=["POST"],
    summary="Draft a marketing description from the product's attributes (not saved)",
    tags=TAGS,
    response_model=DescriptionDraftView,
    access=SELLER_OR_ADMIN,
    errors=[404],
)
def draft_description(product_id: str, caller: Caller) -> DescriptionDraftView:
    draft = descriptions.draft_description(caller, product_id)
    return DescriptionDraftView.model_validate(draft, from_attributes=True)


# ---------- offers and discount codes ----------
@api_route(
    bp,
    "/seller/offers",
    methods=["POST"],
    summary="Put a time-boxed offer on your products",
    tags=TAGS,
    request_model=OfferInput,
    response_model=OfferView,
    access=SELLER,
    status=201,
    errors=[404],
)
def create_offer(body: OfferInput, caller: Caller) -> OfferView:
    return OfferView.of(offers.create_offer(caller, body), clock.now())


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
    offers.end_offer(caller, offer_id)


@api_route(
    bp,
    "/seller/discount-codes",
    methods=["POST"],
    summary="Create a discount code",
    tags=TAGS,
    request_model=DiscountCodeInput,
    response_model=DiscountCodeView,
    access=SELLER,
    status=201,
    errors=[404, 409],
)
def create_code(body: DiscountCodeInput, caller: Caller) -> DiscountCodeView:
    return DiscountCodeView.of(discounts.create_code(caller, body))


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
    return CodeList(items=[DiscountCodeView.of(code) for code in discounts.list_codes(caller)])


@api_route(
    bp,
    "/seller/discount-codes/{code}",
    methods=["DELETE"],
    summary="Stop a discount code",
    tags=TAGS,
    response_model=DiscountCodeView,
    access=SELLER,
    errors=[404],
)
def deactivate_code(code: str, caller: Caller) -> DiscountCodeView:
    return DiscountCodeView.of(discounts.deactivate_code(caller, code))
