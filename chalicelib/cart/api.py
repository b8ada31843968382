"""Cart and wishlist routes (signed-in shoppers). Prices are never taken from the client."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.cart import service
from chalicelib.cart.schemas import (
    AddItemRequest,
    CartView,
    CodeRequest,
    QuantityRequest,
    WishlistItem,
    WishlistView,
)
from chalicelib.core.caller import Caller
from chalicelib.web.access import SIGNED_IN
from chalicelib.web.routing import QueryParam, api_route, query_of

bp = Blueprint(__name__)
TAGS = ["cart"]


@api_route(
    bp,
    "/cart",
    summary="Your cart, priced now",
    tags=TAGS,
    response_model=CartView,
    access=SIGNED_IN,
)
def get_cart(caller: Caller) -> CartView:
    return CartView.of(service.get_cart(caller))


@api_route(
    bp,
    "/cart/items",
    methods=["POST"],
    summary="Add a product, or one variant of it by sku (checked against live stock)",
    tags=TAGS,
    request_model=AddItemRequest,
    response_model=CartView,
    access=SIGNED_IN,
    errors=[404, 409, 422],
)
def add_item(body: AddItemRequest, caller: Caller) -> CartView:
    return CartView.of(service.add_item(caller, body.product_id, body.quantity, body.sku))


@api_route(
    bp,
    "/cart/items/{product_id}",
    methods=["PUT"],
    summary="Set a quantity (0 removes)",
    tags=TAGS,
    request_model=QuantityRequest,
    response_model=CartView,
    access=SIGNED_IN,
    errors=[404, 409],
)
def set_quantity(product_id: str, body: QuantityRequest, caller: Caller) -> CartView:
    return CartView.of(service.set_quantity(caller, product_id, body.quantity, body.sku))


@api_route(
    bp,
    "/cart/items/{product_id}",
    methods=["DELETE"],
    summary="Remove a product (``?sku=``: one variant of it)",
    tags=TAGS,
    response_model=CartView,
    access=SIGNED_IN,
    query=[QueryParam("sku", "The variant's SKU, for a product with variants")],
)
def remove_item(product_id: str, caller: Caller) -> CartView:
    sku = query_of(bp).get("sku") or None
    return CartView.of(service.remove_item(caller, product_id, sku))


@api_route(
    bp,
    "/cart/code",
    methods=["PUT"],
    summary="Apply a discount code (4xx names a broken rule)",
    tags=TAGS,
    request_model=CodeRequest,
    response_model=CartView,
    access=SIGNED_IN,
    errors=[422],
)
def apply_code(body: CodeRequest, caller: Caller) -> CartView:
    return CartView.of(service.apply_code(caller, body.code))


@api_route(
    bp,
    "/cart/code",
    methods=["DELETE"],
    summary="Remove the discount code",
    tags=TAGS,
    response_model=CartView,
    access=SIGNED_IN,
)
def remove_code(caller: Caller) -> CartView:
    return CartView.of(service.remove_code(caller))


@api_route(
    bp,
    "/wishlist",
    summary="Your saved products",
    tags=TAGS,
    response_model=WishlistView,
    access=SIGNED_IN,
)
def get_wishlist(caller: Caller) -> WishlistView:
    return WishlistView(
        items=[
            WishlistItem(
                product_id=entry.product_id,
                added_at=entry.added_at,
                available=card is not None,
                product=card,
            )
            for entry, card in service.wishlist(caller)
        ]
    )


@api_route(
    bp,
    "/wishlist/{product_id}",
    methods=["PUT"],
    summary="Save a product",
    tags=TAGS,
    access=SIGNED_IN,
    status=204,
    errors=[404, 409],
)
def wish(product_id: str, caller: Caller) -> None:
    service.wish(caller, product_id)


@api_route(
    bp,
    "/wishlist/{product_id}",
    methods=["DELETE"],
    summary="Forget a saved product",
    tags=TAGS,
    access=SIGNED_IN,
    status=204,
)
def unwish(product_id: str, caller: Caller) -> None:
    service.unwish(caller, product_id)
