"""Products with stock (the catalog's demo loader) and PENDING orders stored through the
orders repository (orders tests)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib.dev import demo
from chalicelib.orders import repository
from chalicelib.orders.domain import Order
from tests.fakes.orders import stored_checkout


def products_with_stock(*stocks: int) -> list[str]:
    """One product per stock figure, in a fresh shop; their ids."""
    demo.ensure_categories()
    shop = demo.ensure_shop(f"seller-{uuid.uuid4().hex[:8]}", "Inventory Shop", "home")
    made = demo.generate([shop], len(stocks), seed=int(uuid.uuid4().int % 90) + 10)
    made = [replace(product, stock=stock) for product, stock in zip(made, stocks, strict=True)]
    demo.load(made)
    return [product.product_id for product in made]


def pending_order(lines: dict[str, int]) -> Order:
    """A stored PENDING order (of a stored checkout) holding nothing yet, for
    ``{product id: units}``."""
    return stored_checkout(repository.get(), lines).orders[0]
