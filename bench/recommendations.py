"""Recommendations benchmark: model scoring latency at the shipped catalogue size (2,585
UCI items) and on a synthetic 100,000-item catalogue, training time on the dev data,
model size; request latency of ``GET /me/recommendations`` and
``GET /products/{id}/related`` on the running local cloud (its demo model, 240 products).

Method:
- Scoring: the shipped model (``models/recs/v2``) in one onnxruntime session (one
  thread, as the API runs it), 300 users of 20 random history items each, top 10, after
  20 warm-up runs; the synthetic model has the shipped table shapes (100 neighbours an
  item) over 100,000 items.
- Training: ``fit`` on every cleaned line of ``../shared/data/interactions`` (numpy, one
  thread) plus writing the ONNX graph.
- Requests: the make dev demo data seeded into the bench's local cloud, then real HTTP
  once its demo training run has published a model (the demo shopper's list, and a
  product's related list), 100 requests each after 10 warm-up ones.

``python -m bench.recommendations`` runs it alone (on a local cloud of its own).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import catalog

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "recs" / "v2"
SHOPPER = ("shopper@bazaar.example.com", "Demo-Buyer-Pass-2026")


def bench_model() -> dict[str, Any]:
    from chalicelib.recommendations.ranking import RecsModel
    from chalicelib.recommendations.training import Params, fit, write_model
    from ml.recs import protocol
    from ml.recs.data import read_lines
    from ml.recs.train import DEFAULT_DATA

    started = time.perf_counter()
    model = RecsModel(MODEL)
    session_ms = (time.perf_counter() - started) * 1000
    out: dict[str, Any] = {
        "session_load_ms": round(session_ms, 1),
        "model_bytes": sum(int(f["bytes"]) for f in model.manifest["files"].values()),
        "scoring_dev": protocol.latency(model),
    }
    with tempfile.TemporaryDirectory() as tmp:
        big = RecsModel(protocol.synthetic(Path(tmp)))
        out["scoring_100k"] = protocol.latency(big)
        out["model_bytes_100k"] = (Path(tmp) / "model.onnx").stat().st_size
    lines = read_lines(DEFAULT_DATA)
    started = time.perf_counter()
    trained = fit(protocol.interactions(lines), Params())
    with tempfile.TemporaryDirectory() as tmp:
        write_model(trained, Path(tmp), name="recs", version="bench", extra={})
    out["training_s"] = round(time.perf_counter() - started, 2)
    out["training_rows"] = len(lines)
    return out


def bench_requests(cloud: Any, rounds: int = 100) -> dict[str, Any]:
    catalog.point_at(cloud)
    from localcloud.seed import seed_demo_data

    # The demo data as make dev seeds it (accounts, 240 products, the lake history and
    # a training run), written through the services into the cloud's tables.
    seeded = seed_demo_data()
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        login = http.post("/auth/login", json={"email": SHOPPER[0], "password": SHOPPER[1]})
        token = login.json()["access_token"]
    with httpx.Client(
        base_url=cloud.rest, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        started = time.perf_counter()
        first: dict[str, Any] = {}
        while time.perf_counter() - started < 180:  # the seed's training run, bounded
            first = http.get("/me/recommendations").json()
            if first.get("strategy") == "personal":
                break
            time.sleep(1)
        waited = time.perf_counter() - started
        product_id = first["items"][0]["product"]["product_id"]
        mine = ["/me/recommendations?limit=10"] * rounds
        related = [f"/products/{product_id}/related?limit=10"] * rounds
        catalog._timed(http, mine[:10])
        mine_ms = catalog._timed(http, mine)
        catalog._timed(http, related[:10])
        related_ms = catalog._timed(http, related)
    return {
        "seed": seeded.get("recommendations"),
        "demo_model_published_after_s": round(waited, 2),
        "me_recommendations_10": catalog._summary(mine_ms),
        "related_10": catalog._summary(related_ms),
    }


def bench_recommendations(cloud: Any) -> dict[str, Any]:
    return {"model": bench_model(), "requests": bench_requests(cloud)}


if __name__ == "__main__":
    from bench.__main__ import Cloud

    running = Cloud()
    try:
        print(json.dumps(bench_recommendations(running), indent=2))
    finally:
        running.stop()
