"""Checkouts, orders and payments as values, their statuses, and the lifecycle rules.

``PENDING → PAID → SHIPPED → DELIVERED``; ``PENDING → CANCELLED`` (the saga failed),
``PAID → CANCELLED`` (cancelled before shipping: refunded and restocked),
``DELIVERED → PARTIALLY_REFUNDED → REFUNDED`` (returns, admin refunds: an order is
REFUNDED once everything it cost was given back). Anything else is refused
(``IllegalTransitionError``, 409).
The lowest layer of the capability: it imports nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class ReturnStatus(StrEnum):
    """A return: asked for, refused, or approved and then refunded (each step once)."""

    REQUESTED = "REQUESTED"
    REFUSED = "REFUSED"
    APPROVED = "APPROVED"
    REFUNDED = "REFUNDED"


class CheckoutStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    # Paid, then the whole payment was given back (orders cancelled or refunded after it).
    REFUNDED = "REFUNDED"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


# A payment the provider has not decided yet.
OPEN_PAYMENT = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION})


class StockState(StrEnum):
    """What inventory holds for an order: retried reservations and releases are no-ops."""

    NONE = "NONE"
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"


class CodeState(StrEnum):
    """A checkout's discount code: none, one use counted, or that use given back."""

    NONE = "NONE"
    REDEEMED = "REDEEMED"
    RELEASED = "RELEASED"


class CancellationReason(StrEnum):
    """Why a checkout or an order was cancelled (machine-readable, shown to the shopper)."""

    OUT_OF_STOCK = "OUT_OF_STOCK"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYMENT_TIMEOUT = "PAYMENT_TIMEOUT"
    CHECKOUT_FAILED = "CHECKOUT_FAILED"
    CANCELLED_BY_SHOPPER = "CANCELLED_BY_SHOPPER"
    CANCELLED_BY_SELLER = "CANCELLED_BY_SELLER"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
# What a seller may set on their shop's orders (delivery progress).
SELLER_TARGETS = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})

# Saga error names (Python exception classes or Step Functions errors) → reason.
REASON_BY_ERROR = {
    "OutOfStockError": CancellationReason.OUT_OF_STOCK,
    "PaymentDeclinedError": CancellationReason.PAYMENT_DECLINED,
    "InsufficientFundsError": CancellationReason.INSUFFICIENT_FUNDS,
    "PaymentProcessingError": CancellationReason.PAYMENT_FAILED,
    "PaymentFailedError": CancellationReason.PAYMENT_FAILED,
    "States.Timeout": CancellationReason.PAYMENT_TIMEOUT,
    "States.HeartbeatTimeout": CancellationReason.PAYMENT_TIMEOUT,
}


def allowed_targets(current: str) -> list[str]:
    """The statuses an order in ``current`` may move to, sorted."""
    return sorted(TRANSITIONS.get(OrderStatus(current), frozenset()))


def can_move(current: str, target: str) -> bool:
    """True when an order may go from ``current`` to ``target``."""
    return target in allowed_targets(current)


def reason_for(error_name: str | None) -> CancellationReason:
    """The cancellation reason for a saga failure's error name."""
    return REASON_BY_ERROR.get(error_name or "", CancellationReason.CHECKOUT_FAILED)


@dataclass(frozen=True)
class ShippingAddress:
    """Where an order ships, copied onto it at checkout (later address-book edits do not
    change it). ``country`` is an ISO 3166-1 alpha-2 code."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Shipment:
    """How a SHIPPED order travels: the carrier, its tracking number (and page), and when
    it left the shop."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    tracking_url: str | None = None


def line_key(product_id: str, sku: str | None = None) -> str:
    """What a line's units are counted by: the product, or ``product#sku`` for one of its
    variants (the catalog's stock key, ``catalog.service.stock_key``: reservations and
    restocks go by it)."""
    return f"{product_id}#{sku}" if sku else product_id


@dataclass(frozen=True)
class OrderLine:
    """One product (or variant: ``sku``) line of an order, priced at checkout (minor
    units)."""

    product_id: str
    quantity: int
    title: str = ""
    unit_price: int = 0
    sku: str | None = None
    color: str | None = None
    size: str | None = None

    @property
    def key(self) -> str:
        return line_key(self.product_id, self.sku)


@dataclass(frozen=True)
class Order:
    """The part of a checkout one shop fulfils (amounts in minor units)."""

    order_id: str
    checkout_id: str
    user_id: str
    shop_id: str
    lines: tuple[OrderLine, ...]
    subtotal: int
    discount: int
    total: int
    currency: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    stock_state: StockState = StockState.NONE
    refunded: int = 0
    # When and by whom the order's money was given back (a cancellation or a refund).
    refunded_at: datetime | None = None
    refunded_by: str | None = None
    history: tuple[dict[str, Any], ...] = ()
    # Where it ships and how the shop reaches the buyer (copied at checkout).
    shipping_address: ShippingAddress | None = None
    contact_email: str | None = None
    shipment: Shipment | None = None
    delivered_at: datetime | None = None
    # The refunds recorded on the order, by key (a return id, or the order id for an
    # admin's refund of the rest): each counts once.
    refund_keys: tuple[str, ...] = ()
    # Moves with every return stored for the order: a return is checked against the
    # others as read at this count (two requests for the same units cannot both land).
    returns_version: int = 0

    def units(self) -> dict[str, int]:
        """line key (product id, or ``product#sku``) → units over the order's lines."""
        units: dict[str, int] = {}
        for line in self.lines:
            units[line.key] = units.get(line.key, 0) + line.quantity
        return units


# Where money may still be given back for delivered lines.
REFUNDABLE = frozenset({OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED})


def status_after_refund(order: Order, amount: int) -> OrderStatus:
    """PARTIALLY_REFUNDED, or REFUNDED once ``amount`` more leaves nothing of the total."""
    if order.refunded + amount >= order.total:
        return OrderStatus.REFUNDED
    return OrderStatus.PARTIALLY_REFUNDED


@dataclass(frozen=True)
class ReturnLine:
    """Units of one order line (a product, or its variant ``sku``) sent back."""

    product_id: str
    quantity: int
    sku: str | None = None

    @property
    def key(self) -> str:
        return line_key(self.product_id, self.sku)


@dataclass(frozen=True)
class Return:
    """A shopper's request to send back some lines of a delivered order, and the shop's
    decision. ``amount`` is what approving it refunds (minor units: the lines' share of
    the order's total, so the discount is shared proportionally)."""

    return_id: str
    order_id: str
    shop_id: str
    user_id: str
    lines: tuple[ReturnLine, ...]
    reason: str
    amount: int
    currency: str
    status: ReturnStatus
    created_at: datetime
    updated_at: datetime
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    restock: bool = False
    restocked: bool = False

    def units(self) -> dict[str, int]:
        """line key → units sent back."""
        units: dict[str, int] = {}
        for line in self.lines:
            units[line.key] = units.get(line.key, 0) + line.quantity
        return units


def refund_share(order: Order, units: dict[str, int], already: dict[str, int]) -> int:
    """What sending back ``units`` (product id → units) of ``order`` refunds: the lines'
    part of the subtotal, scaled to the total (the discount shared proportionally,
    rounded down); the return that sends back the last units gets all that is left, so
    returning everything refunds exactly the total. ``already``: units returned before."""
    ordered = order.units()
    returned = {pid: already.get(pid, 0) + units.get(pid, 0) for pid in ordered}
    if returned == ordered:
        return max(0, order.total - order.refunded)
    prices = {line.key: line.unit_price for line in order.lines}
    part = sum(prices[pid] * qty for pid, qty in units.items())
    if order.subtotal <= 0:
        return 0
    return min(part * order.total // order.subtotal, order.total - order.refunded)


# Who gave money back when no person did (a saga compensation).
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Refund:
    """What an order gave back: ``amount`` (minor units) and who did it (an account id:
    the shopper, the shop's seller, an admin; or ``system``)."""

    amount: int
    by: str


def units_of(orders: list[Order]) -> dict[str, int]:
    """line key → units over every line of ``orders``."""
    units: dict[str, int] = {}
    for order in orders:
        for product_id, quantity in order.units().items():
            units[product_id] = units.get(product_id, 0) + quantity
    return units


@dataclass(frozen=True)
class Checkout:
    """One checkout of one cart: its orders (one per shop), one payment, the saga's state."""

    checkout_id: str
    user_id: str
    email: str
    idempotency_key: str
    order_ids: tuple[str, ...]
    payment_id: str
    amount: int
    currency: str
    status: CheckoutStatus
    execution_name: str
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    code: str | None = None
    code_state: CodeState = CodeState.NONE
    # The fault plan the saga runs with (local and test stages only).
    faults: dict[str, Any] | None = None
    # A hash of what the request asked for: the same Idempotency-Key with another body is
    # refused (None for checkouts stored before it was recorded).
    request_hash: str | None = None


def execution_name(checkout_id: str) -> str:
    """The saga execution's name: one per checkout, so a second start is refused."""
    return f"checkout-{checkout_id}"


@dataclass(frozen=True)
class Payment:
    """The one payment of a checkout, as the provider reported it."""

    payment_id: str
    checkout_id: str
    user_id: str
    provider: str
    method: str  # the card number, or a provider method id
    amount: int
    currency: str
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    failure_code: str | None = None
    intent_id: str | None = None
    next_action: dict[str, Any] | None = None
    task_token: str | None = None
    provider_attempt: int = 0
    refunded: int = 0
    # The refunds recorded so far, by key (an order id, "rest"): each counts once.
    refund_keys: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PAYMENT


@dataclass(frozen=True)
class NewCheckout:
    """Everything one checkout stores at once: the checkout, its payment and orders."""

    checkout: Checkout
    payment: Payment
    orders: tuple[Order, ...]


@dataclass(frozen=True)
class CheckoutDetails:
    """A checkout with its orders and payment (what the shopper is shown)."""

    checkout: Checkout
    orders: list[Order]
    payment: Payment


@dataclass(frozen=True)
class Intent:
    """A payment provider's record of one payment attempt, for a provider that keeps it in
    the orders table (the simulated provider of the local and test stages)."""

    intent_id: str
    amount: int
    currency: str
    status: str  # succeeded | requires_action | canceled | failed
    created_at: datetime
    failure_code: str | None = None
    captured: int = 0
    refunded: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    refund_keys: tuple[str, ...] = ()
