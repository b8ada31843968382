"""The cart's domain values: what is stored (lines, wishlist, activity) and a priced cart.

Lines hold only product ids and quantities; prices, stock and availability come from the
catalog each time a cart is read (``PricedLine``), so the client never sets a price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class LineProblem(StrEnum):
    """Why a cart line cannot be bought as it is."""

    UNAVAILABLE = "unavailable"
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_STOCK = "insufficient_stock"


class BoughtRemoval(StrEnum):
    """What became of one attempt to take a paid checkout's units out of the cart."""

    DONE = "done"
    ALREADY_DONE = "already_done"
    CART_CHANGED = "cart_changed"


@dataclass(frozen=True)
class CartHeader:
    """A cart's discount code and last activity (``abandoned_at`` once reported)."""

    user_id: str
    updated_at: datetime
    code: str | None = None
    abandoned_at: datetime | None = None


def line_key(product_id: str, sku: str | None = None) -> str:
    """What identifies a cart line: the product, or ``product#sku`` for one of its
    variants (the catalog's stock key, ``catalog.service.stock_key``)."""
    return f"{product_id}#{sku}" if sku else product_id


@dataclass(frozen=True)
class CartLine:
    """One product (one of its variants, ``sku``) and its quantity in a cart."""

    product_id: str
    quantity: int
    added_at: datetime
    # The unit price the shopper saw when they last added or changed the line (None for
    # lines stored before it was recorded).
    unit_price: int | None = None
    sku: str | None = None

    @property
    def key(self) -> str:
        return line_key(self.product_id, self.sku)


@dataclass(frozen=True)
class WishlistEntry:
    """A product a shopper saved for later."""

    product_id: str
    added_at: datetime


class Discount(Protocol):
    """A discount code that passed every rule (the catalog decides), as a cart shows it."""

    @property
    def code(self) -> str: ...
    @property
    def shop_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> int: ...
    @property
    def eligible_subtotal(self) -> int: ...
    @property
    def amount(self) -> int: ...


@dataclass(frozen=True)
class PriceChange:
    """A line's unit price then (when the shopper last added or changed it) and now."""

    old: int
    new: int


@dataclass(frozen=True)
class PricedLine:
    """A cart line as the catalog says it is right now."""

    product_id: str
    quantity: int
    title: str | None = None
    shop_id: str | None = None
    unit_price: int = 0
    list_price: int = 0
    on_offer: bool = False
    stock: int = 0
    available: bool = False
    problem: LineProblem | None = None
    thumbnail_key: str | None = None
    price_changed: PriceChange | None = None
    sku: str | None = None
    color: str | None = None
    size: str | None = None

    @property
    def key(self) -> str:
        return line_key(self.product_id, self.sku)

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity if self.available and not self.problem else 0


@dataclass
class PricedCart:
    """A cart priced now, with its code's result."""

    user_id: str
    lines: list[PricedLine] = field(default_factory=list)
    code: str | None = None
    discount: Discount | None = None
    discount_error: dict[str, str] | None = None
    currency: str = "USD"
    updated_at: datetime | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def shop_subtotals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            if line.shop_id and line.line_total:
                totals[line.shop_id] = totals.get(line.shop_id, 0) + line.line_total
        return totals

    @property
    def discount_amount(self) -> int:
        return self.discount.amount if self.discount else 0

    @property
    def total(self) -> int:
        return max(0, self.subtotal - self.discount_amount)

    @property
    def checkout_ready(self) -> bool:
        return bool(self.lines) and all(line.problem is None for line in self.lines)
