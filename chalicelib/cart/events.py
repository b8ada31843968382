"""Events of the cart capability."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.events import DomainEvent


class CartAbandoned(DomainEvent):
    """A cart with items was left untouched for the configured time (analytics)."""

    name = "cart.abandoned"
    source = "bazaar.cart"

    user_id: str
    lines: int = Field(ge=0)
    units: int = Field(ge=0)
    subtotal: int = Field(ge=0)
    currency: str
    last_activity_at: str
