"""Request and response bodies of the checkout, orders and payments routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from chalicelib.core.pagination import Page
from chalicelib.core.validation import CountryCode, PhoneNumber, RequestModel, ResponseModel
from chalicelib.orders.domain import (
    CheckoutDetails,
    CheckoutStatus,
    Order,
    Payment,
    Return,
    ReturnLine,
    ShippingAddress,
)


class ShippingAddressRequest(RequestModel):
    """Where to ship: the recipient's name, street lines, city, postal code, ISO 3166-1
    alpha-2 country code; region and phone optional."""

    name: str = Field(min_length=1, max_length=100)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: CountryCode
    phone: PhoneNumber | None = None

    def to_domain(self) -> ShippingAddress:
        return ShippingAddress(**self.model_dump())


class CheckoutRequest(RequestModel):
    """``payment_method``: a test card number (simulated provider); with Stripe, a
    PaymentMethod id (pm_...) or ``checkout_session`` for Stripe's hosted payment page.
    The shipping address: ``address_id`` (one of your saved addresses,
    ``/accounts/{id}/addresses``) or ``shipping_address`` inline; exactly one of them."""

    payment_method: str = Field(min_length=4, max_length=64)
    address_id: str | None = Field(default=None, min_length=1, max_length=64)
    shipping_address: ShippingAddressRequest | None = None


class StatusRequest(RequestModel):
    """SHIPPED takes ``carrier`` and ``tracking_number`` (``tracking_url`` optional)."""

    status: Literal["SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]
    carrier: str | None = Field(default=None, min_length=1, max_length=60)
    tracking_number: str | None = Field(
        default=None, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$"
    )
    tracking_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://[^\s]+$")


class ReturnLineRequest(RequestModel):
    product_id: str = Field(min_length=1, max_length=64)
    sku: str | None = Field(default=None, min_length=1, max_length=40)
    quantity: int = Field(default=1, strict=True, ge=1, le=1000)


class ReturnRequest(RequestModel):
    """Which delivered lines to send back (units of each), and why."""

    lines: list[ReturnLineRequest] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500)

    def to_domain(self) -> list[ReturnLine]:
        return [ReturnLine(line.product_id, line.quantity, line.sku) for line in self.lines]


class DecisionRequest(RequestModel):
    """Approve (refund the lines' share; ``restock`` puts the units back in stock) or
    refuse, with a reason the shopper is told."""

    approve: bool = Field(strict=True)
    reason: str = Field(min_length=1, max_length=500)
    restock: bool = Field(default=False, strict=True)


class ReturnLineView(ResponseModel):
    product_id: str
    sku: str | None = None
    quantity: int


class ReturnView(ResponseModel):
    """``amount``: what approving it refunds (minor units; the lines' share of the order's
    total, so a discount is shared proportionally). ``status``: REQUESTED, REFUSED,
    APPROVED (being refunded), REFUNDED."""

    return_id: str
    order_id: str
    shop_id: str
    user_id: str
    lines: list[ReturnLineView]
    reason: str
    amount: int
    currency: str
    status: str
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    restock: bool
    restocked: bool
    created_at: datetime

    @classmethod
    def of(cls, ret: Return) -> ReturnView:
        return cls.model_validate(ret, from_attributes=True)


class ReturnList(ResponseModel):
    items: list[ReturnView]

    @classmethod
    def of(cls, returns: list[Return]) -> ReturnList:
        return cls(items=[ReturnView.of(ret) for ret in returns])


class OrderLineView(ResponseModel):
    product_id: str
    sku: str | None = None
    color: str | None = None
    size: str | None = None
    title: str
    quantity: int
    unit_price: int


class ShippingAddressView(ResponseModel):
    name: str
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str
    phone: str | None = None


class BuyerView(ResponseModel):
    """Who the shop ships to and how to reach them: nothing more of the account."""

    name: str | None = None
    email: str | None = None


class ShipmentView(ResponseModel):
    carrier: str
    tracking_number: str
    tracking_url: str | None = None
    shipped_at: datetime


class OrderView(ResponseModel):
    """Amounts in minor units. ``reason`` says why an order was cancelled; ``refunded``
    what of it was given back, ``refunded_at`` when and ``refunded_by`` who (an account
    id, or ``system`` for a checkout that failed after payment)."""

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    status: str
    reason: str | None = None
    lines: list[OrderLineView]
    subtotal: int
    discount: int
    total: int
    refunded: int
    refunded_at: datetime | None = None
    refunded_by: str | None = None
    currency: str
    history: list[dict[str, Any]]
    shipping_address: ShippingAddressView | None = None
    buyer: BuyerView
    shipment: ShipmentView | None = None
    delivered_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        name = order.shipping_address.name if order.shipping_address else None
        buyer = BuyerView(name=name, email=order.contact_email)
        return cls.model_validate(
            {**_fields(order), "buyer": buyer, "shipping_address": order.shipping_address},
            from_attributes=True,
        )


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


class PaymentView(ResponseModel):
    payment_id: str
    checkout_id: str
    provider: str
    status: str
    failure_code: str | None = None
    amount: int
    refunded: int
    currency: str
    next_action: dict[str, Any] | None = None
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentView:
        return cls.model_validate(payment, from_attributes=True)


class CheckoutView(ResponseModel):
    """``cart_kept``: a cancelled checkout (declined card, sold out, ...) took nothing out
    of the cart; ``message`` says so in words."""

    checkout_id: str
    status: str
    reason: str | None = None
    cart_kept: bool = False
    message: str | None = None
    amount: int
    currency: str
    code: str | None = None
    orders: list[OrderView]
    payment: PaymentView
    created_at: datetime

    @classmethod
    def of(cls, details: CheckoutDetails) -> CheckoutView:
        checkout = details.checkout
        return cls(
            checkout_id=checkout.checkout_id,
            status=checkout.status,
            reason=checkout.reason,
            cart_kept=checkout.status == CheckoutStatus.CANCELLED,
            message=(
                "Nothing was charged and your cart is as it was; fix the problem and check out "
                "again."
                if checkout.status == CheckoutStatus.CANCELLED
                else None
            ),
            amount=checkout.amount,
            currency=checkout.currency,
            code=checkout.code,
            orders=[OrderView.of(order) for order in details.orders],
            payment=PaymentView.of(details.payment),
            created_at=checkout.created_at,
        )


class OrderPage(ResponseModel):
    items: list[OrderView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Order]) -> OrderPage:
        return cls(
            items=[OrderView.of(order) for order in page.items], next_cursor=page.next_cursor
        )


class PaymentPage(ResponseModel):
    items: list[PaymentView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Payment]) -> PaymentPage:
        return cls(
            items=[PaymentView.of(payment) for payment in page.items],
            next_cursor=page.next_cursor,
        )
