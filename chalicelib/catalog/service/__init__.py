"""The catalog's use cases, one module per area, and what other capabilities use of them.

Routes and functions import the modules (``from chalicelib.catalog.service import
products``). Other capabilities use only the names below (the seam the import contracts
allow):

Cart
    ``products_for_cart(keys, now=None) -> dict[key, ProductSnapshot]`` (a key is a
    product id, or ``stock_key(product_id, sku)`` for a variant; one batch read of the
    products and one of their shops, priced now), ``buyable_product(id, sku=None)``,
    ``check_stock(snapshot, quantity)``, ``evaluate_code(code, user_id=, shop_subtotals=)``,
    ``bump_popularity(id, delta)``, ``cards(ids) -> dict[id, ProductCard]``,
    ``media_url(key)``.
Checkout (orders)
    ``prepare_redemption(...) -> Redemption`` (``.applied``, ``.write(transaction)`` adds
    the code's two conditional counters to the checkout's transaction, ``.refused()``),
    ``release_code(code, user_id=)``; ``shops.get_shop`` / ``shops.DEFAULT_SETTINGS``.
Reviews
    ``get_product(id)``, ``set_rating(kind, id, total, count, revision)`` (a product's and
    its shop's counted ratings, only forward; a product's new rating is announced so
    search re-posts it), ``shops.visible_shop(id)`` (a shop reviewed by a verified bill),
    and for review photos the image checks chat uses (below).
Chat and notifications
    ``shops.staff_of(shop_id)`` (the accounts that act for the shop),
    ``shops.get_shop(shop_id).settings["channels"]`` (the shop's notification channels),
    ``shops.shop_of_seller(account_id)``; chat also ``products.visible_product(id)``
    (a conversation about a product) and, for images sent in messages, the catalog's
    image checks: ``images.grant_upload(key, content_type)``,
    ``images.accept_upload(key, rendition_key)`` (``images.ImageRejectedError``).
Analytics
    ``cards(ids)`` (a product's shop and title), ``shops.get_shop(shop_id)``.
Recommendations
    ``recommendable(ids) -> dict[id, ProductCard]`` (listed and in stock only),
    ``similar(id, limit=) -> list[id]`` (its (sub)category's most popular listed products:
    related products for an item the model does not know yet; the product view links to
    the recommender's list instead of carrying one of its own).
"""

from __future__ import annotations

from chalicelib.catalog.domain import (
    AppliedDiscount,
    ProductSnapshot,
    UploadGrant,
    split_stock_key,
    stock_key,
)
from chalicelib.catalog.schemas import ProductCard
from chalicelib.catalog.service.browse import similar
from chalicelib.catalog.service.discounts import Redemption, prepare_redemption
from chalicelib.catalog.service.discounts import evaluate as evaluate_code
from chalicelib.catalog.service.discounts import release as release_code
from chalicelib.catalog.service.products import (
    bump_popularity,
    buyable_product,
    cards,
    check_stock,
    get_product,
    media_url,
    products_for_cart,
    recommendable,
    set_rating,
)

__all__ = [
    "AppliedDiscount",
    "ProductCard",
    "ProductSnapshot",
    "Redemption",
    "UploadGrant",
    "bump_popularity",
    "buyable_product",
    "cards",
    "check_stock",
    "evaluate_code",
    "get_product",
    "media_url",
    "prepare_redemption",
    "products_for_cart",
    "recommendable",
    "release_code",
    "set_rating",
    "similar",
    "split_stock_key",
    "stock_key",
]
