"""The scheduled training workflow's steps (infra/statemachines/recs_training.asl.json):
extract → train → evaluate → publish (only if not worse than the published model).

Each step reads what the previous one left under the run's prefix of the models bucket
(``runs/recs/<run id>/``), so any step can run in a fresh container:

- extract: engagement from the analytics lake (views, wishlist adds, cart adds,
  purchases) and paid orders from the orders, over ``recs_history_days``, as weighted
  interactions, and the titles of those products the catalog still has (the model's
  content similarity) (``interactions.json.gz``).
- train: the candidate fitted on everything before the held-out slice (the last
  ``recs_holdout_days``) and the final model fitted on everything (two model directories).
- evaluate: HR@10 / NDCG@10 on the slice (users with a history before it; targets:
  products they engaged with in it for the first time) of the candidate and of the
  published model's recipe (its parameters from its manifest) fitted on the same rows
  (the published model itself saw the slice, which would favour it), popularity beside;
  the decision.
Scoring here is numpy's (``ranking.NumpyModel``, equal to the ONNX graph's: tested), so
the task function needs numpy and onnx only (its layer), not onnxruntime.

- publish: the final model as a new version with its evaluation report, every user's
  profile, and the version named current (served without restart).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.analytics.service import facts as lake
from chalicelib.catalog import service as catalog
from chalicelib.core import clock, model_store
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.orders.service import orders
from chalicelib.recommendations import repository
from chalicelib.recommendations.domain import Engagement, Profile
from chalicelib.recommendations.service.serving import engagement_weight

KINDS = {
    "product_view": Engagement.VIEW,
    "wishlist_add": Engagement.WISHLIST,
    "add_to_cart": Engagement.CART,
    "purchase": Engagement.PURCHASE,
}
BOUGHT_STATUSES = {"PAID", "SHIPPED", "DELIVERED", "PARTIALLY_REFUNDED"}
ORDER_PAGES = 1000
PROFILE_ITEMS = 200  # a profile keeps a user's strongest engagements
TARGET_KINDS = {Engagement.WISHLIST, Engagement.CART, Engagement.PURCHASE}
K = 10


def new_run_id() -> str:
    """A sortable, unique run id (it becomes the published version)."""
    return f"r{clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Start one training run; its id and execution ARN."""
    run_id = new_run_id()
    arn = repository.start_training(run_id, dict(params or {}))
    logger.info("Recommendations training started", extra={"run_id": run_id})
    return {"run_id": run_id, "execution_arn": arn}


def _run_prefix(run_id: str) -> str:
    return f"runs/recs/{run_id}"


def extract(run_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Gather the interactions of the training window; counts (``enough``: worth training)."""
    settings = get_settings()
    now = now or clock.now()
    first = (now - timedelta(days=settings.recs_history_days)).date()
    rows: list[dict[str, Any]] = []
    signed_in: set[str] = set()
    for fact in lake.read_lake(first, now.date()):
        kind = KINDS.get(str(fact.kind))
        user = fact.user_id or fact.visitor
        if kind is None or not user or not fact.product_id:
            continue
        if fact.user_id:
            signed_in.add(fact.user_id)
        rows.append(
            {"user": user, "item": fact.product_id, "at": clock.iso(fact.at), "kind": str(kind)}
        )
    cursor: str | None = None
    since = now - timedelta(days=settings.recs_history_days)
    for _ in range(ORDER_PAGES):
        page = orders.all_orders(status=None, since=since, until=None, limit=100, cursor=cursor)
        for order in page.items:
            if str(order.status) not in BOUGHT_STATUSES:
                continue
            signed_in.add(order.user_id)
            for line in order.lines:
                rows.append(
                    {
                        "user": order.user_id,
                        "item": line.product_id,
                        "at": clock.iso(order.created_at),
                        "kind": str(Engagement.PURCHASE),
                    }
                )
        cursor = page.next_cursor
        if cursor is None:
            break
    rows.sort(key=lambda r: (r["at"], r["user"], r["item"]))
    users = {r["user"] for r in rows}
    items = {r["item"] for r in rows}
    texts = {pid: card.title for pid, card in sorted(catalog.cards(items).items())}
    body = {
        "rows": rows,
        "signed_in": sorted(signed_in),
        "texts": texts,
        "as_of": clock.iso(now),
    }
    repository.runs().put(f"{_run_prefix(run_id)}/interactions.json.gz", _zip(body))
    enough = len(rows) >= settings.recs_min_interactions and len(items) >= 2
    logger.info("Recommendations extract", extra={"rows": len(rows), "users": len(users)})
    return {
        "run_id": run_id,
        "rows": len(rows),
        "users": len(users),
        "items": len(items),
        "enough": enough,
    }


def _zip(body: Any) -> bytes:
    return gzip.compress(json.dumps(body, separators=(",", ":")).encode(), mtime=0)


def _unzip(data: bytes) -> Any:
    return json.loads(gzip.decompress(data))


def _interactions(run_id: str) -> dict[str, Any]:
    return dict(_unzip(repository.runs().get(f"{_run_prefix(run_id)}/interactions.json.gz")))


def _weighted(rows: Iterable[Mapping[str, Any]]) -> list[Any]:
    from chalicelib.recommendations.training import Interaction

    return [
        Interaction(
            r["user"], r["item"], clock.parse(r["at"]), engagement_weight(Engagement(r["kind"]))
        )
        for r in rows
    ]


def _split(body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Rows before the held-out slice, rows in it, and where it starts."""
    rows = list(body["rows"])
    last = max(clock.parse(r["at"]) for r in rows)
    cut = clock.iso(last - timedelta(days=get_settings().recs_holdout_days))
    return [r for r in rows if r["at"] < cut], [r for r in rows if r["at"] >= cut], cut


def train(run_id: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fit the held-out candidate and the final model; store both under the run."""
    from chalicelib.recommendations.training import Params, fit, write_model

    chosen = Params(**dict(params or {}))
    body = _interactions(run_id)
    before, _, cut = _split(body)
    fitted: dict[str, Any] = {"run_id": run_id, "holdout_from": cut, "params": chosen.__dict__}
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in (("candidate", before), ("final", body["rows"])):
            if len({r["item"] for r in rows}) < 2:
                fitted[name] = None
                continue
            trained = fit(_weighted(rows), chosen, texts=body.get("texts"))
            directory = Path(tmp) / name
            write_model(trained, directory, name="recs", version=run_id, extra={})
            repository.runs().put_directory(f"{_run_prefix(run_id)}/{name}", directory)
            fitted[name] = trained.stats
    return fitted


def _slice_cases(
    body: Mapping[str, Any],
) -> tuple[dict[str, dict[str, float]], dict[str, set[str]]]:
    """Histories before the slice (product → weight) and the slice's first-time targets."""
    before, after, _ = _split(body)
    histories: dict[str, dict[str, float]] = defaultdict(dict)
    for r in before:
        weight = engagement_weight(Engagement(r["kind"]))
        histories[r["user"]][r["item"]] = max(histories[r["user"]].get(r["item"], 0.0), weight)
    targets: dict[str, set[str]] = defaultdict(set)
    for r in after:
        user = r["user"]
        first_time = user in histories and r["item"] not in histories[user]
        if Engagement(r["kind"]) in TARGET_KINDS and first_time:
            targets[user].add(r["item"])
    return dict(histories), {u: t for u, t in targets.items() if t}


def _score(
    model: Any, histories: Mapping[str, Mapping[str, float]], targets: Mapping[str, set[str]]
) -> dict[str, float]:
    from math import log2

    hits = ndcg = 0.0
    for user, wanted in targets.items():
        history = [(model.index[p], w) for p, w in histories[user].items() if p in model.index]
        exclude = [i for i, _ in history]
        ranked = model.rank(history, exclude, K) if model.size else None
        top = [model.keys[int(i)] for i in ranked.items] if ranked is not None else []
        gains = [1.0 if p in wanted else 0.0 for p in top[:K]]
        hits += 1.0 if any(gains) else 0.0
        ideal = sum(1 / log2(i + 2) for i in range(min(len(wanted), K)))
        ndcg += sum(g / log2(i + 2) for i, g in enumerate(gains)) / ideal
    n = len(targets) or 1
    return {"hr@10": round(hits / n, 4), "ndcg@10": round(ndcg / n, 4)}


def _popularity(
    histories: Mapping[str, Mapping[str, float]], targets: Mapping[str, set[str]]
) -> dict[str, float]:
    counts: dict[str, int] = defaultdict(int)
    for history in histories.values():
        for product in history:
            counts[product] += 1
    ranked = sorted(counts, key=lambda p: (-counts[p], p))
    hits = 0.0
    for user, wanted in targets.items():
        top = [p for p in ranked if p not in histories[user]][:K]
        hits += 1.0 if set(top) & wanted else 0.0
    return {"hr@10": round(hits / (len(targets) or 1), 4)}


def evaluate(run_id: str) -> dict[str, Any]:
    """The candidate against the published model on the held-out slice; ``publish`` is
    true unless the candidate's HR@10 is below the published one's by more than the
    tolerance (or there is no final model)."""
    from chalicelib.recommendations.ranking import NumpyModel

    settings = get_settings()
    body = _interactions(run_id)
    histories, targets = _slice_cases(body)
    report: dict[str, Any] = {"run_id": run_id, "users": len(targets)}
    with tempfile.TemporaryDirectory() as tmp:
        runs = repository.runs()
        if not runs.exists(f"{_run_prefix(run_id)}/final/manifest.json"):
            return {**report, "publish": False, "why": "no model was trained"}
        candidate = None
        if runs.exists(f"{_run_prefix(run_id)}/candidate/manifest.json"):
            runs.get_directory(f"{_run_prefix(run_id)}/candidate", Path(tmp) / "candidate")
            candidate = NumpyModel(Path(tmp) / "candidate")
        published_version = model_store.current_version(settings.recs_model_name)
        published = _published_recipe(published_version, body, Path(tmp) / "published")
        report["candidate"] = _score(candidate, histories, targets) if candidate else None
        report["published"] = (
            {"version": published_version, **_score(published, histories, targets)}
            if published
            else None
        )
    report["popularity"] = _popularity(histories, targets)
    new = report["candidate"]["hr@10"] if report["candidate"] else 0.0
    old = report["published"]["hr@10"] if report["published"] else None
    if old is None:
        report["publish"], report["why"] = True, "nothing published yet"
    elif new + settings.recs_publish_tolerance >= old:
        report["publish"], report["why"] = True, f"HR@10 {new} not worse than {old}"
    else:
        report["publish"], report["why"] = False, f"HR@10 {new} worse than published {old}"
    repository.runs().put(f"{_run_prefix(run_id)}/evaluation.json", json.dumps(report).encode())
    logger.info("Recommendations evaluated", extra={"report": report})
    return report


def _published_recipe(version: str | None, body: Mapping[str, Any], directory: Path) -> Any:
    """The published model's recipe (its method's parameters, from its manifest) fitted on
    the same rows before the slice as the candidate, so both are scored on data neither
    saw (the published model itself was trained on the slice). None if nothing is
    published."""
    from chalicelib.recommendations.ranking import NumpyModel
    from chalicelib.recommendations.training import Params, fit, write_model

    if not version:
        return None
    try:
        manifest_dir = model_store.load_model(get_settings().recs_model_name, version)
    except model_store.ModelUnavailableError:
        return None
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    params = Params.of_manifest(dict(manifest.get("params") or {}))
    before, _, _ = _split(body)
    if len({r["item"] for r in before}) < 2:
        return None
    trained = fit(_weighted(before), params, texts=body.get("texts"))
    write_model(trained, directory, name="recs", version=version, extra={})
    return NumpyModel(directory)


def publish(run_id: str) -> dict[str, Any]:
    """Publish the run's final model as version ``run_id`` (with its evaluation report),
    write every signed-in user's profile, and name the version current."""
    settings = get_settings()
    body = _interactions(run_id)
    report = json.loads(repository.runs().get(f"{_run_prefix(run_id)}/evaluation.json"))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "final"
        repository.runs().get_directory(f"{_run_prefix(run_id)}/final", directory)
        manifest = json.loads((directory / "manifest.json").read_text())
        (directory / "evaluation.json").write_text(json.dumps(report, indent=1) + "\n")
        manifest["files"]["evaluation.json"] = {
            "sha256": hashlib.sha256((directory / "evaluation.json").read_bytes()).hexdigest(),
            "bytes": (directory / "evaluation.json").stat().st_size,
        }
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        model_store.publish_model(directory, settings.recs_model_name, run_id)
        shutil.rmtree(directory, ignore_errors=True)
    profiles = _profiles(body)
    written = repository.get().save_profiles(profiles, version=run_id, now=clock.now())
    model_store.set_current_version(
        settings.recs_model_name, run_id, published_at=clock.iso(clock.now())
    )
    logger.info("Recommendations published", extra={"version": run_id, "profiles": written})
    return {"run_id": run_id, "version": run_id, "profiles": written}


def _profiles(body: Mapping[str, Any]) -> list[Profile]:
    signed_in = set(body["signed_in"])
    weights: dict[str, dict[str, float]] = defaultdict(dict)
    kinds: dict[str, dict[str, Engagement]] = defaultdict(dict)
    bought: dict[str, set[str]] = defaultdict(set)
    for r in body["rows"]:
        user = r["user"]
        if user not in signed_in:
            continue
        kind = Engagement(r["kind"])
        weight = engagement_weight(kind)
        if weight >= weights[user].get(r["item"], 0.0):
            weights[user][r["item"]] = weight
            kinds[user][r["item"]] = kind
        if kind is Engagement.PURCHASE:
            bought[user].add(r["item"])
    out = []
    for user in sorted(weights):
        strongest = sorted(weights[user].items(), key=lambda e: -e[1])[:PROFILE_ITEMS]
        keep = {p for p, _ in strongest}
        out.append(
            Profile(
                user,
                dict(strongest),
                {p: k for p, k in kinds[user].items() if p in keep},
                frozenset(bought[user]),
            )
        )
    return out
