"""Sales histories (a shop's or the platform's from analytics; a seller's upload), their
daily and monthly forecasts with intervals, the demand analysis and the plots."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from chalicelib.analytics.service import dashboards
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.forecasting import plot
from chalicelib.forecasting.domain import (
    DaySales,
    DemandAnalysis,
    ForecastPoint,
    Horizon,
    Measure,
    ProductSales,
    SalesForecast,
    SalesHistory,
    WeekdayShare,
)
from chalicelib.forecasting.model import Floats, ForecastModel, trading_days, yearly_index
from chalicelib.forecasting.service import model as served

HISTORY_DAYS = 366
PRODUCT_DAYS = 28
MAX_SHORT_DAYS = 45
LONG_MONTHS = 12


# ---------- histories ----------
def shop_scope(caller: Caller, shop_id: str) -> str:
    """``shop_id`` if the caller may read it: its seller (another shop: 403) or an admin
    (a shop that does not exist: 404) — the same rule as the shop's dashboards."""
    return dashboards.shop_scope(caller, shop_id)


def history(scope: str, *, with_products: bool = False) -> SalesHistory:
    """A scope's daily sales up to yesterday (today is not over) from analytics; with its
    products' units of the last 28 days when asked (stock-out risk needs them)."""
    today = clock.now().date()
    end = today - timedelta(days=1)
    rows = dashboards.sales_by_day(scope, end - timedelta(days=HISTORY_DAYS - 1), end)
    products = (
        dashboards.units_by_product(scope, end - timedelta(days=PRODUCT_DAYS - 1), end)
        if with_products
        else {}
    )
    return SalesHistory(
        scope=scope,
        source="analytics",
        days=tuple(DaySales(day, revenue, units) for day, revenue, units in rows),
        products=tuple(
            ProductSales(pid, units, revenue) for pid, (units, revenue) in sorted(products.items())
        ),
    )


def platform_history() -> SalesHistory:
    """The whole platform's daily sales (analytics' platform scope)."""
    return history(dashboards.platform_scope())


# ---------- forecasting ----------
def _series(sales: SalesHistory, measure: Measure) -> tuple[list[date], Floats]:
    pairs = [
        (d.day, float(d.revenue if measure is Measure.REVENUE else d.units))
        for d in sales.days
        if (d.revenue if measure is Measure.REVENUE else d.units) > 0
    ]
    return [d for d, _ in pairs], np.asarray([v for _, v in pairs], dtype=np.float64)


def closed_weekdays(days: list[date]) -> tuple[int, ...]:
    """Weekdays without a single sale in the last 8 weeks of a history of 4 weeks or more:
    the shop is closed then, and they are not forecast (like the dev series' Saturdays)."""
    if not days or (days[-1] - days[0]).days < 27:
        return ()
    recent = {d.weekday() for d in days if d > days[-1] - timedelta(days=56)}
    return tuple(w for w in range(7) if w not in recent)


def closed_over_christmas(days: list[date]) -> bool:
    """Whether the history shows a Christmas closure: it spans a whole 24 Dec - 3 Jan and
    has no sale in it."""
    for year in range(days[0].year, days[-1].year + 1) if days else ():
        first, last = date(year, 12, 24), date(year + 1, 1, 3)
        if days[0] < first and days[-1] > last:
            return not any(first <= d <= last for d in days)
    return False


def forecast_start(sales: SalesHistory) -> date:
    """The first forecast day: today for live histories, the day after an upload's last."""
    last = sales.days[-1].day if sales.days else clock.now().date() - timedelta(days=1)
    if sales.source == "analytics":
        return max(clock.now().date(), last + timedelta(days=1))
    return last + timedelta(days=1)


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def forecast(
    sales: SalesHistory,
    measure: Measure,
    horizon: Horizon,
    days: int = MAX_SHORT_DAYS,
    model: ForecastModel | None = None,
) -> SalesForecast:
    """Daily (``short``: the trading days in the next ``days`` calendar days) or monthly
    (``long``: this month and the next eleven) forecast with the model's interval.

    A month's interval is the sum of its days' bounds: errors are taken as fully
    correlated within a month (a level shift, what dominates a year ahead) — wide, not
    optimistic. A history without a single sale forecasts zero."""
    model = model or served.served()
    history_days, values = _series(sales, measure)
    closed = closed_weekdays(history_days)
    start = forecast_start(sales)
    if horizon is Horizon.SHORT:
        end = start + timedelta(days=min(days, MAX_SHORT_DAYS) - 1)
    else:
        end = _month_end(start)
        for _ in range(LONG_MONTHS - 1):
            end = _month_end(end + timedelta(days=1))
    calendar = trading_days(start, end, closed, closed_over_christmas(history_days))
    median: Floats = np.zeros(len(calendar), dtype=np.float64)
    lower, upper = median, median
    if len(values):
        result = model.forecast(history_days, values, calendar)
        median, lower, upper = result.median, result.lower, result.upper
    if horizon is Horizon.SHORT:
        points = tuple(
            ForecastPoint(d, float(m), float(lo), float(hi))
            for d, m, lo, hi in zip(calendar, median, lower, upper, strict=True)
        )
    else:
        sums: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for d, m, lo, hi in zip(calendar, median, lower, upper, strict=True):
            month = sums[d.replace(day=1)]
            month[0] += float(m)
            month[1] += float(lo)
            month[2] += float(hi)
        points = tuple(ForecastPoint(k, v[0], v[1], v[2]) for k, v in sorted(sums.items()))
    shown = list(zip(history_days, values.tolist(), strict=True))
    if horizon is Horizon.LONG:
        monthly: dict[date, float] = defaultdict(float)
        for d, v in shown:
            monthly[d.replace(day=1)] += v
        shown = sorted(monthly.items())
    return SalesForecast(
        scope=sales.scope,
        source=sales.source,
        measure=measure,
        horizon=horizon,
        model_version=model.version,
        coverage=model.coverage,
        history=tuple(shown[-120:]),
        points=points,
        closed_weekdays=closed,
    )


def plot_svg(result: SalesForecast) -> str:
    """The forecast as an SVG: history, median and interval band."""
    title = (
        f"{result.scope}: {result.measure.value}, "
        f"{'daily' if result.horizon is Horizon.SHORT else 'monthly'} forecast "
        f"({round(result.coverage * 100)}% interval, model {result.model_version})"
    )
    history = list(result.history)
    if result.horizon is Horizon.SHORT:
        history = history[-90:]
    return plot.forecast_svg(
        title, history, [(p.period, p.median, p.lower, p.upper) for p in result.points]
    )


# ---------- demand analysis ----------
def _trailing_mean(days: list[date], values: Floats, end: date, window: int) -> float | None:
    picked = [
        v for d, v in zip(days, values, strict=True) if end - timedelta(days=window) < d <= end
    ]
    return float(np.mean(picked)) if picked else None


def demand(
    sales: SalesHistory, measure: Measure, model: ForecastModel | None = None
) -> DemandAnalysis:
    """Moving averages (7 and 28 days, trailing, over trading days), the trend (log-linear
    over the last 90 days, as a change per 30 days), the weekday profile (last 26 weeks)
    and the yearly shape (the model's, learned on the platform's history)."""
    model = model or served.served()
    days, values = _series(sales, measure)
    if not days:
        return DemandAnalysis(sales.scope, sales.source, measure, 0, None, None, None, (), (), ())
    last = days[-1]
    averages = []
    for d in days:
        if d > last - timedelta(days=90):
            ma7 = _trailing_mean(days, values, d, 7)
            ma28 = _trailing_mean(days, values, d, 28)
            averages.append((d, ma7 or 0.0, ma28 or 0.0))
    recent = [(d, v) for d, v in zip(days, values, strict=True) if d > last - timedelta(days=90)]
    trend = None
    if len(recent) >= 14:
        x = np.asarray([(d - recent[0][0]).days for d, _ in recent], dtype=np.float64)
        y = np.log(np.asarray([v for _, v in recent]))
        slope = float(np.polyfit(x, y, 1)[0])
        trend = math.exp(slope * 30) - 1
    profile: dict[int, list[float]] = defaultdict(list)
    for d, v in zip(days, values, strict=True):
        if d > last - timedelta(days=182):
            profile[d.weekday()].append(float(v))
    overall = float(np.mean([v for vs in profile.values() for v in vs]))
    weekday = tuple(WeekdayShare(w, float(np.mean(profile[w])) / overall) for w in sorted(profile))
    return DemandAnalysis(
        scope=sales.scope,
        source=sales.source,
        measure=measure,
        trading_days=len(days),
        moving_average_7=_trailing_mean(days, values, last, 7),
        moving_average_28=_trailing_mean(days, values, last, 28),
        trend_per_month=trend,
        weekday=weekday,
        yearly=tuple(yearly_index(model)),
        moving_averages=tuple(averages),
    )
