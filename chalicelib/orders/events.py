"""Events of checkout, orders and payments (EventBridge ``detail-type`` = name); the stock
events (``stock.updated``, ``stock.low``) are the catalog's."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.events import DomainEvent
from chalicelib.orders.domain import Checkout, Order, OrderLine, Payment, Return

ORDERS = "bazaar.orders"
PAYMENTS = "bazaar.payments"


class OrderLineData(BaseModel):
    """One product line of an order, priced at checkout (minor units)."""

    model_config = ConfigDict(extra="forbid")

    product_id: str
    title: str
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)
    sku: str | None = None

    @classmethod
    def of(cls, line: OrderLine) -> OrderLineData:
        return cls(
            product_id=line.product_id,
            title=line.title,
            quantity=line.quantity,
            unit_price=line.unit_price,
            sku=line.sku,
        )


class CheckoutStarted(DomainEvent):
    """A shopper checked out a cart: orders exist (PENDING) and the saga started."""

    name = "checkout.started"
    source = ORDERS

    checkout_id: str
    user_id: str
    order_ids: list[str]
    amount: int = Field(ge=0)
    currency: str

    @classmethod
    def of(cls, checkout: Checkout) -> CheckoutStarted:
        return cls(
            checkout_id=checkout.checkout_id,
            user_id=checkout.user_id,
            order_ids=list(checkout.order_ids),
            amount=checkout.amount,
            currency=checkout.currency,
        )


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

    @classmethod
    def of(cls, order: Order) -> OrderCreated:
        return cls(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            lines=[OrderLineData.of(line) for line in order.lines],
            subtotal=order.subtotal,
            discount=order.discount,
            total=order.total,
            currency=order.currency,
        )


class OrderPaid(DomainEvent):
    """An order's payment was captured; the shop can fulfil it. ``lines`` are what was
    bought (analytics counts purchases per product from them)."""

    name = "order.paid"
    source = ORDERS

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    total: int = Field(ge=0)
    currency: str
    lines: list[OrderLineData] = Field(default_factory=list)

    @classmethod
    def of(cls, order: Order) -> OrderPaid:
        return cls(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            total=order.total,
            currency=order.currency,
            lines=[OrderLineData.of(line) for line in order.lines],
        )


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

    @classmethod
    def of(cls, order: Order, *, reason: str, refunded: int) -> OrderCancelled:
        return cls(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            reason=reason,
            refunded=refunded,
        )


class OrderRefunded(DomainEvent):
    """Money of a delivered order was given back: ``amount`` this time (an approved
    return's lines, or an admin's refund of the rest), ``total_refunded`` so far, by
    ``refunded_by`` (an account id); ``refund_key`` names the refund (the return id, or
    the order id for an admin's); the shopper is emailed once per refund."""

    name = "order.refunded"
    source = ORDERS

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    amount: int = Field(ge=0)
    currency: str
    refunded_by: str
    status: str | None = None
    total_refunded: int | None = Field(default=None, ge=0)
    refund_key: str | None = None
    return_id: str | None = None

    @classmethod
    def of(
        cls, order: Order, *, amount: int, key: str, return_id: str | None = None
    ) -> OrderRefunded:
        """``order`` as it is after ``amount`` was recorded on it under ``key``."""
        return cls(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            amount=amount,
            currency=order.currency,
            refunded_by=str(order.refunded_by or ""),
            status=str(order.status),
            total_refunded=order.refunded,
            refund_key=key,
            return_id=return_id,
        )


class ReturnRequested(DomainEvent):
    """A shopper asked to send back some lines of a delivered order (the shop decides)."""

    name = "return.requested"
    source = ORDERS

    return_id: str
    order_id: str
    shop_id: str
    shopper_id: str
    reason: str

    @classmethod
    def of(cls, ret: Return) -> ReturnRequested:
        return cls(
            return_id=ret.return_id,
            order_id=ret.order_id,
            shop_id=ret.shop_id,
            shopper_id=ret.user_id,
            reason=ret.reason,
        )


class ReturnDecided(DomainEvent):
    """The shop approved (``refund_amount`` refunded) or refused a return, with a reason."""

    name = "return.decided"
    source = ORDERS

    return_id: str
    order_id: str
    shop_id: str
    shopper_id: str
    approved: bool
    reason: str | None = None
    refund_amount: int = Field(ge=0)
    currency: str

    @classmethod
    def of(cls, ret: Return) -> ReturnDecided:
        approved = ret.status in ("APPROVED", "REFUNDED")
        return cls(
            return_id=ret.return_id,
            order_id=ret.order_id,
            shop_id=ret.shop_id,
            shopper_id=ret.user_id,
            approved=approved,
            reason=ret.decision_reason,
            refund_amount=ret.amount if approved else 0,
            currency=ret.currency,
        )


class OrderShipped(DomainEvent):
    """A shop handed an order to a carrier: how to track it (the shopper is emailed)."""

    name = "order.shipped"
    source = ORDERS

    order_id: str
    shop_id: str
    shopper_id: str
    carrier: str
    tracking_number: str
    tracking_url: str | None = None
    shipped_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderShipped:
        """``order`` as it is once SHIPPED (its shipment recorded)."""
        assert order.shipment is not None
        return cls(
            order_id=order.order_id,
            shop_id=order.shop_id,
            shopper_id=order.user_id,
            carrier=order.shipment.carrier,
            tracking_number=order.shipment.tracking_number,
            tracking_url=order.shipment.tracking_url,
            shipped_at=order.shipment.shipped_at,
        )


class OrderDelivered(DomainEvent):
    """An order reached the shopper (the shopper is emailed; returns may start)."""

    name = "order.delivered"
    source = ORDERS

    order_id: str
    shop_id: str
    shopper_id: str
    delivered_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderDelivered:
        """``order`` as it is once DELIVERED."""
        assert order.delivered_at is not None
        return cls(
            order_id=order.order_id,
            shop_id=order.shop_id,
            shopper_id=order.user_id,
            delivered_at=order.delivered_at,
        )


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

    @classmethod
    def of(cls, order: Order, *, previous: str, reason: str | None = None) -> OrderStatusChanged:
        """``order`` as it is now, coming from ``previous``."""
        return cls(
            order_id=order.order_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            previous=str(previous),
            status=str(order.status),
            reason=None if reason is None else str(reason),
        )


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

    @classmethod
    def of(cls, payment: Payment) -> PaymentSucceeded:
        return cls(
            payment_id=payment.payment_id,
            checkout_id=payment.checkout_id,
            user_id=payment.user_id,
            provider=payment.provider,
            amount=payment.amount,
            currency=payment.currency,
        )


class PaymentFailed(DomainEvent):
    """The provider refused the payment; ``failure_code`` as Stripe names it."""

    name = "payment.failed"
    source = PAYMENTS

    payment_id: str
    checkout_id: str
    user_id: str
    provider: str
    failure_code: str

    @classmethod
    def of(cls, payment: Payment) -> PaymentFailed:
        return cls(
            payment_id=payment.payment_id,
            checkout_id=payment.checkout_id,
            user_id=payment.user_id,
            provider=payment.provider,
            failure_code=str(payment.failure_code),
        )
