"""The issue's evaluation protocol over any ranker: test users, exclusions, metrics,
popularity beside, and per-user scoring latency."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.training import Interaction
from ml.recs.data import Line, test_cases
from ml.recs.metrics import at_k, mean

K = 10
Ranker = Callable[[str], list[str]]


def interactions(lines: Sequence[Line]) -> list[Interaction]:
    """Purchases as the model's interactions (weight 1: the protocol has purchases only)."""
    return [Interaction(line.customer, line.item, line.at, 1.0) for line in lines]


def histories(train: Sequence[Line]) -> dict[str, set[str]]:
    bought: dict[str, set[str]] = defaultdict(set)
    for line in train:
        bought[line.customer].add(line.item)
    return bought


def popularity_ranker(train: Sequence[Line]) -> Ranker:
    """Distinct training customers per item, the user's own purchases left out."""
    bought = histories(train)
    customers = Counter(item for _, item in {(line.customer, line.item) for line in train})
    ranked = sorted(customers, key=lambda item: (-customers[item], item))

    def rank(user: str) -> list[str]:
        mine = bought.get(user, set())
        return [item for item in ranked if item not in mine][:K]

    return rank


def model_ranker(model: RecsModel, train: Sequence[Line]) -> Ranker:
    """The model's top items for each user's training purchases (all excluded)."""
    bought = histories(train)

    def rank(user: str) -> list[str]:
        known = sorted(model.index[item] for item in bought.get(user, ()) if item in model.index)
        ranked = model.rank([(i, 1.0) for i in known], known, K)
        return [model.keys[int(i)] for i in ranked.items]

    return rank


def evaluate(
    rankers: dict[str, Ranker], train: Sequence[Line], later: Sequence[Line]
) -> dict[str, Any]:
    """HR@10, Recall@10 and NDCG@10 of each ranker on the protocol's test users."""
    cases = test_cases(list(train), list(later))
    out: dict[str, Any] = {"users": len(cases), "targets": sum(len(c.targets) for c in cases)}
    for name, rank in rankers.items():
        out[name] = mean([at_k(rank(case.user), case.targets, K) for case in cases])
    return out


def latency(
    model: RecsModel, *, users: int = 300, history: int = 20, seed: int = 7
) -> dict[str, float]:
    """Per-user scoring latency (ms, median and p95) of ``model`` on random histories."""
    rng = np.random.default_rng(seed)
    times = []
    for n in range(users + 20):
        items = rng.choice(model.size, size=min(history, model.size), replace=False).tolist()
        started = time.perf_counter()
        model.rank([(int(i), 1.0) for i in items], [int(i) for i in items], K)
        if n >= 20:  # warm-up
            times.append((time.perf_counter() - started) * 1000)
    return {
        "items": model.size,
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p95_ms": round(float(np.percentile(times, 95)), 3),
    }


def synthetic(directory: Any, *, items: int = 100_000, neighbours: int = 100, seed: int = 3) -> Any:
    """A random model of ``items`` items with the shipped model's table shapes (latency)."""
    from chalicelib.recommendations.training import Params, Trained, write_model

    rng = np.random.default_rng(seed)
    trained = Trained(
        [f"s{n}" for n in range(items)],
        rng.integers(0, items, size=(items, neighbours), dtype=np.int64),
        rng.random((items, neighbours), dtype=np.float32) * 0.05,
        rng.random(items, dtype=np.float32) * 0.3,
        Params(neighbours=neighbours),
    )
    write_model(trained, directory, name="recs-synthetic", version="bench", extra={})
    return directory


def rounded(report: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ({m: round(v, 4) for m, v in val.items()} if isinstance(val, dict) else val)
        for k, val in report.items()
    }


def table(report: dict[str, Any], names: Sequence[str]) -> str:
    lines = [f"{'':<14}{'HR@10':>9}{'Recall@10':>11}{'NDCG@10':>9}"]
    for name in names:
        m = report[name]
        lines.append(f"{name:<14}{m['hr@10']:>9.4f}{m['recall@10']:>11.4f}{m['ndcg@10']:>9.4f}")
    lines.append(f"({report['users']} test users, {report['targets']} targets)")
    return "\n".join(lines)
