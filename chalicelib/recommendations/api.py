"""Recommendation routes: the caller's recommendations and a product's related products."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.core.caller import Caller
from chalicelib.recommendations.schemas import RecommendationPage
from chalicelib.recommendations.service import serving
from chalicelib.web.access import SIGNED_IN
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["recommendations"]
PAGE_QUERY = (*PAGE_QUERY,)


def _query(name: str) -> str | None:
    return query_of(bp).get(name) or None


@api_route(
    bp,
    "/me/recommendations",
    summary="Products for you, from what you viewed, saved, carted and bought (popular "
    "products until you have a history; ?category= narrows those)",
    tags=TAGS,
    response_model=RecommendationPage,
    access=SIGNED_IN,
    query=[*PAGE_QUERY, QueryParam("category", "Popular products of this category (cold start)")],
    errors=[400],
)
def my_recommendations(caller: Caller) -> RecommendationPage:
    limit, cursor = page_of(bp)
    offset = serving.offset_of(cursor)
    result, cards = serving.for_user(
        caller, offset=offset, limit=limit, category=_query("category")
    )
    return RecommendationPage.of(result, cards, serving.cursor_of(result.next_offset))


@api_route(
    bp,
    "/products/{product_id}/related",
    summary="Products bought and viewed together with this one, then popular ones of its "
    "category (a product newer than the model: its category's most popular; the product "
    "view's related_url)",
    tags=TAGS,
    response_model=RecommendationPage,
    query=PAGE_QUERY,
    errors=[400, 404],
)
def related_products(product_id: str) -> RecommendationPage:
    limit, cursor = page_of(bp)
    offset = serving.offset_of(cursor)
    result, cards = serving.related(product_id, offset=offset, limit=limit)
    return RecommendationPage.of(result, cards, serving.cursor_of(result.next_offset))
