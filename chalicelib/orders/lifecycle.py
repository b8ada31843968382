"""Order statuses, the transitions between them, and cancellation reasons: in one place.

``PENDING → PAID → SHIPPED → DELIVERED``; ``PENDING → CANCELLED`` (the saga failed),
``PAID → CANCELLED`` (cancelled before shipping: refunded and restocked),
``DELIVERED → REFUNDED``. Anything else raises IllegalTransitionError (HTTP 409).
"""

from __future__ import annotations

from typing import Literal

from chalicelib.core.errors import ConflictError

OrderStatus = Literal["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]
STATUSES: tuple[OrderStatus, ...] = (
    "PENDING",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
    "REFUNDED",
)
TRANSITIONS: dict[str, frozenset[str]] = {
    "PENDING": frozenset({"PAID", "CANCELLED"}),
    "PAID": frozenset({"SHIPPED", "CANCELLED"}),
    "SHIPPED": frozenset({"DELIVERED"}),
    "DELIVERED": frozenset({"REFUNDED"}),
    "CANCELLED": frozenset(),
    "REFUNDED": frozenset(),
}
# What a seller may set on their shop's orders (delivery progress).
SELLER_TARGETS = frozenset({"SHIPPED", "DELIVERED"})

# Machine-readable cancellation reasons the shopper sees.
OUT_OF_STOCK = "OUT_OF_STOCK"
PAYMENT_DECLINED = "PAYMENT_DECLINED"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
PAYMENT_FAILED = "PAYMENT_FAILED"
PAYMENT_TIMEOUT = "PAYMENT_TIMEOUT"
CHECKOUT_FAILED = "CHECKOUT_FAILED"
CANCELLED_BY_SHOPPER = "CANCELLED_BY_SHOPPER"
CANCELLED_BY_SELLER = "CANCELLED_BY_SELLER"

# Saga error names (Python exception classes or Step Functions errors) → reason.
REASON_BY_ERROR = {
    "OutOfStockError": OUT_OF_STOCK,
    "PaymentDeclinedError": PAYMENT_DECLINED,
    "InsufficientFundsError": INSUFFICIENT_FUNDS,
    "PaymentProcessingError": PAYMENT_FAILED,
    "PaymentFailedError": PAYMENT_FAILED,
    "States.Timeout": PAYMENT_TIMEOUT,
    "States.HeartbeatTimeout": PAYMENT_TIMEOUT,
}


class IllegalTransitionError(ConflictError):
    """The order cannot move from its status to the one asked for."""

    code = "ILLEGAL_TRANSITION"


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransitionError unless ``current → target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransitionError(
            f"An order that is {current} cannot become {target}",
            details={
                "from": current,
                "to": target,
                "allowed": sorted(TRANSITIONS.get(current, ())),
            },
        )


def reason_for(error_name: str | None) -> str:
    """The cancellation reason for a saga failure's error name."""
    return REASON_BY_ERROR.get(error_name or "", CHECKOUT_FAILED)
