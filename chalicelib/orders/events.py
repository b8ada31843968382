"""Events of checkout, orders, payments and inventory (EventBridge ``detail-type`` = name)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.events import DomainEvent

ORDERS = "bazaar.orders"
PAYMENTS = "bazaar.payments"
INVENTORY = "bazaar.inventory"


class OrderLineData(BaseModel):
    """One product line of an order, priced at checkout (minor units)."""

    model_config = ConfigDict(extra="forbid")

    product_id: str
    title: str
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)


class CheckoutStarted(DomainEvent):
    """A shopper checked out a cart: orders exist (PENDING) and the saga started."""

    name = "checkout.started"
    source = ORDERS

    checkout_id: str
    user_id: str
    order_ids: list[str]
    amount: int = Field(ge=0)
    currency: str


class OrderCreated(DomainEvent):
    """An order (one shop's part of a checkout) was created, PENDING."""

    name = "order.created"
    source = ORDERS

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    lines: list[OrderLineData]
    subtotal: int = Field(ge=0)
    discount: int = Field(ge=0)
    total: int = Field(ge=0)
    currency: str


class OrderPaid(DomainEvent):
    """An order's payment was captured; the shop can fulfil it."""

    name = "order.paid"
    source = ORDERS

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    total: int = Field(ge=0)
    currency: str


class OrderCancelled(DomainEvent):
    """An order was cancelled; ``reason`` is machine-readable (OUT_OF_STOCK, ...)."""

    name = "order.cancelled"
    source = ORDERS

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    reason: str
    refunded: int = Field(ge=0)


class OrderStatusChanged(DomainEvent):
    """An order moved from one status to another (every transition)."""

    name = "order.status_changed"
    source = ORDERS

    order_id: str
    user_id: str
    shop_id: str
    previous: str
    status: str
    reason: str | None = None


class PaymentSucceeded(DomainEvent):
    """The checkout's payment was captured by the provider."""

    name = "payment.succeeded"
    source = PAYMENTS

    payment_id: str
    checkout_id: str
    user_id: str
    provider: str
    amount: int = Field(ge=0)
    currency: str


class PaymentFailed(DomainEvent):
    """The provider refused the payment; ``failure_code`` as Stripe names it."""

    name = "payment.failed"
    source = PAYMENTS

    payment_id: str
    checkout_id: str
    user_id: str
    provider: str
    failure_code: str


class StockUpdated(DomainEvent):
    """A product's stock changed by ``delta`` units (a reservation or a release)."""

    name = "stock.updated"
    source = INVENTORY

    product_id: str
    shop_id: str
    stock: int = Field(ge=0)
    delta: int
    reason: str


class StockLow(DomainEvent):
    """A product's stock fell to or below its shop's low-stock threshold (sellers alerted)."""

    name = "stock.low"
    source = INVENTORY

    product_id: str
    shop_id: str
    stock: int = Field(ge=0)
    threshold: int = Field(ge=0)
