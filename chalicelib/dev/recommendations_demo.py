"""Demo data for recommendations on ``make dev``: the UCI purchase history (all of it,
shifted so its last day is yesterday, as ``analytics_demo`` does) written to the analytics
lake as purchase facts of the demo products, a little engagement of the demo shopper, and
one run of the training workflow (which then publishes a model of the demo products).

Stock codes map to demo products as ``analytics_demo.engagement`` maps them: codes ranked
by purchase lines in the last ``analytics_demo.DAYS`` days, the n-th to product n modulo
the number of products; older codes continue that ranking by their overall count.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.dev import analytics_demo

HISTORY_DAYS = 400
SHOPPER_VIEWS = 4


def product_mapping(
    history: list[analytics_demo.Purchase], recent_days: int, today: date, products: list[str]
) -> dict[str, str]:
    """Stock code → demo product id."""
    recent = Counter(p.stock_code for p in history if p.day > today - timedelta(days=recent_days))
    overall = Counter(p.stock_code for p in history)
    ranked = sorted(recent, key=lambda code: (-recent[code], code))
    ranked += sorted(
        (code for code in overall if code not in recent), key=lambda code: (-overall[code], code)
    )
    return {code: products[n % len(products)] for n, code in enumerate(ranked)}


def seed(
    shop_ids: list[str], shopper_id: str | None, *, today: date | None = None
) -> dict[str, Any]:
    """Write the lake history once and start a training run; counts."""
    from chalicelib.analytics.domain import Fact, FactBatch, FactKind
    from chalicelib.analytics.service.facts import write_lake
    from chalicelib.catalog.service import products
    from chalicelib.core import model_store
    from chalicelib.core.settings import get_settings
    from chalicelib.recommendations.service.workflow import start

    started = time.perf_counter()
    folder = analytics_demo.data_dir()
    if folder is None:
        return {"skipped": "no ../shared/data/interactions beside the project"}
    if model_store.current_version(get_settings().recs_model_name):
        return {"skipped": "a trained model is published already"}
    today = today or datetime.now(UTC).date()
    catalog_ids: list[str] = []
    for shop_id in shop_ids:
        catalog_ids += sorted(products.all_shop_product_ids(shop_id))
    if not catalog_ids:
        return {"skipped": "no demo products"}
    history = analytics_demo.read_history(folder, today=today, days=HISTORY_DAYS)
    product_of = product_mapping(history, analytics_demo.DAYS, today, catalog_ids)
    by_day: dict[date, list[Fact]] = defaultdict(list)
    for line in history:
        if line.customer.startswith("guest-"):
            continue
        visitor = f"uci-{line.customer}"
        by_day[line.day].append(
            Fact(
                FactKind.PURCHASE,
                line.at,
                line.at,
                "order.paid",
                visitor=visitor,
                user_id=visitor,
                product_id=product_of[line.stock_code],
                quantity=line.quantity,
                order_id=line.invoice,
            )
        )
    if shopper_id:
        # The demo shopper looked at a few of the most bought products yesterday.
        seen = datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC)
        top = Counter(product_of[p.stock_code] for p in history).most_common(SHOPPER_VIEWS * 3)
        for n, (product_id, _) in enumerate(top[::3]):
            at = seen + timedelta(hours=10, minutes=n)
            kind = FactKind.WISHLIST_ADD if n == 0 else FactKind.PRODUCT_VIEW
            by_day[at.date()].append(
                Fact(
                    kind,
                    at,
                    at,
                    "client",
                    visitor=shopper_id,
                    user_id=shopper_id,
                    product_id=product_id,
                )
            )
    for day, facts in sorted(by_day.items()):
        batch = f"demo-recs-{day.isoformat()}"
        received = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23)
        write_lake(FactBatch(batch, received, tuple(facts)))
    run = start()
    return {
        "lake_days": len(by_day),
        "purchases": sum(len(f) for f in by_day.values()),
        "training_run": run["run_id"],
        "seconds": round(time.perf_counter() - started, 2),
    }
