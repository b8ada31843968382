"""Events of the cart capability."""

from __future__ import annotations

from pydantic import Field

from chalicelib.cart.domain import CartHeader, PricedLine
from chalicelib.core import clock
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

    @classmethod
    def of(cls, header: CartHeader, lines: list[PricedLine], currency: str) -> CartAbandoned:
        """The cart of ``header``, its ``lines`` priced when it was found idle."""
        return cls(
            user_id=header.user_id,
            lines=len(lines),
            units=sum(line.quantity for line in lines),
            subtotal=sum(line.line_total for line in lines),
            currency=currency,
            last_activity_at=clock.iso(header.updated_at),
        )
