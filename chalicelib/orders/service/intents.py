"""The records a payment provider keeps in the orders table: the simulated provider's
intents (``chalicelib.dev.payments``, local and test stages), through the repository."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.orders import repository
from chalicelib.orders.domain import Intent

__all__ = ["Intent", "add", "count_processing_error", "get", "move", "refund"]


def get(intent_id: str) -> Intent | None:
    return repository.get().get_intent(intent_id)


def add(
    intent_id: str,
    *,
    amount: int,
    currency: str,
    status: str,
    failure_code: str | None,
    captured: int,
    metadata: dict[str, Any],
) -> Intent:
    """Store a new intent; the one already stored under ``intent_id`` if there is one."""
    return repository.get().add_intent(
        Intent(
            intent_id=intent_id,
            amount=amount,
            currency=currency,
            status=status,
            failure_code=failure_code,
            captured=captured,
            metadata=dict(metadata),
            created_at=clock.now(),
        )
    )


def move(intent_id: str, status: str, **values: Any) -> tuple[Intent | None, bool]:
    """An intent waiting for the shopper's action → ``status`` (None removes a value)."""
    return repository.get().move_intent(intent_id, status, **values)


def refund(intent_id: str, amount: int, key: str) -> bool:
    """Refund ``amount`` of a succeeded intent, once per ``key``."""
    return repository.get().refund_intent(intent_id, amount, key)


def count_processing_error(payment_id: str) -> int:
    """Count one processing error of a payment; how many came before."""
    return repository.get().count_processing_error(payment_id)
