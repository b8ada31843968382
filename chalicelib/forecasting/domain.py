"""Forecasting values: sales histories, forecasts with intervals, demand analysis,
stock-out risks and uploaded histories. Amounts are integer minor units; days are UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Horizon(StrEnum):
    SHORT = "short"  # daily, up to 45 days
    LONG = "long"  # monthly, a year ahead


class Measure(StrEnum):
    REVENUE = "revenue"
    UNITS = "units"


@dataclass(frozen=True)
class DaySales:
    day: date
    revenue: int  # minor units
    units: int


@dataclass(frozen=True)
class ProductSales:
    product_id: str
    units: int
    revenue: int


@dataclass(frozen=True)
class SalesHistory:
    """Daily sales of a scope (a shop, the platform, an upload); days without sales absent."""

    scope: str
    source: str  # "analytics" or "upload:<id>"
    days: tuple[DaySales, ...]
    products: tuple[ProductSales, ...] = ()


@dataclass(frozen=True)
class ForecastPoint:
    period: date  # the day, or the month's first day
    median: float
    lower: float
    upper: float


@dataclass(frozen=True)
class SalesForecast:
    scope: str
    source: str
    measure: Measure
    horizon: Horizon
    model_version: str
    coverage: float
    history: tuple[tuple[date, float], ...]
    points: tuple[ForecastPoint, ...]
    closed_weekdays: tuple[int, ...]


@dataclass(frozen=True)
class WeekdayShare:
    weekday: int  # 0 Monday
    index: float  # mean of the weekday / mean of all trading days


@dataclass(frozen=True)
class DemandAnalysis:
    scope: str
    source: str
    measure: Measure
    trading_days: int
    moving_average_7: float | None
    moving_average_28: float | None
    trend_per_month: float | None  # relative change per 30 days (log-linear fit, last 90 days)
    weekday: tuple[WeekdayShare, ...]
    yearly: tuple[tuple[int, float], ...]  # month → index (the model's yearly shape)
    moving_averages: tuple[tuple[date, float, float], ...]  # day, MA7, MA28


@dataclass(frozen=True)
class StockoutRisk:
    product_id: str
    title: str | None
    stock: int
    daily_demand: float
    days_of_cover: float | None  # None: no demand
    probability: float  # P(demand over the lead time >= stock)
    expected_demand: float  # over the lead time


@dataclass(frozen=True)
class UploadSummary:
    """An upload as its shop's list shows it: what it holds, without the history."""

    upload_id: str
    shop_id: str
    name: str
    created_at: datetime
    rows: int
    days: int
    first_day: date
    last_day: date
    products: int


@dataclass(frozen=True)
class Upload:
    upload_id: str
    shop_id: str
    name: str
    created_at: datetime
    rows: int
    history: SalesHistory

    @property
    def summary(self) -> UploadSummary:
        days = self.history.days
        return UploadSummary(
            upload_id=self.upload_id,
            shop_id=self.shop_id,
            name=self.name,
            created_at=self.created_at,
            rows=self.rows,
            days=len(days),
            first_day=days[0].day,
            last_day=days[-1].day,
            products=len(self.history.products),
        )


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based line number in the file (the header is line 1)
    field: str
    message: str
