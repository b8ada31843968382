"""Forecasting benchmark: request latency of the forecast routes, the model's scoring time
(numpy as served, and onnxruntime on the same inputs), training time, model size.

Method:
- Requests: a seller with a shop of 40 products and 300 days of sales in the analytics
  counters of the running local cloud (written through the services in this process,
  pointed at the cloud's tables); then real HTTP requests, 30 each after 5 warm-up ones:
  the 45-day daily forecast, the monthly year-ahead one, the SVG plot, the demand
  analysis and the stock-out risks of 40 products.
- Scoring: a 45-day forecast from a 300-trading-day history, 200 runs each way.
- Training: the refit of the shipped configuration on the dev data (what the scheduled
  workflow runs), and the full ``make train-forecast`` time recorded in the manifest.

``python -m bench.forecast`` runs it alone (on a local cloud of its own).
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench import catalog

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "forecast" / "v2"
PASSWORD = "Bench-Store-Pass-2026"  # noqa: S105  a bench account on a local cloud


def _seed(cloud: Any) -> tuple[str, str]:
    catalog.point_at(cloud)
    from chalicelib.analytics.domain import CounterKey, Grain
    from chalicelib.analytics.service import aggregate
    from chalicelib.core.caller import Role
    from chalicelib.dev import demo
    from chalicelib.identity.service import admin

    stamp = int(time.time())
    email = f"bench.forecast.{stamp}@bazaar.example.com"
    account = admin.provision_account(email, PASSWORD, role=Role.SELLER)
    demo.ensure_categories()
    shop = demo.ensure_shop(account.account_id, f"Bench Forecast {stamp}", "home")
    products = demo.generate([shop], 40, seed=7)
    demo.load(products)
    rng = np.random.default_rng(3)
    today = datetime.now(UTC).date()
    counts: dict[Any, dict[str, int]] = {}
    for back in range(300, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() == 5:
            continue
        total = 0
        for product in products[:25]:
            units = int(rng.poisson(2))
            total += units
            counts[
                CounterKey(shop.shop_id, Grain.PRODUCT_DAY, day.isoformat(), product.product_id)
            ] = {
                "units": units,
                "revenue": units * product.regular_price,
            }
        counts[CounterKey(shop.shop_id, Grain.DAY, day.isoformat())] = {
            "units": total,
            "revenue": total * 2500,
            "orders": max(1, total // 3),
        }
    aggregate.seed(counts, {})
    return email, shop.shop_id


def bench_requests(cloud: Any, rounds: int = 30) -> dict[str, Any]:
    email, shop_id = _seed(cloud)
    with httpx.Client(base_url=cloud.rest, timeout=60) as http:
        token = http.post("/auth/login", json={"email": email, "password": PASSWORD}).json()[
            "access_token"
        ]
        http.headers["Authorization"] = f"Bearer {token}"
        base = f"/forecasting/shops/{shop_id}"
        routes = {
            "daily_45": f"{base}/sales",
            "monthly_12": f"{base}/sales?horizon=long",
            "plot_svg": f"{base}/sales/plot",
            "demand": f"{base}/demand",
            "stockouts_40_products": f"{base}/stockouts",
        }
        out = {}
        for name, url in routes.items():
            catalog._timed(http, [url] * 5)
            out[name] = catalog._summary(catalog._timed(http, [url] * rounds))
    return out


def bench_scoring(runs: int = 200) -> dict[str, Any]:
    import onnxruntime as ort

    from chalicelib.forecasting.model import ForecastModel, trading_days

    model = ForecastModel.load(MODEL)
    start = datetime(2025, 1, 1).date()
    days = trading_days(start, start + timedelta(days=360))[:300]
    values = np.exp(np.random.default_rng(1).normal(10, 0.3, len(days)))
    future = trading_days(days[-1] + timedelta(days=1), days[-1] + timedelta(days=45))
    session = ort.InferenceSession(str(MODEL / "model.onnx"), providers=["CPUExecutionProvider"])
    numpy_ms, onnx_ms = [], []
    for _ in range(runs):
        began = time.perf_counter()
        model.forecast(days, values, future)
        numpy_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        x, c, b = model.predict_parts(days, values, future)
        session.run(None, {"features": x, "correction": c, "bucket": b})
        onnx_ms.append((time.perf_counter() - began) * 1000)
    return {
        "numpy_served": catalog._summary(numpy_ms),
        "onnxruntime": catalog._summary(onnx_ms),
    }


def bench_training() -> dict[str, Any]:
    from chalicelib.forecasting import training
    from chalicelib.forecasting.model import ForecastModel
    from ml.forecast.data import dev_dir, read_totals

    shipped = ForecastModel.load(MODEL)
    series = read_totals(dev_dir())
    samples = []
    for _ in range(20):
        began = time.perf_counter()
        training.fit(series.days, series.values, shipped.config, shipped.quantiles)
        samples.append((time.perf_counter() - began) * 1000)
    manifest = json.loads((MODEL / "manifest.json").read_text())
    return {
        "refit_dev_data_ms": round(statistics.median(samples), 2),
        "make_train_forecast_s": manifest.get("training_seconds"),
        "trading_days": len(series.days),
    }


def model_size() -> dict[str, int]:
    files = {p.name: p.stat().st_size for p in sorted(MODEL.iterdir()) if p.is_file()}
    return {**files, "total_bytes": sum(files.values())}


def bench_forecast(cloud: Any) -> dict[str, Any]:
    return {
        "requests": bench_requests(cloud),
        "scoring_45_days": bench_scoring(),
        "training": bench_training(),
        "model_size": model_size(),
    }


if __name__ == "__main__":
    from bench.__main__ import Cloud

    running = Cloud()
    try:
        print(json.dumps(bench_forecast(running), indent=2))
    finally:
        running.stop()
