"""Browsing: search from query-string parameters, result pages, product detail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.catalog import repository
from chalicelib.catalog.domain import Product, SearchPage, SearchQuery, Shop
from chalicelib.catalog.schemas import SearchParams
from chalicelib.catalog.service import products, shops
from chalicelib.catalog.service.site_config import require_category
from chalicelib.core import clock
from chalicelib.core.validation import validate_model


@dataclass(frozen=True)
class ProductDetails:
    """A visible product with its shop (its related products are the recommender's:
    ``GET /products/{id}/related``, which falls back on ``similar`` below)."""

    product: Product
    shop: Shop


def _values(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(dict.fromkeys(" ".join(v.split()).lower() for v in raw.split(",") if v.strip()))


def to_query(params: SearchParams) -> SearchQuery:
    """The index query for validated parameters; UnknownCategoryError for a bad category."""
    if params.category:
        require_category(params.category, params.subcategory)
    return SearchQuery(
        text=params.q or None,
        category=params.category,
        subcategory=params.subcategory,
        brand=params.brand,
        shop_id=params.shop_id,
        tags=_values(params.tags),
        colors=_values(params.colors),
        sizes=_values(params.sizes),
        min_price=params.min_price,
        max_price=params.max_price,
        on_offer=params.on_offer,
        min_rating=None if params.min_rating is None else round(params.min_rating * 100),
        sort=params.sort,
        limit=params.limit,
    )


def find(
    query: SearchQuery, cursor: str | None = None, *, now: datetime | None = None
) -> SearchPage:
    """One page of listed products matching ``query``, by Query only (never Scan).

    Raises BadRequestError for a cursor of another query.
    """
    return repository.get().search(query, cursor, now=now or clock.now())


def search(params: SearchParams, *, now: datetime | None = None) -> SearchPage:
    """One page of products matching the parameters."""
    return find(to_query(params), params.cursor, now=now)


SHOP_PAGE_PARAMS = ("limit", "cursor", "sort")


def shop_search(shop_id: str, query: dict[str, str], *, now: datetime | None = None) -> SearchPage:
    """One page of a visible shop's products, from the query string's ``limit``, ``cursor``
    and ``sort`` (NotFoundError for a shop shoppers may not see, then 422 for bad ones)."""
    shops.visible_shop(shop_id)
    wanted = {key: value for key, value in query.items() if key in SHOP_PAGE_PARAMS}
    return search(validate_model(SearchParams, {**wanted, "shop_id": shop_id}), now=now)


def detail(product_id: str) -> ProductDetails:
    """A visible product with its shop (NotFoundError otherwise)."""
    product, shop = products.visible_product(product_id)
    return ProductDetails(product, shop)


def similar(product_id: str, *, limit: int) -> list[str]:
    """Up to ``limit`` listed products of the same (sub)category as ``product_id``, most
    popular first, without it (one Query of the search index; empty for an unknown or
    deleted product). The recommender's fallback for products its model does not know
    yet: it checks stock and visibility itself."""
    product = products.get_product(product_id)
    if product is None or not product.is_active or limit <= 0:
        return []
    return [listing.product_id for listing in repository.get().related(product, limit=limit)]
