"""Products with stock and PENDING orders written straight to the tables (orders tests)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib.core import clock
from chalicelib.dev import demo
from chalicelib.orders.models import Order, order_pk


def products_with_stock(*stocks: int) -> list[str]:
    """One product per stock figure, in a fresh shop; their ids."""
    demo.ensure_categories()
    shop = demo.ensure_shop(f"seller-{uuid.uuid4().hex[:8]}", "Inventory Shop", "home")
    made = demo.generate([shop], len(stocks), seed=int(uuid.uuid4().int % 90) + 10)
    made = [replace(product, stock=stock) for product, stock in zip(made, stocks, strict=True)]
    demo.load(made)
    return [product.product_id for product in made]


def pending_order(lines: dict[str, int]) -> Order:
    """A stored PENDING order holding nothing yet, for ``{product id: units}``."""
    order_id = uuid.uuid4().hex
    now = clock.now()
    order = Order(
        pk=order_pk(order_id),
        order_id=order_id,
        checkout_id="co-" + order_id,
        user_id="shopper",
        shop_id="shop",
        lines=[{"product_id": pid, "quantity": qty} for pid, qty in lines.items()],
        subtotal=0,
        total=0,
        currency="USD",
        status="PENDING",
        created_at=now,
        updated_at=now,
        gsi1pk="USER#shopper",
        gsi1sk=order_id,
        gsi2pk="SHOP#shop",
        gsi2sk=order_id,
        gsi3pk="ORDERS#PENDING",
        gsi3sk=order_id,
        gsi4sk=order_id,
    )
    order.save()
    return order
