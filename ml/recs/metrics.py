"""HR@k, Recall@k and NDCG@k as the issue fixes them (binary gains, ideal DCG over
min(|targets|, k); targets absent from the training catalogue stay in the denominator)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def at_k(ranked: Sequence[str], targets: Iterable[str], k: int = 10) -> tuple[float, float, float]:
    """(hit, recall, ndcg) of one user's ranking against their targets."""
    wanted = set(targets)
    top = list(ranked[:k])
    gains = [1.0 if item in wanted else 0.0 for item in top]
    hits = sum(gains)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return (1.0 if hits else 0.0), hits / len(wanted), dcg / ideal if ideal else 0.0


def mean(rows: Sequence[tuple[float, float, float]]) -> dict[str, float]:
    """The three metrics averaged over users."""
    n = len(rows) or 1
    return {
        "hr@10": sum(r[0] for r in rows) / n,
        "recall@10": sum(r[1] for r in rows) / n,
        "ndcg@10": sum(r[2] for r in rows) / n,
    }
