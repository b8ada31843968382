"""Errors of the checkout saga. Their class names are what the state machine's Retry and
Catch match (``infra/statemachines/checkout_saga.asl.json``), so do not rename them.
A short line raises the catalog's ``OutOfStockError`` (``chalicelib.catalog.errors``)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import (
    BadRequestError,
    ConflictError,
    DependencyUnavailableError,
    ValidationFailedError,
)


class TransientStockError(DependencyUnavailableError):
    """The reservation could not be written this time (throttled, conflicting); retry."""

    code = "TRANSIENT_STOCK_ERROR"


class PaymentDeclinedError(ConflictError):
    """The card was declined (business)."""

    code = "PAYMENT_DECLINED"


class InsufficientFundsError(PaymentDeclinedError):
    """The card has insufficient funds (business)."""

    code = "INSUFFICIENT_FUNDS"


class PaymentFailedError(ConflictError):
    """The provider refused the payment for another reason (business)."""

    code = "PAYMENT_FAILED"


class PaymentProcessingError(DependencyUnavailableError):
    """The provider had a processing error; a retry may succeed (transient)."""

    code = "PAYMENT_PROCESSING_ERROR"


class InjectedTransientError(Exception):
    """A fault plan failed this step on purpose; the saga retries it (local/test only)."""


class InjectedBusinessError(Exception):
    """A fault plan failed this step on purpose, for good (local/test only)."""


class CheckoutClosedError(ConflictError):
    """The saga was asked to take stock for a checkout that is no longer PENDING (business)."""

    code = "CHECKOUT_CLOSED"


class CheckoutNotReadyError(ConflictError):
    """The cart cannot be checked out (empty, or a line has a problem)."""

    code = "CART_NOT_READY"


class WebhookSignatureError(BadRequestError):
    """A webhook's signature does not verify (HTTP 400)."""

    code = "BAD_SIGNATURE"


class IllegalTransitionError(ConflictError):
    """The order cannot move from its status to the one asked for."""

    code = "ILLEGAL_TRANSITION"

    @classmethod
    def between(cls, current: str, target: str, allowed: list[str]) -> IllegalTransitionError:
        details: dict[str, Any] = {"from": current, "to": target, "allowed": allowed}
        return cls(f"An order that is {current} cannot become {target}", details=details)


class CheckoutKeyTakenError(ConflictError):
    """The shopper's Idempotency-Key already claims a checkout (a double submit)."""

    code = "IDEMPOTENCY_KEY_TAKEN"


class CodeUseRefusedError(ConflictError):
    """The discount code's counters refused this use (its last use was taken meanwhile)."""

    code = "DISCOUNT_REJECTED"


class IdempotencyKeyReusedError(ValidationFailedError):
    """The Idempotency-Key already names a checkout asked for with another body (HTTP 422,
    as Stripe answers): the client reused a key for a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class TrackingRequiredError(ValidationFailedError):
    """SHIPPED without a carrier and a tracking number (HTTP 422)."""

    code = "TRACKING_REQUIRED"


class ShippingAddressRequiredError(ValidationFailedError):
    """A checkout names neither a saved address nor an inline one, or both (HTTP 422)."""

    code = "SHIPPING_ADDRESS_REQUIRED"


class NotReturnableError(ConflictError):
    """The order's lines cannot be returned now: not delivered (yet), or all refunded."""

    code = "NOT_RETURNABLE"


class ReturnWindowClosedError(ConflictError):
    """The order was delivered longer ago than the return window allows."""

    code = "RETURN_WINDOW_CLOSED"


class ReturnLinesError(ValidationFailedError):
    """The return names lines the order does not have, or more units than are left."""

    code = "RETURN_LINES_INVALID"


class ReturnsChangedError(ConflictError):
    """Another return of the order was stored meanwhile (read again and re-check)."""

    code = "RETURNS_CHANGED"


class ReturnDecidedError(ConflictError):
    """The return was already decided the other way."""

    code = "RETURN_ALREADY_DECIDED"
