"""Demo data for ``make dev``. Capabilities add their own seeding here as they land."""

from __future__ import annotations

import contextlib
import time
from typing import Any

# Identity (S1): one verified account per role. docs/identity.md lists these; they exist
# only in the local cloud's memory.
DEMO_ACCOUNTS: list[dict[str, Any]] = [
    {
        "email": "admin@bazaar.example.com",
        "password": "Demo-Boss-Pass-2026",
        "role": "admin",
        "display_name": "Demo Admin",
    },
    {
        "email": "seller@bazaar.example.com",
        "password": "Demo-Store-Pass-2026",
        "role": "seller",
        "display_name": "Demo Seller",
    },
    {
        "email": "shopper@bazaar.example.com",
        "password": "Demo-Buyer-Pass-2026",
        "role": "user",
        "display_name": "Demo Shopper",
    },
]


def seed_identity() -> int:
    """The demo accounts of DEMO_ACCOUNTS (skipping existing ones); returns how many were made."""
    from chalicelib.identity.service import accounts, admin, normalize_email

    created = 0
    for demo in DEMO_ACCOUNTS:
        if accounts.account_id_for_email(normalize_email(demo["email"])):
            continue
        admin.provision_account(
            demo["email"],
            demo["password"],
            role=demo["role"],
            display_name=demo["display_name"],
            actor_id="seed",
        )
        created += 1
    return created


# Catalog (S2, S3): two more demo sellers; docs/catalog.md shows what the seed makes.
DEMO_SELLERS: list[dict[str, Any]] = [
    {"email": "seller@bazaar.example.com", "shop": "Demo Sneaker Barn", "category": "shoes"},
    {
        "email": "seller2@bazaar.example.com",
        "password": "Demo-Store-Pass-2026",
        "shop": "Demo Home Goods",
        "category": "home",
    },
    {
        "email": "seller3@bazaar.example.com",
        "password": "Demo-Store-Pass-2026",
        "shop": "Demo Outdoor Co",
        "category": "sports",
    },
]
DEMO_PRODUCTS = 240
DEMO_CODE = "WELCOME10"


def _seed_catalog() -> dict[str, int]:
    from datetime import timedelta

    from chalicelib.catalog.schemas import DiscountCodeInput
    from chalicelib.catalog.service import discounts, products
    from chalicelib.core import clock
    from chalicelib.core.caller import Caller, Role
    from chalicelib.dev import demo
    from chalicelib.identity.service import accounts, admin, normalize_email

    demo.ensure_categories()
    shop_list = []
    for entry in DEMO_SELLERS:
        email = normalize_email(entry["email"])
        account_id = accounts.account_id_for_email(email)
        if account_id is None:
            account_id = admin.provision_account(
                email, entry["password"], role=Role.SELLER, actor_id="seed"
            ).account_id
        shop_list.append(demo.ensure_shop(account_id, entry["shop"], entry["category"]))
    first = products.list_shop_products(
        shop_list[0].shop_id, limit=1, cursor=None, include_deleted=True
    )
    if first.items:
        return {"shops": len(shop_list), "products": 0}
    loaded = demo.load(demo.generate(shop_list, DEMO_PRODUCTS, pictures=demo.demo_images()))
    seller = Caller(account_id=shop_list[0].owner_id, role=Role.SELLER)
    now = clock.now()
    discounts.create_code(
        seller,
        DiscountCodeInput(
            code=DEMO_CODE,
            kind="percent",
            value=10,
            min_order=2000,
            per_user_limit=1,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=365),
        ),
    )
    _seed_variant_product(seller)
    return {"shops": len(shop_list), "products": loaded}


DEMO_SHOPPER = "shopper@bazaar.example.com"
# The demo cart takes the first in-stock products of the first shop; the reviews demo
# buys the one after them (docs/reviews.md reviews it).
DEMO_CART_LINES = 2


def _seed_cart() -> None:
    """The demo shopper's cart: two products of the first demo shop and the demo code."""
    from chalicelib.cart import service as cart
    from chalicelib.catalog.errors import DiscountRejectedError
    from chalicelib.core.caller import Caller, Role
    from chalicelib.dev import reviews_demo
    from chalicelib.identity.service import accounts

    shopper_id = accounts.account_id_for_email(DEMO_SHOPPER)
    shop = _first_demo_shop()
    if not shopper_id or shop is None:
        return
    shopper = Caller(account_id=shopper_id, role=Role.USER)
    in_stock = [reviews_demo.reviewable_product(shop, skip=n) for n in range(DEMO_CART_LINES)]
    for product in in_stock:
        if product is not None:
            cart.add_item(shopper, product.product_id, 1)
    if any(in_stock):
        # A demo cart below the code's minimum simply keeps no code.
        with contextlib.suppress(DiscountRejectedError):
            cart.apply_code(shopper, DEMO_CODE)


# Reviews (S5): the demo shopper has bought one product of the demo seller's shop (a real
# checkout, then shipped and delivered), so docs/reviews.md reviews it at once.
def _seed_purchase() -> dict[str, Any]:
    from chalicelib.dev import reviews_demo
    from chalicelib.identity.service import accounts

    shopper_id = accounts.account_id_for_email(DEMO_SHOPPER)
    shop = _first_demo_shop()
    if not shopper_id or shop is None:
        return {}
    product = reviews_demo.reviewable_product(shop, skip=DEMO_CART_LINES)
    if product is None:
        return {}
    return reviews_demo.buy_and_deliver(shopper_id, DEMO_SHOPPER, shop, product)


def _first_demo_shop() -> Any:
    from chalicelib.catalog.service import shops
    from chalicelib.identity.service import accounts, normalize_email

    account_id = accounts.account_id_for_email(normalize_email(DEMO_SELLERS[0]["email"]))
    return shops.shop_of_seller(account_id) if account_id else None


# Orders (S4): a product sold by size and colour (docs/checkout.md buys, ships and returns one).
DEMO_VARIANT_PRODUCT: dict[str, Any] = {
    "title": "Demo Trail Runner",
    "slug": "demo-trail-runner",
    "category": "shoes",
    "subcategory": "sneakers",
    "brand": "Acme",
    "regular_price": 8900,
    "stock": 0,
    "variants": [
        {"color": "black", "size": "42", "stock": 5},
        {"color": "black", "size": "44", "stock": 3},
        {"color": "white", "size": "42", "stock": 2, "price": 9900},
    ],
}


def _seed_variant_product(seller: Any) -> None:
    from chalicelib.catalog.schemas import ProductInput
    from chalicelib.catalog.service import indexer, products

    made = products.create_product(seller, ProductInput.model_validate(DEMO_VARIANT_PRODUCT))
    indexer.reindex_product(made.product_id)  # searchable at once, not when the bus delivers


def seed_demo_data(*, history: bool = True) -> dict[str, Any]:
    """Create demo data through the services (never raw table writes); returns counts.
    ``history=False`` seeds accounts, catalog and the demo cart only (no analytics history,
    recommendations lake or demo purchase): for clouds that need the demo people, not
    their past, such as the API fuzz test's."""
    from chalicelib.dev import analytics_demo, recommendations_demo
    from chalicelib.identity.service import accounts as identity_accounts

    accounts = seed_identity()
    catalog = _seed_catalog()
    if not history:
        if catalog["products"]:
            _seed_cart()
        return {"accounts": accounts, "catalog": catalog}
    shops = demo_shops()
    shopper = identity_accounts.account_id_for_email("shopper@bazaar.example.com")
    # Analytics (S9): engagement from the UCI history, as whole counter items (see the
    # module); before the demo purchase, whose own figures would make it skip as seeded.
    analytics = analytics_demo.seed(shops)
    # Recommendations (S9): the same history in the lake, and a training run started (it
    # publishes a model of the demo products a few seconds after "ready").
    recommendations = recommendations_demo.seed(shops, shopper)
    purchase: dict[str, Any] = {}
    buying = time.perf_counter()
    if catalog["products"]:  # a fresh catalog: buy first (a checkout buys the whole cart)
        purchase = _seed_purchase()
        _seed_cart()
    return {
        "accounts": accounts,
        "catalog": catalog,
        "reviews": {
            "bought": purchase.get("status"),
            "seconds": round(time.perf_counter() - buying, 1),
        },
        "analytics": analytics,
        "recommendations": recommendations,
    }


def demo_shops() -> list[str]:
    """The demo sellers' shop ids (those that exist)."""
    from chalicelib.catalog.service import shops
    from chalicelib.identity.service import accounts, normalize_email

    found = []
    for entry in DEMO_SELLERS:
        account_id = accounts.account_id_for_email(normalize_email(entry["email"]))
        shop = shops.shop_of_seller(account_id) if account_id else None
        if shop is not None:
            found.append(shop.shop_id)
    return found
