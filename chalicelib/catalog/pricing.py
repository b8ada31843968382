"""Prices in integer minor units: the list price, and what a shopper pays right now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import clock


def list_price(regular_price: int, sale_price: int | None) -> int:
    """The price a product is listed at (its sale price when it has one)."""
    return sale_price if sale_price is not None and sale_price < regular_price else regular_price


def offer_is_active(offer: dict[str, Any] | None, now: datetime) -> bool:
    """True while ``now`` is inside the offer's window."""
    if not offer:
        return False
    return clock.parse(offer["starts_at"]) <= now < clock.parse(offer["ends_at"])


def percent_off(amount: int, percent: int) -> int:
    """``amount`` less ``percent`` percent, the discount rounded down (never below 0)."""
    return max(0, amount - amount * percent // 100)


def effective_price(
    regular_price: int, sale_price: int | None, offer: dict[str, Any] | None, now: datetime
) -> int:
    """What a shopper pays for one unit at ``now``: list price, less an active offer."""
    price = list_price(regular_price, sale_price)
    if offer_is_active(offer, now):
        assert offer is not None
        price = percent_off(price, int(offer["percent_off"]))
    return price
