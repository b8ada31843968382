"""Reviews benchmark: sentiment inference per review (model size, median, p95), and the
review list page and rating summary read latency with the DynamoDB calls per request.

Method:
- Sentiment: the shipped model (``models/sentiment/v5``) loaded as the consumer loads it
  (one onnxruntime session, one thread), scoring the first 300 TEST review texts of
  ``../shared/data/reviews`` one at a time, after 20 warm-up runs. Session build time too.
  The MiniLM model before it (v3) scores the same texts in the same run: the ratio of the
  medians is what the bigger encoder costs, whatever the machine's speed.
- Reads: a product with 60 reviews in the running local cloud (created through the
  services in this process, pointed at the cloud's tables; the cloud's own consumers count
  and score them), then real HTTP requests for ``GET /products/{id}/reviews?limit=20``
  and ``GET /products/{id}/reviews/summary``; the DynamoDB calls of the same use cases are
  counted in this process (``bench.catalog.counting_calls``).

``python -m bench.reviews`` runs it alone (on a local cloud of its own).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bench import catalog

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "sentiment" / "v5"
BASELINE = ROOT / "models" / "sentiment" / "v3"  # all-MiniLM-L6-v2, 23 MB
REVIEWS = 60


def _per_review(model: Any, texts: list[str]) -> list[float]:
    for text in texts[:20]:
        model.score(text)
    samples = []
    for text in texts:
        begun = time.perf_counter()
        model.score(text)
        samples.append((time.perf_counter() - begun) * 1000)
    return samples


def bench_sentiment(n: int = 300) -> dict[str, Any]:
    from chalicelib.reviews.sentiment import SentimentModel
    from ml import data
    from ml.sentiment_eval import onnx_bytes
    from ml.sentiment_train import text_key

    started = time.perf_counter()
    model = SentimentModel(MODEL)
    load_ms = (time.perf_counter() - started) * 1000
    # the TEST texts (a model trained on every row names the holdout model that never saw them)
    holdout = model.manifest.get("holdout_version")
    manifest = (
        json.loads((MODEL.parent / holdout / "manifest.json").read_text())
        if holdout
        else model.manifest
    )
    trained = set(manifest.get("trained_texts", []))
    texts = [r.text for r in data.load(data.default_directory()) if text_key(r.text) not in trained]
    texts = texts[:n]
    samples = _per_review(model, texts)
    # the MiniLM model before it (v3), on the same texts in the same run: the ratio
    baseline = SentimentModel(BASELINE)
    baseline_samples = _per_review(baseline, texts)
    return {
        "model": MODEL.name,
        "model_onnx_bytes": onnx_bytes(MODEL),
        "session_load_ms": round(load_ms, 1),
        "per_review": catalog._summary(samples),
        "baseline": BASELINE.name,
        "baseline_onnx_bytes": onnx_bytes(BASELINE),
        "baseline_per_review": catalog._summary(baseline_samples),
        "median_ratio_to_baseline": round(
            statistics.median(samples) / statistics.median(baseline_samples), 1
        ),
        "mean_words": round(statistics.mean(len(t.split()) for t in texts), 1),
    }


def _seed(cloud: Any) -> str:
    """A product with ``REVIEWS`` reviews by buyers with paid orders; its id."""
    catalog.point_at(cloud)
    from chalicelib.catalog.service import products
    from chalicelib.core.caller import Caller, Role
    from chalicelib.dev import demo
    from chalicelib.identity.service import admin
    from chalicelib.orders import repository as orders
    from chalicelib.orders.domain import OrderStatus
    from chalicelib.reviews.service import reviews
    from tests.fakes.orders import new_checkout

    demo.ensure_categories()
    stamp = uuid.uuid4().hex[:8]
    seller = admin.provision_account(
        f"bench.reviews.seller.{stamp}@bazaar.example.com",
        "Bench-Store-Pass-2026",
        role=Role.SELLER,
    )
    shop = demo.ensure_shop(seller.account_id, f"Bench Reviews {stamp}", "shoes")
    product = demo.generate([shop], 1, seed=7)[0]
    demo.load([product])
    assert products.get_product(product.product_id) is not None
    for n in range(REVIEWS):
        buyer = Caller(f"bench-buyer-{stamp}-{n}", Role.USER)
        new = new_checkout({product.product_id: 1}, user_id=buyer.account_id, shops=(shop.shop_id,))
        paid = tuple(replace(o, status=OrderStatus.PAID) for o in new.orders)
        orders.get().add_checkout(replace(new, orders=paid), redemption=None)
        reviews.write(
            buyer,
            product.product_id,
            rating=1 + n % 5,
            title=f"Review {n}",
            text="Fits well, but the sole wore out quickly and delivery took two weeks.",
        )
    return product.product_id


def _wait_counted(http: httpx.Client, product_id: str) -> float:
    started = time.monotonic()
    deadline = started + 120
    while time.monotonic() < deadline:
        summary = http.get(f"/products/{product_id}/reviews/summary").json()
        if summary["count"] == REVIEWS:
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError("the aggregates consumer did not count every review in 120 s")


def bench_reads(cloud: Any, rounds: int = 100) -> dict[str, Any]:
    from chalicelib.reviews.domain import SubjectKind
    from chalicelib.reviews.service import reviews

    product_id = _seed(cloud)
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        counted_s = _wait_counted(http, product_id)
        pages = [f"/products/{product_id}/reviews?limit=20"] * rounds
        summaries = [f"/products/{product_id}/reviews/summary"] * rounds
        catalog._timed(http, pages[:10])
        page_ms = catalog._timed(http, pages)
        summary_ms = catalog._timed(http, summaries)
    return {
        "reviews": REVIEWS,
        "all_counted_after_s": round(counted_s, 2),
        "list_page_20": {
            **catalog._summary(page_ms),
            "dynamodb_calls": catalog._calls_of(
                lambda: reviews.product_reviews(product_id, limit=20, cursor=None)
            ),
        },
        "summary": {
            **catalog._summary(summary_ms),
            "dynamodb_calls": catalog._calls_of(
                lambda: reviews.summary(SubjectKind.PRODUCT, product_id)
            ),
        },
    }


def bench_reviews(cloud: Any) -> dict[str, Any]:
    return {"sentiment": bench_sentiment(), "reads": bench_reads(cloud)}


if __name__ == "__main__":
    from bench.__main__ import Cloud

    running = Cloud()
    try:
        print(json.dumps(bench_reviews(running), indent=2))
    finally:
        running.stop()
