"""Stock-out risk per product: days of cover from the catalog's current stock against the
forecast demand, the probability of running out before a restock arrives, and the
products to restock first.

A product's demand over the lead time = its units in the last 28 days, scaled to the lead
time and by how the shop's own unit forecast for the lead time compares with its last 28
days (so a shop heading into its busy season expects more). The demand over the lead time
is taken as Poisson with that mean; the probability is P(demand >= stock).
"""

from __future__ import annotations

import math
from datetime import timedelta

from chalicelib.catalog.service import products as catalog_products
from chalicelib.core import clock
from chalicelib.core.settings import get_settings
from chalicelib.forecasting.domain import Horizon, Measure, SalesHistory, StockoutRisk
from chalicelib.forecasting.model import ForecastModel
from chalicelib.forecasting.service import model as served
from chalicelib.forecasting.service import sales as sales_service
from chalicelib.forecasting.service.sales import PRODUCT_DAYS

PAGE = 100
MAX_PAGES = 50  # 5,000 products a shop at most are weighed


def poisson_at_least(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean); 0 without demand (nothing sells, nothing runs out)."""
    if mean <= 0:
        return 0.0
    if k <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
        if term < 1e-16 and i > mean:
            break
    return max(0.0, min(1.0, 1.0 - below))


def season_factor(sales: SalesHistory, lead_days: int, model: ForecastModel) -> float:
    """The shop's forecast units over the next ``lead_days`` / its units in the last
    28 days scaled to ``lead_days`` (1.0 without history)."""
    last28 = sum(d.units for d in sales.days if d.day > clock.now().date() - timedelta(days=29))
    if last28 <= 0:
        return 1.0
    result = sales_service.forecast(sales, Measure.UNITS, Horizon.SHORT, lead_days, model)
    expected = sum(p.median for p in result.points)
    return max(0.1, expected / (last28 * lead_days / PRODUCT_DAYS))


def risks(
    shop_id: str,
    sales: SalesHistory,
    lead_days: int | None = None,
    model: ForecastModel | None = None,
) -> list[StockoutRisk]:
    """Every active product of the shop with its risk, the most urgent first (highest
    probability, then fewest days of cover)."""
    lead = lead_days or get_settings().forecast_lead_days
    factor = season_factor(sales, lead, model or served.served())
    sold = {p.product_id: p.units for p in sales.products}
    found = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = catalog_products.list_shop_products(
            shop_id, limit=PAGE, cursor=cursor, include_deleted=False
        )
        found += [p for p in page.items if p.is_active]
        cursor = page.next_cursor
        if cursor is None:
            break
    out = []
    for product in found:
        daily = sold.get(product.product_id, 0) / PRODUCT_DAYS * factor
        expected = daily * lead
        out.append(
            StockoutRisk(
                product_id=product.product_id,
                title=product.title,
                stock=product.stock,
                daily_demand=daily,
                days_of_cover=product.stock / daily if daily > 0 else None,
                probability=poisson_at_least(product.stock, expected),
                expected_demand=expected,
            )
        )
    out.sort(
        key=lambda r: (
            -r.probability,
            r.days_of_cover if r.days_of_cover is not None else math.inf,
            r.product_id,
        )
    )
    return out
