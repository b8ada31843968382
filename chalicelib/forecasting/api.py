"""Forecasting routes: a shop's sales forecast, demand analysis and stock-out risks (its
seller, or an admin), the platform's (admins), and a seller's uploaded sales CSV."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.core.caller import Caller
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import validate_model
from chalicelib.forecasting.domain import SalesHistory
from chalicelib.forecasting.schemas import (
    DemandQuery,
    DemandView,
    ForecastQuery,
    SalesForecastView,
    StockoutQuery,
    StockoutsView,
    StockoutView,
    UploadPage,
    UploadRequest,
    UploadView,
)
from chalicelib.forecasting.service import sales, stock, uploads
from chalicelib.web import access
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["forecasting"]
DASHBOARD = access.roles("seller", "admin")
ADMIN = access.roles("admin")
SELLER = access.roles("seller")
SVG = "image/svg+xml"

FORECAST_QUERY = (
    QueryParam(
        "horizon",
        "short: daily, up to 45 days; long: monthly, this month and the next eleven",
        schema={"type": "string", "enum": ["short", "long"]},
    ),
    QueryParam(
        "days",
        "Calendar days of a short forecast (default 45)",
        schema={"type": "integer", "minimum": 1, "maximum": 45},
    ),
    QueryParam(
        "measure", "What is forecast", schema={"type": "string", "enum": ["revenue", "units"]}
    ),
)
DEMAND_QUERY = (FORECAST_QUERY[2],)
STOCK_QUERY = (
    QueryParam(
        "lead_days",
        "Days a restock takes to arrive (default: the setting, 14)",
        schema={"type": "integer", "minimum": 1, "maximum": 90},
    ),
    QueryParam(
        "limit", "How many products", schema={"type": "integer", "minimum": 1, "maximum": 500}
    ),
)


def _query(model: type[Any]) -> Any:
    return validate_model(model, query_of(bp))


def _forecast(history: SalesHistory) -> SalesForecastView:
    query: ForecastQuery = _query(ForecastQuery)
    return SalesForecastView.of(sales.forecast(history, query.measure, query.horizon, query.days))


def _plot(history: SalesHistory) -> Response:
    query: ForecastQuery = _query(ForecastQuery)
    result = sales.forecast(history, query.measure, query.horizon, query.days)
    return Response(
        body=sales.plot_svg(result),
        status_code=200,
        headers={"Content-Type": SVG, "Cache-Control": "private, max-age=300"},
    )


def _demand(history: SalesHistory) -> DemandView:
    query: DemandQuery = _query(DemandQuery)
    return DemandView.of(sales.demand(history, query.measure))


# ---------- a shop (its seller or an admin) ----------
@api_route(
    bp,
    "/forecasting/shops/{shop_id}/sales",
    summary="A shop's sales forecast: daily up to 45 days or monthly a year ahead, with intervals",
    tags=TAGS,
    response_model=SalesForecastView,
    access=DASHBOARD,
    query=FORECAST_QUERY,
    errors=[404, 503],
)
def forecasting_shop_sales(shop_id: str, caller: Caller) -> SalesForecastView:
    return _forecast(sales.history(sales.shop_scope(caller, shop_id)))


@api_route(
    bp,
    "/forecasting/shops/{shop_id}/sales/plot",
    summary="A shop's sales history and forecast with its interval, as an SVG image",
    tags=TAGS,
    access=DASHBOARD,
    query=FORECAST_QUERY,
    content_type=SVG,
    errors=[404, 503],
)
def forecasting_shop_plot(shop_id: str, caller: Caller) -> Response:
    return _plot(sales.history(sales.shop_scope(caller, shop_id)))


@api_route(
    bp,
    "/forecasting/shops/{shop_id}/demand",
    summary="A shop's demand: moving averages, trend, weekday and yearly seasonality",
    tags=TAGS,
    response_model=DemandView,
    access=DASHBOARD,
    query=DEMAND_QUERY,
    errors=[404, 503],
)
def forecasting_shop_demand(shop_id: str, caller: Caller) -> DemandView:
    return _demand(sales.history(sales.shop_scope(caller, shop_id)))


@api_route(
    bp,
    "/forecasting/shops/{shop_id}/stockouts",
    summary="Stock-out risk per product (days of cover, probability) and what to restock first",
    tags=TAGS,
    response_model=StockoutsView,
    access=DASHBOARD,
    query=STOCK_QUERY,
    errors=[404, 503],
)
def forecasting_shop_stockouts(shop_id: str, caller: Caller) -> StockoutsView:
    query: StockoutQuery = _query(StockoutQuery)
    scope = sales.shop_scope(caller, shop_id)
    lead = query.lead_days or get_settings().forecast_lead_days
    found = stock.risks(scope, sales.history(scope, with_products=True), lead)
    return StockoutsView(
        shop_id=scope,
        lead_days=lead,
        products=[StockoutView.of(r) for r in found[: query.limit]],
        restock_first=[r.product_id for r in found if r.probability >= 0.5][: query.limit],
    )


# ---------- the platform (admins) ----------
@api_route(
    bp,
    "/forecasting/platform/sales",
    summary="The platform's sales forecast (daily or monthly, with intervals)",
    tags=TAGS,
    response_model=SalesForecastView,
    access=ADMIN,
    query=FORECAST_QUERY,
    errors=[503],
)
def forecasting_platform_sales() -> SalesForecastView:
    return _forecast(sales.platform_history())


@api_route(
    bp,
    "/forecasting/platform/sales/plot",
    summary="The platform's sales history and forecast as an SVG image",
    tags=TAGS,
    access=ADMIN,
    query=FORECAST_QUERY,
    content_type=SVG,
    errors=[503],
)
def forecasting_platform_plot() -> Response:
    return _plot(sales.platform_history())


@api_route(
    bp,
    "/forecasting/platform/demand",
    summary="The platform's demand: moving averages, trend, weekday and yearly seasonality",
    tags=TAGS,
    response_model=DemandView,
    access=ADMIN,
    query=DEMAND_QUERY,
    errors=[503],
)
def forecasting_platform_demand() -> DemandView:
    return _demand(sales.platform_history())


# ---------- a seller's own sales CSV ----------
@api_route(
    bp,
    "/forecasting/uploads",
    methods=["POST"],
    summary="Upload the shop's own sales history as CSV (all rows valid, or nothing is stored "
    "and every bad row is named)",
    tags=TAGS,
    request_model=UploadRequest,
    response_model=UploadView,
    status=201,
    access=SELLER,
    errors=[403, 413],
)
def forecasting_upload(body: UploadRequest, caller: Caller) -> UploadView:
    return UploadView.of(uploads.upload(caller, body.name, body.csv).summary)


@api_route(
    bp,
    "/forecasting/uploads",
    summary="Your shop's uploaded sales histories, newest first (kept 30 days)",
    tags=TAGS,
    response_model=UploadPage,
    access=SELLER,
    query=PAGE_QUERY,
    errors=[400, 403],
)
def forecasting_uploads(caller: Caller) -> UploadPage:
    limit, cursor = page_of(bp)
    return UploadPage.of(uploads.list_uploads(caller, limit=limit, cursor=cursor))


@api_route(
    bp,
    "/forecasting/uploads/{upload_id}",
    methods=["DELETE"],
    summary="Delete an uploaded sales history of your shop now (another shop's is not found)",
    tags=TAGS,
    access=SELLER,
    status=204,
    errors=[403, 404],
)
def forecasting_delete_upload(upload_id: str, caller: Caller) -> None:
    uploads.delete_upload(caller, upload_id)


@api_route(
    bp,
    "/forecasting/uploads/{upload_id}/sales",
    summary="The forecast of an uploaded sales history",
    tags=TAGS,
    response_model=SalesForecastView,
    access=SELLER,
    query=FORECAST_QUERY,
    errors=[403, 404, 503],
)
def forecasting_upload_sales(upload_id: str, caller: Caller) -> SalesForecastView:
    return _forecast(uploads.get_upload(caller, upload_id).history)


@api_route(
    bp,
    "/forecasting/uploads/{upload_id}/sales/plot",
    summary="An uploaded sales history and its forecast as an SVG image",
    tags=TAGS,
    access=SELLER,
    query=FORECAST_QUERY,
    content_type=SVG,
    errors=[403, 404, 503],
)
def forecasting_upload_plot(upload_id: str, caller: Caller) -> Response:
    return _plot(uploads.get_upload(caller, upload_id).history)


@api_route(
    bp,
    "/forecasting/uploads/{upload_id}/demand",
    summary="The demand analysis of an uploaded sales history",
    tags=TAGS,
    response_model=DemandView,
    access=SELLER,
    query=DEMAND_QUERY,
    errors=[403, 404, 503],
)
def forecasting_upload_demand(upload_id: str, caller: Caller) -> DemandView:
    return _demand(uploads.get_upload(caller, upload_id).history)
