"""The demo engagement (``make dev``) on moto: every dashboard shows real figures, and the
unique-visitor figure over a range is within the sketch's stated error of the exact count."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.analytics.domain import PLATFORM, FactKind
from chalicelib.dev import analytics_demo
from localcloud.deploy import Deployment
from tests.integration.analytics.conftest import Http

pytestmark = pytest.mark.skipif(
    analytics_demo.data_dir() is None, reason="no ../shared/data/interactions beside the project"
)


def test_the_demo_history_fills_every_dashboard_within_the_sketch_error(
    aws_env: Deployment, http: Http
) -> None:
    from localcloud.seed import _seed_catalog, demo_shops, seed_identity

    # Given the demo accounts, shops and products, and their engagement seeded
    seed_identity()
    _seed_catalog()
    started = time.perf_counter()
    seeded = analytics_demo.seed(demo_shops())
    seconds = time.perf_counter() - started
    assert seeded["invoices"] > 100, seeded
    print(f"analytics demo seed: {seconds:.2f}s {seeded}")
    # When the demo seller and the admin read their dashboards
    seller = http.sign_in("seller@bazaar.example.com", "Demo-Store-Pass-2026")
    admin = http.sign_in("admin@bazaar.example.com", "Demo-Boss-Pass-2026")
    me = http.call("GET", "/me", token=seller).json_body
    shop_id = me["shop_id"]
    summary = http.call(
        "GET", f"/analytics/shops/{shop_id}/summary?granularity=week", token=seller
    ).json_body
    platform = http.call("GET", "/analytics/platform/summary?from=" + _days_ago(29), token=admin)
    assert platform.status_code == 200, platform.body
    # Then every table has figures
    totals = summary["totals"]
    for name in ("views", "add_to_cart", "orders", "units", "revenue", "visits", "abandoned_carts"):
        assert totals[name] > 0, name
    assert summary["devices"]
    assert summary["countries"]
    assert summary["trend"]
    top = http.call(
        "GET", f"/analytics/shops/{shop_id}/products?sort=conversion&limit=5", token=seller
    ).json_body["products"]
    assert len(top) == 5
    assert all(p["title"] for p in top)
    searches = http.call("GET", "/analytics/platform/searches?limit=3", token=admin).json_body
    assert searches["searches"]

    # And the platform's unique visitors over the 30 days match the exact count within error
    history = analytics_demo.read_history(analytics_demo.data_dir(), today=datetime.now(UTC).date())
    exact = len({f"uci-{purchase.customer}" for purchase in history})
    visitors = platform.json_body["unique_visitors"]
    assert abs(visitors["estimate"] - exact) <= visitors["relative_error"] * exact, (
        visitors,
        exact,
    )
    assert visitors["lower"] <= visitors["estimate"] <= visitors["upper"]


def _days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def test_engagement_counts_each_client_fact_under_its_shop_and_the_platform() -> None:
    folder = analytics_demo.data_dir()
    assert folder is not None
    history = analytics_demo.read_history(folder, today=datetime.now(UTC).date())
    batches = analytics_demo.engagement(history, [("p-1", "shop-1", 500), ("p-2", "shop-2", 900)])
    kinds = {fact.kind for batch in batches for fact in batch.facts}
    assert {FactKind.PURCHASE, FactKind.ORDER_PAID, FactKind.PRODUCT_VIEW} <= kinds
    assert all(batch.batch_id.startswith("demo-") for batch in batches)
    assert PLATFORM not in {fact.shop_id for batch in batches for fact in batch.facts}
