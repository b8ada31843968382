"""``make cv-recs``: rolling-origin cross-validation of the recommendation recipes on the
dev data (how v2's hyper-parameters were chosen; never on a later period).

Folds: fit on everything before the first of month M, evaluate the next two months with
the issue's protocol, for M = 2011-03 … 2011-08 (six folds; the test windows overlap, so
the spread understates the noise). Prints each fold and the mean ± standard deviation of
HR@10 and NDCG@10 for the current recipe (``Params()``), the v1 recipe and popularity.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from chalicelib.recommendations.ranking import reference_scores
from chalicelib.recommendations.training import Params, Trained, fit
from ml.recs import protocol
from ml.recs.data import Line, read_descriptions, read_lines
from ml.recs.train import DEFAULT_DATA

K = 10
FOLDS = [datetime(2011, month, 1) for month in (3, 4, 5, 6, 7, 8)]
RECIPES = {
    "v2": Params(),
    "v1": Params(prior_weight=0.3, content_weight=0.0, popularity_exponent=0.0),
}


def trained_ranker(trained: Trained, train: Sequence[Line]) -> protocol.Ranker:
    """The trained tables' top items for each user's training purchases (numpy scoring,
    the graph's: tested), all of them excluded."""
    index = {key: n for n, key in enumerate(trained.keys)}
    bought = protocol.histories(train)

    def rank(user: str) -> list[str]:
        known = np.asarray(
            sorted(index[i] for i in bought.get(user, ()) if i in index), dtype=np.int64
        )
        scores = reference_scores(
            trained.neighbours,
            trained.weights,
            trained.prior,
            known,
            np.ones(len(known), dtype=np.float32),
            known,
            1.0,
        )
        return [trained.keys[int(i)] for i in np.argsort(-scores, kind="stable")[:K]]

    return rank


def months_later(cut: datetime, months: int) -> datetime:
    shifted = cut.month - 1 + months
    return datetime(cut.year + shifted // 12, shifted % 12 + 1, 1)


def cross_validate(
    lines: Sequence[Line], texts: Mapping[str, str], recipes: Mapping[str, Params]
) -> list[dict[str, Any]]:
    out = []
    for cut in tqdm(FOLDS, desc="folds", unit="fold"):
        train = [line for line in lines if line.at < cut]
        later = [line for line in lines if cut <= line.at < months_later(cut, 2)]
        rankers = {
            name: trained_ranker(fit(protocol.interactions(train), params, texts=texts), train)
            for name, params in recipes.items()
        }
        rankers["popularity"] = protocol.popularity_ranker(train)
        report = protocol.rounded(protocol.evaluate(rankers, train, later))
        out.append({"fit_before": cut.date().isoformat(), **report})
    return out


def summary(folds: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Mean and standard deviation over folds of each ranker's metrics."""
    out: dict[str, Any] = {}
    for name in names:
        out[name] = {
            metric: {
                "mean": round(float(np.mean([f[name][metric] for f in folds])), 4),
                "std": round(float(np.std([f[name][metric] for f in folds])), 4),
            }
            for metric in ("hr@10", "recall@10", "ndcg@10")
        }
    return out


def table(folds: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    head = f"{'fit before':<12}{'users':>6}" + "".join(f"{n + ' HR/NDCG':>22}" for n in names)
    rows = [head]
    for fold in folds:
        cells = "".join(f"{fold[n]['hr@10']:>13.4f}/{fold[n]['ndcg@10']:.4f}" for n in names)
        rows.append(f"{fold['fit_before']:<12}{fold['users']:>6}{cells}")
    stats = summary(folds, names)
    cells = "".join(
        f"{stats[n]['hr@10']['mean']:>13.4f}/{stats[n]['ndcg@10']['mean']:.4f}" for n in names
    )
    rows.append(f"{'mean':<12}{'':>6}{cells}")
    cells = "".join(
        f"{'±' + format(stats[n]['hr@10']['std'], '.4f'):>13}/±{stats[n]['ndcg@10']['std']:.4f}"
        for n in names
    )
    rows.append(f"{'std':<12}{'':>6}{cells}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--json", action="store_true", help="print the folds as JSON too")
    args = parser.parse_args()
    lines = read_lines(Path(args.data))
    texts = read_descriptions(Path(args.data))
    folds = cross_validate(lines, texts, RECIPES)
    names = [*RECIPES, "popularity"]
    print(table(folds, names))
    if args.json:
        print(json.dumps({"folds": folds, "summary": summary(folds, names)}, indent=1))


if __name__ == "__main__":
    main()
