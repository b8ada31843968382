"""The cart repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/cart/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import pytest

from chalicelib.cart import repository
from chalicelib.cart.domain import BoughtRemoval, CartHeader, CartLine, WishlistEntry, line_key
from chalicelib.core.dynamo import time_key


@dataclass
class _Cart:
    header: CartHeader
    open: bool = True


class InMemoryCartRepository:
    """Every method of ``chalicelib.cart.repository.CartRepository``, in dicts."""

    def __init__(self) -> None:
        self.carts: dict[str, _Cart] = {}
        self.cart_lines: dict[str, dict[str, CartLine]] = {}
        self.wishes: dict[str, dict[str, WishlistEntry]] = {}
        self.receipts: set[tuple[str, str]] = set()

    def header(self, user_id: str) -> CartHeader | None:
        cart = self.carts.get(user_id)
        return cart.header if cart else None

    def lines(self, user_id: str) -> list[CartLine]:
        return list(self.cart_lines.get(user_id, {}).values())

    def line(self, user_id: str, product_id: str, sku: str | None = None) -> CartLine | None:
        return self.cart_lines.get(user_id, {}).get(line_key(product_id, sku))

    def save_line(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        now: datetime,
        unit_price: int | None = None,
        sku: str | None = None,
    ) -> None:
        lines = self.cart_lines.setdefault(user_id, {})
        key = line_key(product_id, sku)
        current = lines.get(key)
        added_at = current.added_at if current else now
        if unit_price is None and current is not None:
            unit_price = current.unit_price
        lines[key] = CartLine(
            product_id=product_id,
            quantity=quantity,
            added_at=added_at,
            unit_price=unit_price,
            sku=sku,
        )

    def delete_line(self, user_id: str, product_id: str, sku: str | None = None) -> bool:
        return self.cart_lines.get(user_id, {}).pop(line_key(product_id, sku), None) is not None

    def touch(self, user_id: str, *, now: datetime) -> None:
        current = self.header(user_id)
        code = current.code if current else None
        self.carts[user_id] = _Cart(CartHeader(user_id=user_id, updated_at=now, code=code))

    def set_code(self, user_id: str, code: str | None, *, now: datetime) -> None:
        self.carts[user_id] = _Cart(CartHeader(user_id=user_id, updated_at=now, code=code))

    def drop_code(self, user_id: str, code: str) -> None:
        cart = self.carts.get(user_id)
        if cart is not None and cart.header.code == code:
            cart.header = replace(cart.header, code=None)

    def remove_bought(
        self,
        user_id: str,
        receipt_id: str,
        bought: dict[str, int],
        read: list[CartLine],
        *,
        expires_at: int,
    ) -> BoughtRemoval:
        if (user_id, receipt_id) in self.receipts:
            return BoughtRemoval.ALREADY_DONE
        lines = self.cart_lines.setdefault(user_id, {})
        held = {line.key: line for line in read}
        touched = [pid for pid in bought if pid in held]
        for product_id in touched:
            current = lines.get(product_id)
            if current is None or current.quantity != held[product_id].quantity:
                return BoughtRemoval.CART_CHANGED
        self.receipts.add((user_id, receipt_id))
        for product_id in touched:
            left = held[product_id].quantity - bought[product_id]
            if left <= 0:
                del lines[product_id]
            else:
                lines[product_id] = replace(lines[product_id], quantity=left)
        return BoughtRemoval.DONE

    def wishlist(self, user_id: str, *, limit: int | None = None) -> list[WishlistEntry]:
        entries = [entry for _, entry in sorted(self.wishes.get(user_id, {}).items())]
        return entries[:limit] if limit is not None else entries

    def add_wish(self, user_id: str, product_id: str, *, now: datetime) -> None:
        self.wishes.setdefault(user_id, {})[product_id] = WishlistEntry(product_id, now)

    def remove_wish(self, user_id: str, product_id: str) -> bool:
        return self.wishes.get(user_id, {}).pop(product_id, None) is not None

    def idle_carts(self, before: datetime, *, limit: int) -> list[str]:
        idle = sorted(
            (time_key(cart.header.updated_at, user_id), user_id)
            for user_id, cart in self.carts.items()
            if cart.open
        )
        return [user_id for key, user_id in idle if key < time_key(before, "")][:limit]

    def mark_abandoned(self, header: CartHeader, *, now: datetime) -> bool:
        cart = self.carts.get(header.user_id)
        if cart is None or not cart.open or cart.header.updated_at != header.updated_at:
            return False
        cart.open = False
        cart.header = replace(cart.header, abandoned_at=now)
        return True


@pytest.fixture
def cart_repo() -> Iterator[InMemoryCartRepository]:
    """The cart's services run on a fresh in-memory repository."""
    fake = InMemoryCartRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
