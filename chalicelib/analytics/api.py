"""Analytics routes: event collection (anyone; signed in or not), dashboards and CSV
exports (a seller for their shop, an admin for any shop and the platform)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.analytics.schemas import (
    EventBatchAccepted,
    EventBatchRequest,
    ExportQuery,
    ProductFiguresView,
    ProductsQuery,
    RangeQuery,
    SearchesQuery,
    SearchesView,
    SearchTermView,
    SummaryView,
    TopProductsView,
)
from chalicelib.analytics.service import collect, dashboards
from chalicelib.core.caller import Caller
from chalicelib.core.validation import validate_model
from chalicelib.web import access
from chalicelib.web.routing import HeaderParam, QueryParam, api_route, query_of

bp = Blueprint(__name__)
TAGS = ["analytics"]
DASHBOARD = access.roles("seller", "admin")
ADMIN = access.roles("admin")

RANGE = (
    QueryParam(
        "from",
        "First UTC day (YYYY-MM-DD; default: 29 days before to)",
        schema={"type": "string", "format": "date"},
    ),
    QueryParam(
        "to",
        "Last UTC day, inclusive (YYYY-MM-DD; default: today)",
        schema={"type": "string", "format": "date"},
    ),
)
GRANULARITY = QueryParam(
    "granularity", "Trend periods", schema={"type": "string", "enum": ["day", "week", "month"]}
)
SORT = QueryParam(
    "sort",
    "Order of products",
    schema={"type": "string", "enum": ["revenue", "units", "views", "conversion", "abandoned"]},
)
LIMIT = QueryParam(
    "limit", "How many rows", schema={"type": "integer", "minimum": 1, "maximum": 1000}
)
TABLE = QueryParam(
    "table",
    "The table to export",
    required=True,
    schema={"type": "string", "enum": ["trend", "products", "devices", "countries", "searches"]},
)


def _query(model: type[Any]) -> Any:
    return validate_model(model, query_of(bp))


@api_route(
    bp,
    "/analytics/events",
    methods=["POST"],
    summary="Report engagement events (a batch, accepted or refused whole; a bearer token, "
    "when sent, must be valid and makes the account the visitor)",
    tags=TAGS,
    request_model=EventBatchRequest,
    response_model=EventBatchAccepted,
    status=202,
    headers=[
        HeaderParam("CloudFront-Viewer-Country", "Set by CloudFront; wins over the body's country"),
        HeaderParam("User-Agent", "Parsed for device type, OS and browser; crawlers are dropped"),
    ],
    errors=[401, 429, 503],
)
def report_events(body: EventBatchRequest) -> EventBatchAccepted:
    request = bp.current_request
    headers = request.headers
    caller = access.caller_of(request) if headers.get("authorization") else None
    identity = (request.context or {}).get("identity") or {}
    done = collect.collect(
        body,
        caller=caller,
        user_agent=headers.get("user-agent"),
        viewer_country=headers.get("cloudfront-viewer-country"),
        source_ip=identity.get("sourceIp"),
    )
    return EventBatchAccepted(batch_id=done.batch_id, accepted=done.accepted, dropped=done.dropped)


# ---------- dashboards ----------
def _summary(scope: str) -> SummaryView:
    return SummaryView.of(dashboards.summary(scope, _query(RangeQuery)))


def _products(scope: str) -> TopProductsView:
    query: ProductsQuery = _query(ProductsQuery)
    span = dashboards.date_range(query)
    found = dashboards.top_products(scope, query, query.sort, query.limit)
    return TopProductsView(
        scope=scope,
        start=span.start,
        end=span.end,
        sort=str(query.sort),
        products=[ProductFiguresView.of(figures) for figures in found],
    )


def _searches(scope: str) -> SearchesView:
    query: SearchesQuery = _query(SearchesQuery)
    span = dashboards.date_range(query)
    found = dashboards.searches_without_results(scope, query, query.limit)
    return SearchesView(
        scope=scope,
        start=span.start,
        end=span.end,
        searches=[SearchTermView(query=term, count=count) for term, count in found],
    )


def _export(scope: str, name: str) -> Response:
    query: ExportQuery = _query(ExportQuery)
    span = dashboards.date_range(query)
    text = dashboards.export_csv(scope, query.table, query, query.sort, query.limit)
    filename = f"{name}-{query.table}-{span.start}-{span.end}.csv"
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@api_route(
    bp,
    "/analytics/shops/{shop_id}/summary",
    summary="A shop's totals, sales trend, funnel, abandoned carts, devices, geography, "
    "unique visitors",
    tags=TAGS,
    response_model=SummaryView,
    access=DASHBOARD,
    query=(*RANGE, GRANULARITY),
    errors=[404],
)
def analytics_shop_summary(shop_id: str, caller: Caller) -> SummaryView:
    return _summary(dashboards.shop_scope(caller, shop_id))


@api_route(
    bp,
    "/analytics/shops/{shop_id}/products",
    summary="A shop's top products by revenue, units, views, conversion or abandonment",
    tags=TAGS,
    response_model=TopProductsView,
    access=DASHBOARD,
    query=(*RANGE, GRANULARITY, SORT, LIMIT),
    errors=[404],
)
def analytics_shop_products(shop_id: str, caller: Caller) -> TopProductsView:
    return _products(dashboards.shop_scope(caller, shop_id))


@api_route(
    bp,
    "/analytics/shops/{shop_id}/searches",
    summary="Searches in a shop that found nothing",
    tags=TAGS,
    response_model=SearchesView,
    access=DASHBOARD,
    query=(*RANGE, GRANULARITY, LIMIT),
    errors=[404],
)
def analytics_shop_searches(shop_id: str, caller: Caller) -> SearchesView:
    return _searches(dashboards.shop_scope(caller, shop_id))


@api_route(
    bp,
    "/analytics/shops/{shop_id}/export",
    summary="One of a shop's dashboard tables as CSV",
    tags=TAGS,
    access=DASHBOARD,
    query=(TABLE, *RANGE, GRANULARITY, SORT, LIMIT),
    content_type="text/csv",
    errors=[404],
)
def analytics_shop_export(shop_id: str, caller: Caller) -> Response:
    return _export(dashboards.shop_scope(caller, shop_id), f"shop-{shop_id}")


@api_route(
    bp,
    "/analytics/platform/summary",
    summary="The platform's totals, sales trend, funnel, abandoned carts, devices, "
    "geography, unique visitors",
    tags=TAGS,
    response_model=SummaryView,
    access=ADMIN,
    query=(*RANGE, GRANULARITY),
)
def analytics_platform_summary() -> SummaryView:
    return _summary(dashboards.platform_scope())


@api_route(
    bp,
    "/analytics/platform/products",
    summary="The platform's top products",
    tags=TAGS,
    response_model=TopProductsView,
    access=ADMIN,
    query=(*RANGE, GRANULARITY, SORT, LIMIT),
)
def analytics_platform_products() -> TopProductsView:
    return _products(dashboards.platform_scope())


@api_route(
    bp,
    "/analytics/platform/searches",
    summary="Searches that found nothing, platform-wide",
    tags=TAGS,
    response_model=SearchesView,
    access=ADMIN,
    query=(*RANGE, GRANULARITY, LIMIT),
)
def analytics_platform_searches() -> SearchesView:
    return _searches(dashboards.platform_scope())


@api_route(
    bp,
    "/analytics/platform/export",
    summary="One of the platform's dashboard tables as CSV",
    tags=TAGS,
    access=ADMIN,
    query=(TABLE, *RANGE, GRANULARITY, SORT, LIMIT),
    content_type="text/csv",
)
def analytics_platform_export() -> Response:
    return _export(dashboards.platform_scope(), "platform")
