"""Request and response bodies of the checkout, orders and payments routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from chalicelib.core.pagination import Page
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.orders.domain import CheckoutDetails, Order, Payment


class CheckoutRequest(RequestModel):
    """A test card number (simulated provider); with Stripe, a PaymentMethod id (pm_...) or
    ``checkout_session`` for Stripe's hosted payment page."""

    payment_method: str = Field(min_length=4, max_length=64)


class StatusRequest(RequestModel):
    status: Literal["SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]


class OrderLineView(ResponseModel):
    product_id: str
    title: str
    quantity: int
    unit_price: int


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
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls.model_validate(order, from_attributes=True)


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
    checkout_id: str
    status: str
    reason: str | None = None
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
