"""Analytics benchmark on the local cloud.

- **Ingest throughput**: client batches (50 events each, over 50 products of one shop, a
  few hot ones) posted over real HTTP to ``POST /analytics/events`` from 4 threads, until
  the shop's day counter (read from the cloud's table) holds every view: events per
  second from the first request to the last event counted, through the queue, the
  local cloud's SQS poller and the consumer (lake + counters + sketches).
- **DynamoDB writes per 100 events**: one consumer batch (10 client batches of 50 events,
  the template's ``BatchSize``) recorded in this process against the cloud's tables
  (``aggregate.record``), every AWS call counted (``bench.catalog.counting_calls``), and
  the items inside ``TransactWriteItems`` counted too.
- **Dashboard reads**: a shop with 1,000 products and 90 days of history (each product
  active on a quarter of the days), written as whole items; ``summary`` and ``products``
  over the 90 days: HTTP latency (real requests) and DynamoDB calls per request (the same
  use cases in this process, counted). The history's counters hold any number of events:
  the items read depend on days and active products, not on how many events they count.
- **Unique visitors**: the sketch's estimate over 90 days against the exact count of the
  generated visitors (its relative error).
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from botocore.client import BaseClient

from bench.catalog import CHEAP_ARGON2, _summary, counting_calls, point_at

BATCH_EVENTS = 50
INGEST_BATCHES = 120
DASHBOARD_PRODUCTS = 1000
DASHBOARD_DAYS = 90
ACTIVE_SHARE = 0.25
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
# The bench cloud's analytics rate limit (every bench request comes from 127.0.0.1).
CLOUD_ENV = {"BAZAAR_ANALYTICS_RATE_LIMIT": "1000000", **CHEAP_ARGON2}


def _shop(products: int) -> tuple[str, list[str], dict[str, str], str]:
    """A seller with a shop of ``products`` products (bulk-loaded); their ids, and the
    seller's and an admin's credentials."""
    from chalicelib.core.caller import Role
    from chalicelib.dev import demo
    from chalicelib.identity.service import admin

    run = uuid.uuid4().hex[:8]
    seller = admin.provision_account(
        f"an.seller.{run}@bench.example.com", "Bench-Pass-2026-x", role=Role.SELLER
    )
    admin.provision_account(
        f"an.admin.{run}@bench.example.com", "Bench-Pass-2026-x", role=Role.ADMIN
    )
    demo.ensure_categories()
    shop = demo.ensure_shop(seller.account_id, f"Analytics Bench {run}", "home")
    made = demo.generate([shop], products, seed=11)
    demo.load(made)
    return (
        shop.shop_id,
        [product.product_id for product in made],
        {"email": f"an.seller.{run}@bench.example.com", "password": "Bench-Pass-2026-x"},
        f"an.admin.{run}@bench.example.com",
    )


def _token(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = http.post("/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _batch(rng: random.Random, products: list[str], visitor: str) -> dict[str, Any]:
    hot = products[:3]
    events = []
    for _ in range(BATCH_EVENTS):
        product = rng.choice(hot) if rng.random() < 0.5 else rng.choice(products)
        kind = "product_view" if rng.random() < 0.8 else "add_to_cart"
        events.append({"type": kind, "product_id": product})
    return {"anonymous_id": visitor, "session_id": f"s-{visitor}", "events": events}


def bench_ingest(cloud: Any, shop_id: str, products: list[str]) -> dict[str, Any]:
    from chalicelib.analytics import repository

    rng = random.Random(5)
    batches = [_batch(rng, products, f"v-{n % 40}") for n in range(INGEST_BATCHES)]
    views = sum(1 for b in batches for e in b["events"] if e["type"] == "product_view")
    today = datetime.now(UTC).date().isoformat()
    latencies: list[float] = []

    def post(body: dict[str, Any]) -> None:
        with httpx.Client(base_url=cloud.rest, timeout=60) as http:
            started = time.perf_counter()
            response = http.post("/analytics/events", json=body, headers={"User-Agent": PHONE})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(post, batches))
    posted = time.perf_counter() - started
    counted = 0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        days = repository.get().days(shop_id, today, today)
        counted = days[0].counters.get("views", 0) if days else 0
        if counted >= views:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    return {
        "events": INGEST_BATCHES * BATCH_EVENTS,
        "batches": INGEST_BATCHES,
        "views_counted": counted,
        "post_latency": _summary(latencies),
        "posting_s": round(posted, 2),
        "to_aggregates_s": round(elapsed, 2),
        "events_per_s_accepted": round(INGEST_BATCHES * BATCH_EVENTS / posted, 1),
        "events_per_s_to_aggregates": round(INGEST_BATCHES * BATCH_EVENTS / elapsed, 1),
    }


def _consumer_batch(products: list[str], shop_id: str, hot_share: float, seed: int) -> list[Any]:
    from chalicelib.analytics.domain import Device, DeviceType, Fact, FactBatch, FactKind

    rng = random.Random(seed)
    now = datetime.now(UTC)
    phone = Device(DeviceType.MOBILE, "iOS", "Mobile Safari")
    batches = []
    for n in range(10):
        facts = []
        for _ in range(BATCH_EVENTS):
            hot = rng.random() < hot_share
            product = rng.choice(products[:3]) if hot else rng.choice(products)
            kind = FactKind.PRODUCT_VIEW if rng.random() < 0.8 else FactKind.ADD_TO_CART
            facts.append(
                Fact(
                    kind,
                    now,
                    now,
                    "client",
                    visitor=f"w-{seed}-{n}",
                    product_id=product,
                    shop_id=shop_id,
                    device=phone,
                    country="DE",
                )
            )
        batches.append(FactBatch(uuid.uuid4().hex, now, tuple(facts)))
    return batches


def _writes_of(batches: list[Any]) -> dict[str, Any]:
    from chalicelib.analytics.service import aggregate

    items: Counter[str] = Counter()
    with counting_calls() as calls:
        counting = BaseClient._make_api_call

        def counted(self: Any, operation_name: str, api_params: Any) -> Any:
            if operation_name == "TransactWriteItems":
                for item in api_params["TransactItems"]:
                    items["marker puts" if "Put" in item else "counter updates"] += 1
            return counting(self, operation_name, api_params)

        BaseClient._make_api_call = counted
        try:
            result = aggregate.record(batches)
        finally:
            BaseClient._make_api_call = counting
    events = sum(len(batch.facts) for batch in batches)
    sketch_writes = calls.get("dynamodb:UpdateItem", 0)
    writes = sum(items.values()) + sketch_writes
    return {
        "applied": len(result.applied),
        "aws_calls": dict(calls),
        "transaction_items": dict(items),
        "sketch_updates": sketch_writes,
        "dynamodb_item_writes": writes,
        "dynamodb_item_writes_per_100_events": round(writes * 100 / events, 1),
    }


def bench_writes(products: list[str], shop_id: str) -> dict[str, Any]:
    """One consumer batch (10 client batches x 50 events, the template's BatchSize)
    recorded against the cloud's tables, for a spread and a concentrated distribution."""
    return {
        "consumer_batch": "10 client batches x 50 events; 80% views, 20% add-to-cart",
        # one update per event and item: 4 product items + 2 day items (shop, platform)
        "one_update_per_event_would_be_per_100_events": 600,
        "spread_over_50_products": _writes_of(_consumer_batch(products, shop_id, 0.4, 9)),
        "concentrated_on_3_hot_products": _writes_of(_consumer_batch(products, shop_id, 1.0, 10)),
    }


def seed_history(shop_id: str, products: list[str]) -> dict[str, Any]:
    """90 days for 1,000 products (a quarter active each day) as whole items."""
    from chalicelib.analytics.domain import CounterKey, Grain
    from chalicelib.analytics.service import aggregate

    rng = random.Random(3)
    today = datetime.now(UTC).date()
    counts: dict[Any, dict[str, int]] = {}
    visitors: dict[tuple[str, str], set[str]] = {}
    exact: set[str] = set()
    for back in range(DASHBOARD_DAYS):
        day = (today - timedelta(days=back)).isoformat()
        day_item = counts.setdefault(CounterKey(shop_id, Grain.DAY, day), {})
        for product in products:
            if rng.random() >= ACTIVE_SHARE:
                continue
            views = rng.randint(1, 400)
            units = rng.randint(0, 5)
            figures = {
                "views": views,
                "add_to_cart": views // 10,
                "units": units,
                "revenue": units * 2500,
            }
            counts[CounterKey(shop_id, Grain.PRODUCT_DAY, day, product)] = figures
            month = counts.setdefault(
                CounterKey(shop_id, Grain.PRODUCT_MONTH, day[:7], product), {}
            )
            for name, value in figures.items():
                month[name] = month.get(name, 0) + value
                day_item[name] = day_item.get(name, 0) + value
        day_item.update({"orders": rng.randint(10, 60), "device:mobile": 500, "country:DE": 500})
        ids = {f"visitor-{rng.randint(0, 60_000)}" for _ in range(rng.randint(300, 900))}
        visitors[(shop_id, day)] = ids
        exact |= ids
    started = time.perf_counter()
    written = aggregate.seed(counts, visitors)
    return {
        "items": written,
        "write_s": round(time.perf_counter() - started, 1),
        "exact_visitors": len(exact),
    }


def bench_dashboards(
    cloud: Any, shop_id: str, seller: dict[str, str], history: dict[str, Any]
) -> dict[str, Any]:
    from chalicelib.analytics.domain import ProductSort
    from chalicelib.analytics.schemas import ProductsQuery, RangeQuery
    from chalicelib.analytics.service import dashboards

    today = datetime.now(UTC).date()
    start = (today - timedelta(days=DASHBOARD_DAYS - 1)).isoformat()
    query = f"from={start}&to={today.isoformat()}"
    with httpx.Client(base_url=cloud.rest, timeout=120) as http:
        headers = _token(http, seller["email"], seller["password"])
        out: dict[str, Any] = {}
        for name, path in (
            ("summary", f"/analytics/shops/{shop_id}/summary?{query}&granularity=week"),
            ("products", f"/analytics/shops/{shop_id}/products?{query}&sort=revenue&limit=20"),
            (
                "export_products",
                f"/analytics/shops/{shop_id}/export?table=products&{query}&limit=1000",
            ),
        ):
            http.get(path, headers=headers).raise_for_status()  # warm
            samples = []
            for _ in range(5):
                began = time.perf_counter()
                http.get(path, headers=headers).raise_for_status()
                samples.append((time.perf_counter() - began) * 1000)
            out[name] = {"latency": _summary(samples)}
        body = http.get(f"/analytics/shops/{shop_id}/summary?{query}", headers=headers).json()
    range_query = RangeQuery.model_validate({"from": start, "to": today.isoformat()})
    with counting_calls() as calls:
        dashboards.summary(shop_id, range_query)
    out["summary"]["dynamodb_calls"] = dict(calls)
    products_query = ProductsQuery.model_validate(
        {"from": start, "to": today.isoformat(), "limit": 20}
    )
    with counting_calls() as calls:
        dashboards.top_products(shop_id, products_query, ProductSort.REVENUE, 20)
    out["products"]["dynamodb_calls"] = dict(calls)
    visitors = body["unique_visitors"]
    exact = history["exact_visitors"]
    out["unique_visitors_90_days"] = {
        **visitors,
        "exact": exact,
        "error": round((visitors["estimate"] - exact) / exact, 4),
    }
    return out


def bench_analytics(cloud: Any) -> dict[str, Any]:
    point_at(cloud)
    shop_id, products, _seller, _admin = _shop(50)
    results: dict[str, Any] = {"ingest": bench_ingest(cloud, shop_id, products)}
    results["writes_per_consumer_batch"] = bench_writes(products, shop_id)
    big_shop, many, big_seller, _ = _shop(DASHBOARD_PRODUCTS)
    history = seed_history(big_shop, many)
    results["dashboard_history"] = {
        "products": DASHBOARD_PRODUCTS,
        "days": DASHBOARD_DAYS,
        "active_share": ACTIVE_SHARE,
        **history,
    }
    results["dashboards_90_days_1000_products"] = bench_dashboards(
        cloud, big_shop, big_seller, history
    )
    return results


if __name__ == "__main__":
    import json
    from pathlib import Path

    from localcloud import process

    class _Cloud:
        def __init__(self) -> None:
            self.running = process.start(CLOUD_ENV, timeout=180)
            self.aws = self.running.endpoints["aws"]
            self.rest = self.running.endpoints["rest"]

        def info(self) -> dict[str, Any]:
            import urllib.request

            with urllib.request.urlopen(f"{self.aws}/_localcloud/info", timeout=10) as response:  # noqa: S310
                loaded: dict[str, Any] = json.loads(response.read())
                return loaded

    cloud = _Cloud()
    try:
        measured = bench_analytics(cloud)
    finally:
        cloud.running.stop()
    path = Path(__file__).resolve().parent / "results.json"
    stored = json.loads(path.read_text()) if path.is_file() else {}
    stored["analytics"] = measured
    path.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps(measured, indent=2))
