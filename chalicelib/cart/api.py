"""Cart and wishlist routes (signed-in shoppers). Prices are never taken from the client."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from chalice import Blueprint
from pydantic import AfterValidator, Field

from chalicelib.cart import service
from chalicelib.catalog import service as catalog
from chalicelib.core.caller import Caller
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.web.access import SIGNED_IN
from chalicelib.web.routing import api_route

bp = Blueprint(__name__)
TAGS = ["cart"]


def _max_quantity(value: int) -> int:
    limit = get_settings().cart_quantity_max
    if value > limit:
        raise ValueError(f"must be at most {limit}")
    return value


class AddItemRequest(RequestModel):
    product_id: str = Field(min_length=1, max_length=64)
    quantity: Annotated[int, Field(strict=True, ge=1), AfterValidator(_max_quantity)] = 1


class QuantityRequest(RequestModel):
    quantity: Annotated[int, Field(strict=True, ge=0), AfterValidator(_max_quantity)]


class CodeRequest(RequestModel):
    code: str = Field(min_length=1, max_length=32)


class CartLineView(ResponseModel):
    product_id: str
    title: str | None = None
    shop_id: str | None = None
    quantity: int
    unit_price: int
    list_price: int
    on_offer: bool
    line_total: int
    stock: int
    problem: str | None = None
    thumbnail_url: str | None = None


class DiscountView(ResponseModel):
    code: str
    shop_id: str
    kind: str
    value: int
    eligible_subtotal: int
    amount: int


class CartView(ResponseModel):
    """Amounts in minor units, priced from the catalog at the time of the request."""

    lines: list[CartLineView]
    code: str | None = None
    discount: DiscountView | None = None
    discount_error: dict[str, str] | None = None
    subtotal: int
    discount_amount: int
    total: int
    currency: str
    checkout_ready: bool
    updated_at: datetime | None = None


def cart_view(cart: service.PricedCart) -> CartView:
    return CartView(
        lines=[
            CartLineView(
                product_id=line.product_id,
                title=line.title,
                shop_id=line.shop_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                list_price=line.list_price,
                on_offer=line.on_offer,
                line_total=line.line_total,
                stock=line.stock,
                problem=line.problem,
                thumbnail_url=catalog.media_url(line.thumbnail_key),
            )
            for line in cart.lines
        ],
        code=cart.code,
        discount=DiscountView(**cart.discount.__dict__) if cart.discount else None,
        discount_error=cart.discount_error,
        subtotal=cart.subtotal,
        discount_amount=cart.discount_amount,
        total=cart.total,
        currency=cart.currency,
        checkout_ready=cart.checkout_ready,
        updated_at=cart.updated_at,
    )


@api_route(
    bp,
    "/cart",
    summary="Your cart, priced now",
    tags=TAGS,
    response_model=CartView,
    access=SIGNED_IN,
)
def get_cart(caller: Caller) -> CartView:
    return cart_view(service.get_cart(caller))


@api_route(
    bp,
    "/cart/items",
    methods=["POST"],
    summary="Add a product (checked against live stock)",
    tags=TAGS,
    request_model=AddItemRequest,
    response_model=CartView,
    access=SIGNED_IN,
    errors=[404, 409],
)
def add_item(body: AddItemRequest, caller: Caller) -> CartView:
    return cart_view(service.add_item(caller, body.product_id, body.quantity))


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
    return cart_view(service.set_quantity(caller, product_id, body.quantity))


@api_route(
    bp,
    "/cart/items/{product_id}",
    methods=["DELETE"],
    summary="Remove a product",
    tags=TAGS,
    response_model=CartView,
    access=SIGNED_IN,
)
def remove_item(product_id: str, caller: Caller) -> CartView:
    return cart_view(service.remove_item(caller, product_id))


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
    return cart_view(service.apply_code(caller, body.code))


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
    return cart_view(service.remove_code(caller))


class WishlistItem(ResponseModel):
    product_id: str
    added_at: datetime
    available: bool
    product: catalog.ProductCard | None = None


class WishlistView(ResponseModel):
    items: list[WishlistItem]


@api_route(
    bp,
    "/wishlist",
    summary="Your saved products",
    tags=TAGS,
    response_model=WishlistView,
    access=SIGNED_IN,
)
def get_wishlist(caller: Caller) -> WishlistView:
    items = []
    for entry, card in service.wishlist(caller):
        items.append(
            WishlistItem(
                product_id=entry.product_id,
                added_at=entry.added_at,
                available=card is not None,
                product=card,
            )
        )
    return WishlistView(items=items)


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
