"""Dashboards: a shop's figures for its seller (or an admin), the platform's for admins.

Reads never grow with the number of events: a range's days are one Query of at most
``analytics_max_range_days`` items; its products come from month items for every whole
month in the range and from day items for the days around them (at most three Queries).
All days are UTC.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from chalicelib.analytics import repository, sketch
from chalicelib.analytics.domain import (
    PLATFORM,
    DateRange,
    DayTotals,
    Grain,
    Granularity,
    ProductFigures,
    ProductSort,
    Share,
    Summary,
    TrendPoint,
)
from chalicelib.analytics.schemas import RangeQuery
from chalicelib.catalog import service as catalog
from chalicelib.catalog.service import shops
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.errors import ForbiddenError, NotFoundError, ValidationFailedError
from chalicelib.core.settings import get_settings

DEFAULT_DAYS = 30
SHOP_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
EARLIEST = date(2000, 1, 1)
BASE_COUNTERS = (
    "events",
    "views",
    "visits",
    "searches",
    "searches_no_results",
    "add_to_cart",
    "wishlist_adds",
    "wishlist_removes",
    "orders",
    "units",
    "revenue",
    "abandoned_carts",
    "abandoned_value",
    "payment_failures",
)
PRODUCT_COUNTERS = ("views", "add_to_cart", "wishlist_adds", "units", "revenue", "abandoned_units")


def shop_scope(caller: Caller, shop_id: str) -> str:
    """The scope of ``shop_id`` if ``caller`` may read it: its seller or an admin.

    Shops are public, so another seller's shop answers 403 (ForbiddenError), not 404;
    a shop that does not exist answers 404 (to admins, and to sellers of another shop).
    """
    if caller.is_admin:
        if not SHOP_ID.fullmatch(shop_id) or shops.get_shop(shop_id) is None:
            raise NotFoundError("No such shop")
        return shop_id
    if caller.shop_id != shop_id:
        raise ForbiddenError("A seller sees the dashboard of their own shop only")
    return shop_id


def platform_scope() -> str:
    return PLATFORM


def date_range(query: RangeQuery) -> DateRange:
    """The query's inclusive UTC range (default: the last 30 days); 422 naming the
    parameter when it is backwards, longer than the limit, before 2000 or ends after
    tomorrow."""
    today = clock.now().date()
    end = query.to or today
    limit = get_settings().analytics_max_range_days
    problems = []
    for name, day in (("from", query.from_), ("to", end)):
        if day is not None and day < EARLIEST:
            problems.append(
                {"field": name, "message": f"must be {EARLIEST} or later", "type": "range"}
            )
    if end > today + timedelta(days=1):
        problems.append(
            {"field": "to", "message": "must not be after tomorrow (UTC)", "type": "range"}
        )
    if problems:
        raise ValidationFailedError("Invalid date range", details=problems)
    start = query.from_ or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        problems.append({"field": "from", "message": "must not be after to", "type": "range"})
    elif (end - start).days + 1 > limit:
        problems.append(
            {"field": "to", "message": f"a range spans at most {limit} days", "type": "range"}
        )
    if problems:
        raise ValidationFailedError("Invalid date range", details=problems)
    return DateRange(start, end)


def _period(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def _periods(span: DateRange, granularity: Granularity) -> list[date]:
    out: list[date] = []
    day = span.start
    while day <= span.end:
        period = _period(day, granularity)
        if not out or out[-1] != period:
            out.append(period)
        day += timedelta(days=1)
    return out


def _shares(counters: dict[str, int], prefix: str) -> list[Share]:
    found = [
        Share(name=name.removeprefix(prefix), count=value)
        for name, value in counters.items()
        if name.startswith(prefix) and value
    ]
    return sorted(found, key=lambda share: (-share.count, share.name))


def summary(scope: str, query: RangeQuery) -> Summary:
    """Totals, trend, funnel inputs, device/OS/browser/country split and unique visitors."""
    span = date_range(query)
    days = repository.get().days(scope, span.start.isoformat(), span.end.isoformat())
    totals: dict[str, int] = dict.fromkeys(BASE_COUNTERS, 0)
    split: dict[str, int] = defaultdict(int)
    by_period: dict[date, dict[str, int]] = {
        period: defaultdict(int) for period in _periods(span, query.granularity)
    }
    for item in days:
        period = by_period[_period(date.fromisoformat(item.day), query.granularity)]
        for name, value in item.counters.items():
            if ":" in name:
                split[name] += value
            else:
                totals[name] = totals.get(name, 0) + value
                period[name] += value
    trend = [
        TrendPoint(
            period=period.isoformat(),
            orders=values["orders"],
            revenue=values["revenue"],
            units=values["units"],
            views=values["views"],
            add_to_cart=values["add_to_cart"],
            visits=values["visits"],
        )
        for period, values in by_period.items()
    ]
    return Summary(
        scope=scope,
        range=span,
        granularity=query.granularity,
        currency=get_settings().currency,
        totals=totals,
        trend=trend,
        devices=_shares(split, "device:"),
        operating_systems=_shares(split, "os:"),
        browsers=_shares(split, "browser:"),
        countries=_shares(split, "country:"),
        visitors=sketch.estimate(item.sketch for item in days),
    )


def unique_visitors(days: Iterable[DayTotals]) -> int:
    return sketch.estimate(item.sketch for item in days).estimate


def _month_cover(
    span: DateRange, today: date | None = None
) -> tuple[tuple[str, str] | None, list[tuple[date, date]]]:
    """The whole months inside ``span`` (first, last as ``YYYY-MM``) and the day spans
    around them. A range reaching ``today`` takes the current month whole: its month item
    holds nothing after today (client times are at most minutes ahead), so the days of
    the month so far are one read per product instead of one per product and day."""
    first = (
        span.start
        if span.start.day == 1
        else (span.start.replace(day=28) + timedelta(days=4)).replace(day=1)
    )
    after_end = span.end + timedelta(days=1)
    if today is not None and span.end >= today:
        after_end = (span.end.replace(day=28) + timedelta(days=4)).replace(day=1)
    last_end = after_end.replace(day=1) - timedelta(days=1)  # the last day of a whole month
    if first > last_end:
        return None, [(span.start, span.end)]
    days = []
    if span.start < first:
        days.append((span.start, first - timedelta(days=1)))
    if last_end < span.end:
        days.append((last_end + timedelta(days=1), span.end))
    return (first.isoformat()[:7], last_end.isoformat()[:7]), days


def product_figures(scope: str, query: RangeQuery) -> list[ProductFigures]:
    """Every product with activity in the range (no titles; see ``top_products``)."""
    span = date_range(query)
    repo = repository.get()
    months, day_spans = _month_cover(span, clock.now().date())
    found: list[tuple[str, dict[str, int]]] = []
    if months:
        found += repo.products(scope, Grain.PRODUCT_MONTH, *months)
    for start, end in day_spans:
        found += repo.products(scope, Grain.PRODUCT_DAY, start.isoformat(), end.isoformat())
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PRODUCT_COUNTERS, 0))
    for product_id, counters in found:
        target = sums[product_id]
        for name in PRODUCT_COUNTERS:
            target[name] += counters.get(name, 0)
    return [
        ProductFigures(
            product_id=product_id,
            title=None,
            views=values["views"],
            add_to_cart=values["add_to_cart"],
            wishlist_adds=values["wishlist_adds"],
            units=values["units"],
            revenue=values["revenue"],
            abandoned_units=values["abandoned_units"],
        )
        for product_id, values in sums.items()
    ]


SORT_KEYS = {
    ProductSort.REVENUE: lambda p: (p.revenue, p.units),
    ProductSort.UNITS: lambda p: (p.units, p.revenue),
    ProductSort.VIEWS: lambda p: (p.views, p.units),
    ProductSort.CONVERSION: lambda p: (p.conversion, p.views),
    ProductSort.ABANDONED: lambda p: (p.abandoned_units, p.add_to_cart),
}


def top_products(
    scope: str, query: RangeQuery, sort: ProductSort, limit: int
) -> list[ProductFigures]:
    """The first ``limit`` products by ``sort`` (ties by id), with their current titles."""
    figures = product_figures(scope, query)
    figures.sort(key=lambda p: p.product_id)
    figures.sort(key=SORT_KEYS[sort], reverse=True)
    top = figures[:limit]
    cards = catalog.cards([p.product_id for p in top]) if top else {}
    return [
        replace(p, title=cards[p.product_id].title if p.product_id in cards else None) for p in top
    ]


def searches_without_results(scope: str, query: RangeQuery, limit: int) -> list[tuple[str, int]]:
    span = date_range(query)
    sums: dict[str, int] = defaultdict(int)
    for term, count in repository.get().no_results(
        scope, span.start.isoformat(), span.end.isoformat()
    ):
        sums[term] += count
    return sorted(sums.items(), key=lambda item: (-item[1], item[0]))[:limit]


# ---------- CSV ----------
def export_csv(scope: str, table: str, query: RangeQuery, sort: ProductSort, limit: int) -> str:
    """One dashboard table as CSV (header row first; amounts in minor units, UTC days)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table == "trend":
        writer.writerow(["period", "orders", "revenue", "units", "views", "add_to_cart", "visits"])
        for point in summary(scope, query).trend:
            writer.writerow(
                [
                    point.period,
                    point.orders,
                    point.revenue,
                    point.units,
                    point.views,
                    point.add_to_cart,
                    point.visits,
                ]
            )
    elif table == "products":
        writer.writerow(
            [
                "product_id",
                "title",
                "views",
                "add_to_cart",
                "wishlist_adds",
                "units",
                "revenue",
                "abandoned_units",
                "conversion",
            ]
        )
        for p in top_products(scope, query, sort, limit):
            writer.writerow(
                [
                    p.product_id,
                    p.title or "",
                    p.views,
                    p.add_to_cart,
                    p.wishlist_adds,
                    p.units,
                    p.revenue,
                    p.abandoned_units,
                    p.conversion,
                ]
            )
    elif table in ("devices", "countries"):
        writer.writerow(["device" if table == "devices" else "country", "events"])
        view = summary(scope, query)
        for share in view.devices if table == "devices" else view.countries:
            writer.writerow([share.name, share.count])
    else:
        writer.writerow(["query", "searches"])
        for term, count in searches_without_results(scope, query, limit):
            writer.writerow([term, count])
    return out.getvalue()


# ---------- for other capabilities (forecasting) ----------
def sales_by_day(scope: str, start: date, end: date) -> list[tuple[date, int, int]]:
    """(day, revenue in minor units, units) of every day from ``start`` to ``end`` with
    sales, oldest first (at most ``analytics_max_range_days`` days: a longer range is cut
    to its last ones)."""
    limit = get_settings().analytics_max_range_days
    start = max(start, end - timedelta(days=limit - 1))
    days = repository.get().days(scope, start.isoformat(), end.isoformat())
    found = [
        (
            date.fromisoformat(item.day),
            item.counters.get("revenue", 0),
            item.counters.get("units", 0),
        )
        for item in days
    ]
    return sorted(row for row in found if row[1] > 0 or row[2] > 0)


def units_by_product(scope: str, start: date, end: date) -> dict[str, tuple[int, int]]:
    """Units and revenue per product with sales from ``start`` to ``end`` (inclusive)."""
    query = RangeQuery.model_validate({"from": start, "to": end})
    return {
        p.product_id: (p.units, p.revenue) for p in product_figures(scope, query) if p.units > 0
    }
