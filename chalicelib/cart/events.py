"""Events of the cart capability."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.cart.domain import CartHeader, PricedLine
from chalicelib.core import clock
from chalicelib.core.events import DomainEvent


class AbandonedLine(BaseModel):
    """One available line of an abandoned cart, priced when it was found idle."""

    model_config = ConfigDict(extra="forbid")

    product_id: str
    shop_id: str
    quantity: int = Field(ge=1)
    line_total: int = Field(ge=0)


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
    # The lines that could still be bought (analytics: abandoned value per shop and product).
    items: list[AbandonedLine] = Field(default_factory=list)

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
            items=[
                AbandonedLine(
                    product_id=line.product_id,
                    shop_id=line.shop_id,
                    quantity=line.quantity,
                    line_total=line.line_total,
                )
                for line in lines
                if line.shop_id and line.quantity > 0
            ],
        )
