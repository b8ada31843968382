"""The cart's request and response models. Prices are never taken from the client."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from chalicelib.cart.domain import PricedCart, PricedLine
from chalicelib.catalog import service as catalog
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel, ResponseModel


def _max_quantity(value: int) -> int:
    limit = get_settings().cart_quantity_max
    if value > limit:
        raise ValueError(f"must be at most {limit}")
    return value


Sku = Annotated[str, Field(min_length=1, max_length=40)]


class AddItemRequest(RequestModel):
    """``sku``: which variant (size x colour) of a product that has variants."""

    product_id: str = Field(min_length=1, max_length=64)
    quantity: Annotated[int, Field(strict=True, ge=1), AfterValidator(_max_quantity)] = 1
    sku: Sku | None = None


class QuantityRequest(RequestModel):
    quantity: Annotated[int, Field(strict=True, ge=0), AfterValidator(_max_quantity)]
    sku: Sku | None = None


class CodeRequest(RequestModel):
    code: str = Field(min_length=1, max_length=32)


class PriceChangeView(ResponseModel):
    """The unit price when the line was last added or changed (``old``) and now (``new``)."""

    old: int
    new: int


class CartLineView(ResponseModel):
    """``price_changed`` is set when the price moved since the shopper added the line, so
    a client can tell them before they pay."""

    product_id: str
    sku: str | None = None
    color: str | None = None
    size: str | None = None
    title: str | None = None
    shop_id: str | None = None
    quantity: int
    unit_price: int
    list_price: int
    on_offer: bool
    line_total: int
    stock: int
    problem: str | None = None
    price_changed: PriceChangeView | None = None
    thumbnail_url: str | None = None

    @classmethod
    def of(cls, line: PricedLine) -> CartLineView:
        view = cls.model_validate(line, from_attributes=True)
        return view.model_copy(update={"thumbnail_url": catalog.media_url(line.thumbnail_key)})


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

    @classmethod
    def of(cls, cart: PricedCart) -> CartView:
        return cls(
            lines=[CartLineView.of(line) for line in cart.lines],
            code=cart.code,
            discount=DiscountView.model_validate(cart.discount, from_attributes=True)
            if cart.discount
            else None,
            discount_error=cart.discount_error,
            subtotal=cart.subtotal,
            discount_amount=cart.discount_amount,
            total=cart.total,
            currency=cart.currency,
            checkout_ready=cart.checkout_ready,
            updated_at=cart.updated_at,
        )


class WishlistItem(ResponseModel):
    product_id: str
    added_at: datetime
    available: bool
    product: catalog.ProductCard | None = None


class WishlistView(ResponseModel):
    items: list[WishlistItem]
