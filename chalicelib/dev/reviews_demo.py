"""Demo purchase for ``make dev``: the demo shopper has bought (and received) one product of
the demo seller's shop, so the reviews walk-through (docs/reviews.md) can review it at once.

The purchase is real: the shopper's cart holds the product, a checkout with a test card
runs the checkout saga (this process's local cloud runs it), and the seller ships and
delivers the order through the orders service. Run before the demo cart is filled (a
checkout buys the whole cart).
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.cart import service as cart
from chalicelib.catalog.domain import Product, Shop
from chalicelib.catalog.service import products
from chalicelib.core.caller import Caller, Role
from chalicelib.dev import payments
from chalicelib.orders.domain import OrderStatus, ShippingAddress
from chalicelib.orders.service import checkout, orders

SHIP_TO = ShippingAddress(
    name="Demo Shopper", line1="1 Market St", city="Berlin", postal_code="10115", country="DE"
)
PURCHASE_KEY = "demo-reviews-purchase"
CARD = "4242 4242 4242 4242"
WAIT_SECONDS = 120.0


def reviewable_product(shop: Shop, *, skip: int = 0) -> Product | None:
    """A product of ``shop`` that can be bought now (in stock, no variants), after ``skip``
    such ones (the demo cart takes the first ones)."""
    page = products.list_shop_products(shop.shop_id, limit=40, cursor=None, include_deleted=False)
    fit = [p for p in page.items if p.stock >= 2 and not p.variants]
    return fit[skip] if len(fit) > skip else None


def buy_and_deliver(shopper_id: str, email: str, shop: Shop, product: Product) -> dict[str, Any]:
    """The shopper buys one ``product`` (a real checkout and saga), then the shop ships and
    delivers it. Returns the order id, the product id and the final status; raises
    RuntimeError if the saga did not pay within ``WAIT_SECONDS``."""
    payments.install()  # the simulated provider (test cards), as the API uses it locally
    shopper = Caller(account_id=shopper_id, role=Role.USER, email=email)
    seller = Caller(account_id=shop.owner_id, role=Role.SELLER, shop_id=shop.shop_id)
    cart.add_item(shopper, product.product_id, 1)
    details, _ = checkout.place(
        shopper, idempotency_key=PURCHASE_KEY, payment_method=CARD, shipping_address=SHIP_TO
    )
    checkout_id = details.checkout.checkout_id
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        details = checkout.checkout_for(shopper, checkout_id)
        status = str(details.checkout.status)
        if status != "PENDING":
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo checkout {checkout_id} was not paid in time")
        time.sleep(0.2)
    if status != "PAID":
        raise RuntimeError(f"the demo checkout {checkout_id} ended {status}")
    (order,) = details.orders
    orders.update_status(
        seller,
        order.order_id,
        OrderStatus.SHIPPED,
        carrier="DHL",
        tracking_number="DEMO123456",
    )
    delivered = orders.update_status(seller, order.order_id, OrderStatus.DELIVERED)
    return {
        "order_id": order.order_id,
        "product_id": product.product_id,
        "status": str(delivered.status),
    }
