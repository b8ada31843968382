"""Browsing: search parameters from a query string, result pages, product detail."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.catalog import products, search_index, site_config, views
from chalicelib.core import clock
from chalicelib.core.validation import RequestModel


class SearchParams(RequestModel):
    """Query-string filters. Lists are comma-separated (``colors=red,blue``: any of them)."""

    q: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=60)
    subcategory: str | None = Field(default=None, max_length=60)
    brand: str | None = Field(default=None, max_length=60)
    shop_id: str | None = Field(default=None, max_length=64)
    tags: str | None = Field(default=None, max_length=400)
    colors: str | None = Field(default=None, max_length=400)
    sizes: str | None = Field(default=None, max_length=400)
    min_price: int | None = Field(default=None, ge=0)
    max_price: int | None = Field(default=None, ge=0, le=10**12)
    on_offer: bool = False
    sort: Literal["newest", "price_asc", "price_desc", "popularity"] = "newest"
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _range(self) -> SearchParams:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise ValueError("min_price must not be above max_price")
        if self.subcategory and not self.category:
            raise ValueError("subcategory needs category")
        return self


def _values(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(dict.fromkeys(" ".join(v.split()).lower() for v in raw.split(",") if v.strip()))


def to_query(params: SearchParams) -> search_index.SearchQuery:
    """The index query for validated parameters; UnknownCategoryError for a bad category."""
    if params.category:
        site_config.require_category(params.category, params.subcategory)
    return search_index.SearchQuery(
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
        sort=params.sort,
        limit=params.limit,
    )


def search(params: SearchParams) -> views.ProductPage:
    """One page of products matching the parameters."""
    now = clock.now()
    page = search_index.search(to_query(params), params.cursor, now=now)
    return views.ProductPage(
        items=[views.product_card(posting, now) for posting in page.items],
        next_cursor=page.next_cursor,
    )


def detail(product_id: str) -> views.ProductDetail:
    """A visible product with its shop and related products."""
    now = clock.now()
    product, shop = products.visible_product(product_id)
    base = views.product_view(product, now)
    return views.ProductDetail(
        **base.model_dump(),
        shop=views.shop_view(shop),
        related=[views.product_card(p, now) for p in search_index.related(product)],
    )
