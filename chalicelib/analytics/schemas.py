"""Request and response models of the analytics routes.

Every figure is a count or an amount in integer minor units; dates are UTC days.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from chalicelib.analytics.domain import (
    COUNTRIES,
    Granularity,
    ProductFigures,
    ProductSort,
    Share,
    Summary,
    TrendPoint,
    VisitorEstimate,
)
from chalicelib.core.validation import RequestModel, ResponseModel

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
EVENTS_MAX = 500  # the schema's hard cap; the setting analytics_max_events is the live one


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if upper not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. DE")
    return upper


class _Event(RequestModel):
    at: datetime | None = Field(
        default=None, description="When it happened on the client (ISO 8601 with a zone)"
    )


class ProductViewEvent(_Event):
    type: Literal["product_view"]
    product_id: Id


class ShopVisitEvent(_Event):
    type: Literal["shop_visit"]
    shop_id: Id


class SearchEvent(_Event):
    type: Literal["search"]
    query: str = Field(min_length=1, max_length=200)
    results: int = Field(ge=0, le=1_000_000)
    shop_id: Id | None = None


class AddToCartEvent(_Event):
    type: Literal["add_to_cart"]
    product_id: Id
    quantity: int = Field(default=1, ge=1, le=10_000)


class WishlistAddEvent(_Event):
    type: Literal["wishlist_add"]
    product_id: Id


class WishlistRemoveEvent(_Event):
    type: Literal["wishlist_remove"]
    product_id: Id


ClientEvent = Annotated[
    ProductViewEvent
    | ShopVisitEvent
    | SearchEvent
    | AddToCartEvent
    | WishlistAddEvent
    | WishlistRemoveEvent,
    Field(discriminator="type"),
]


class EventBatchRequest(RequestModel):
    """A batch of engagement events from one client (browser tab or app install)."""

    anonymous_id: Id = Field(description="A random id the client keeps (no personal data)")
    session_id: Id
    country: Annotated[str | None, AfterValidator(_country)] = Field(
        default=None,
        description="ISO 3166-1 alpha-2; CloudFront-Viewer-Country wins when present",
    )
    events: list[ClientEvent] = Field(min_length=1, max_length=EVENTS_MAX)


class EventBatchAccepted(ResponseModel):
    """``accepted`` events were queued for the lake and the aggregates; a crawler's
    batch is ``dropped`` whole."""

    batch_id: str | None
    accepted: int
    dropped: int


class RangeQuery(RequestModel):
    """``from``/``to``: UTC days, inclusive (default: the last 30 days up to today)."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    granularity: Granularity = Granularity.DAY


class ProductsQuery(RangeQuery):
    sort: ProductSort = ProductSort.REVENUE
    limit: int = Field(default=20, ge=1, le=1000)


class SearchesQuery(RangeQuery):
    limit: int = Field(default=50, ge=1, le=1000)


EXPORT_TABLES = ("trend", "products", "devices", "countries", "searches")


class ExportQuery(ProductsQuery):
    table: Literal["trend", "products", "devices", "countries", "searches"]


class VisitorsView(ResponseModel):
    """HyperLogLog estimate; ``lower``/``upper`` at about 99.7 % confidence."""

    estimate: int
    lower: int
    upper: int
    relative_error: float

    @classmethod
    def of(cls, visitors: VisitorEstimate) -> VisitorsView:
        return cls.model_validate(visitors, from_attributes=True)


class TrendPointView(ResponseModel):
    period: str
    orders: int
    revenue: int
    units: int
    views: int
    add_to_cart: int
    visits: int


class ShareView(ResponseModel):
    name: str
    count: int


class FunnelView(ResponseModel):
    """Product views → add-to-cart events → units bought, and the rates between them."""

    views: int
    add_to_cart: int
    purchases: int
    view_to_cart: float
    cart_to_purchase: float


class AbandonedView(ResponseModel):
    carts: int
    value: int


class SummaryView(ResponseModel):
    """A shop's (or the platform's) figures from ``start`` to ``end`` (UTC days, inclusive)."""

    scope: str
    start: date
    end: date
    granularity: str
    timezone: Literal["UTC"] = "UTC"
    currency: str
    totals: dict[str, int]
    trend: list[TrendPointView]
    funnel: FunnelView
    abandoned: AbandonedView
    devices: list[ShareView]
    operating_systems: list[ShareView]
    browsers: list[ShareView]
    countries: list[ShareView]
    unique_visitors: VisitorsView

    @classmethod
    def of(cls, summary: Summary) -> SummaryView:
        totals = summary.totals
        views, carts, units = totals["views"], totals["add_to_cart"], totals["units"]
        assert summary.visitors is not None
        return cls(
            scope=summary.scope,
            start=summary.range.start,
            end=summary.range.end,
            granularity=str(summary.granularity),
            currency=summary.currency,
            totals=totals,
            trend=[_trend(point) for point in summary.trend],
            funnel=FunnelView(
                views=views,
                add_to_cart=carts,
                purchases=units,
                view_to_cart=round(carts / views, 4) if views else 0.0,
                cart_to_purchase=round(units / carts, 4) if carts else 0.0,
            ),
            abandoned=AbandonedView(
                carts=totals["abandoned_carts"], value=totals["abandoned_value"]
            ),
            devices=_shares(summary.devices),
            operating_systems=_shares(summary.operating_systems),
            browsers=_shares(summary.browsers),
            countries=_shares(summary.countries),
            unique_visitors=VisitorsView.of(summary.visitors),
        )


def _trend(point: TrendPoint) -> TrendPointView:
    return TrendPointView.model_validate(point, from_attributes=True)


def _shares(shares: list[Share]) -> list[ShareView]:
    return [ShareView.model_validate(share, from_attributes=True) for share in shares]


class ProductFiguresView(ResponseModel):
    product_id: str
    title: str | None = None
    views: int
    add_to_cart: int
    wishlist_adds: int
    units: int
    revenue: int
    abandoned_units: int
    conversion: float

    @classmethod
    def of(cls, figures: ProductFigures) -> ProductFiguresView:
        return cls.model_validate(figures, from_attributes=True)


class TopProductsView(ResponseModel):
    """Products by ``sort``; ``revenue`` is the lines' prices times units (before
    order-level discount codes, which the shop totals include)."""

    scope: str
    start: date
    end: date
    timezone: Literal["UTC"] = "UTC"
    sort: str
    products: list[ProductFiguresView]


class SearchTermView(ResponseModel):
    query: str
    count: int


class SearchesView(ResponseModel):
    """Search terms that found nothing, most frequent first."""

    scope: str
    start: date
    end: date
    timezone: Literal["UTC"] = "UTC"
    searches: list[SearchTermView]
