"""Products with stock (the catalog's demo loader) and PENDING orders stored through the
orders repository (orders tests)."""

from __future__ import annotations

import uuid

from chalicelib.dev import demo
from chalicelib.orders import repository
from chalicelib.orders.domain import Order
from tests.fakes.orders import stored_checkout
from tests.fixtures.products import fresh_products


def products_with_stock(*stocks: int) -> list[str]:
    """One product per stock figure, in a fresh shop; their ids."""
    demo.ensure_categories()
    shop = demo.ensure_shop(f"seller-{uuid.uuid4().hex[:8]}", "Inventory Shop", "home")
    return [product.product_id for product in fresh_products(shop, len(stocks), stocks=[*stocks])]


def pending_order(lines: dict[str, int]) -> Order:
    """A stored PENDING order (of a stored checkout) holding nothing yet, for
    ``{product id: units}``."""
    return stored_checkout(repository.get(), lines).orders[0]


def variant_product(stocks: dict[str, int]) -> str:
    """A product sold by SKU (``{"red-m": units, ...}``: colour-size), in a fresh shop,
    created through the catalog's use case; its id."""
    from chalicelib.catalog.schemas import ProductInput
    from chalicelib.catalog.service import products
    from chalicelib.core.caller import Caller, Role

    demo.ensure_categories()
    seller = f"seller-{uuid.uuid4().hex[:8]}"
    demo.ensure_shop(seller, "Variant Shop", "home")
    body = ProductInput.model_validate(
        {
            "title": f"Shirt {uuid.uuid4().hex[:6]}",
            "category": "home",
            "regular_price": 2000,
            "stock": 0,
            "variants": [
                {"color": sku.split("-")[0], "size": sku.split("-")[1], "stock": units}
                for sku, units in stocks.items()
            ],
        }
    )
    return products.create_product(Caller(seller, Role.SELLER), body).product_id
