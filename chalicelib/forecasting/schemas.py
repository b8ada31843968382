"""Request and response models of the forecasting routes. Revenue is in integer minor
units (forecasts as decimals of minor units, rounded); days are UTC."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chalicelib.core.pagination import Page
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.forecasting.domain import (
    DemandAnalysis,
    Horizon,
    Measure,
    SalesForecast,
    StockoutRisk,
    UploadSummary,
)


class ForecastQuery(RequestModel):
    horizon: Horizon = Horizon.SHORT
    days: int = Field(default=45, ge=1, le=45)
    measure: Measure = Measure.REVENUE


class DemandQuery(RequestModel):
    measure: Measure = Measure.REVENUE


class StockoutQuery(RequestModel):
    lead_days: int | None = Field(default=None, ge=1, le=90)
    limit: int = Field(default=50, ge=1, le=500)


class UploadRequest(RequestModel):
    name: str = Field(default="sales.csv", min_length=1, max_length=120)
    csv: str = Field(
        min_length=1,
        max_length=5_000_000,
        description="The file's text: header date,product,units,revenue then one line per "
        "product and day (revenue as a decimal amount, e.g. 12.50)",
    )


class PointView(ResponseModel):
    period: date
    median: float
    lower: float
    upper: float


class HistoryPointView(ResponseModel):
    period: date
    value: float


class SalesForecastView(ResponseModel):
    scope: str
    source: str
    measure: Measure
    horizon: Horizon
    model_version: str
    interval: float = Field(description="Coverage of [lower, upper] (0.8: an 80% interval)")
    closed_weekdays: list[int] = Field(description="0 = Monday; days not forecast")
    history: list[HistoryPointView]
    forecast: list[PointView]

    @classmethod
    def of(cls, result: SalesForecast) -> SalesForecastView:
        return cls(
            scope=result.scope,
            source=result.source,
            measure=result.measure,
            horizon=result.horizon,
            model_version=result.model_version,
            interval=result.coverage,
            closed_weekdays=list(result.closed_weekdays),
            history=[HistoryPointView(period=d, value=round(v, 2)) for d, v in result.history],
            forecast=[
                PointView(
                    period=p.period,
                    median=round(p.median, 2),
                    lower=round(p.lower, 2),
                    upper=round(p.upper, 2),
                )
                for p in result.points
            ],
        )


class WeekdayView(ResponseModel):
    weekday: int
    index: float


class MonthIndexView(ResponseModel):
    month: int
    index: float


class MovingAverageView(ResponseModel):
    day: date
    ma7: float
    ma28: float


class DemandView(ResponseModel):
    scope: str
    source: str
    measure: Measure
    trading_days: int
    moving_average_7: float | None
    moving_average_28: float | None
    trend_per_month: float | None = Field(
        description="Relative change per 30 days (log-linear fit over the last 90 days)"
    )
    weekday: list[WeekdayView]
    yearly: list[MonthIndexView]
    moving_averages: list[MovingAverageView]

    @classmethod
    def of(cls, found: DemandAnalysis) -> DemandView:
        return cls(
            scope=found.scope,
            source=found.source,
            measure=found.measure,
            trading_days=found.trading_days,
            moving_average_7=found.moving_average_7,
            moving_average_28=found.moving_average_28,
            trend_per_month=found.trend_per_month,
            weekday=[
                WeekdayView(weekday=w.weekday, index=round(w.index, 4)) for w in found.weekday
            ],
            yearly=[MonthIndexView(month=m, index=round(i, 4)) for m, i in found.yearly],
            moving_averages=[
                MovingAverageView(day=d, ma7=round(a, 2), ma28=round(b, 2))
                for d, a, b in found.moving_averages
            ],
        )


class StockoutView(ResponseModel):
    product_id: str
    title: str | None
    stock: int
    daily_demand: float
    days_of_cover: float | None
    probability: float = Field(description="P(demand over the lead time >= stock)")
    expected_demand: float

    @classmethod
    def of(cls, risk: StockoutRisk) -> StockoutView:
        return cls(
            product_id=risk.product_id,
            title=risk.title,
            stock=risk.stock,
            daily_demand=round(risk.daily_demand, 4),
            days_of_cover=None if risk.days_of_cover is None else round(risk.days_of_cover, 1),
            probability=round(risk.probability, 4),
            expected_demand=round(risk.expected_demand, 2),
        )


class StockoutsView(ResponseModel):
    shop_id: str
    lead_days: int
    products: list[StockoutView]
    restock_first: list[str] = Field(
        description="Products likely (p >= 0.5) to run out before a restock arrives, "
        "most urgent first"
    )


class UploadView(ResponseModel):
    upload_id: str
    name: str
    created_at: datetime
    rows: int
    days: int
    first_day: date
    last_day: date
    products: int

    @classmethod
    def of(cls, upload: UploadSummary) -> UploadView:
        return cls(
            upload_id=upload.upload_id,
            name=upload.name,
            created_at=upload.created_at,
            rows=upload.rows,
            days=upload.days,
            first_day=upload.first_day,
            last_day=upload.last_day,
            products=upload.products,
        )


class UploadPage(ResponseModel):
    items: list[UploadView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[UploadSummary]) -> UploadPage:
        return cls(items=[UploadView.of(u) for u in page.items], next_cursor=page.next_cursor)
