"""Measure the problem-category method on the hand-labelled sample: ``make eval-categories``.

``ml/problem_categories_sample.csv`` holds 63 real sentences from negative reviews of
``../shared/data/reviews``, each labelled by hand with one category (or ``none``). The
method (``chalicelib.reviews.categories``: nearest prototype of seed descriptions, on the
shipped sentiment model's sentence embeddings) is compared with a keyword baseline.
The seeds and cue words were written before the sample; the threshold, the cue boost
and dropping a generic prototype were chosen on its even rows (dev); odd rows (test) report.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.reviews.categories import CUES, NONE, SEEDS, Prototypes
from chalicelib.reviews.sentiment import SentimentModel

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "problem_categories_sample.csv"
KEYWORDS = CUES  # the keyword baseline: the same cue words, alone


def keyword(sentence: str) -> str:
    for name, pattern in KEYWORDS.items():
        if re.search(pattern, sentence, re.IGNORECASE):
            return name
    return NONE


def scores(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    per: dict[str, dict[str, float]] = {}
    for name in [*SEEDS, NONE]:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == name)
        support = gold.count(name)
        made = predicted.count(name)
        per[name] = {
            "precision": tp / made if made else 0.0,
            "recall": tp / support if support else 0.0,
            "support": support,
        }
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {"accuracy": correct / len(gold), "per_category": per}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "sentiment" / "v5"))
    args = parser.parse_args()
    model = SentimentModel(Path(args.model))
    prototypes = Prototypes(model.embed)
    with SAMPLE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    method = [prototypes.nearest(model.embed(r["sentence"]), r["sentence"])[0] for r in rows]
    baseline = [keyword(row["sentence"]) for row in rows]
    result: dict[str, Any] = {"sentences": len(rows)}
    # Even rows chose MIN_SIMILARITY, CUE_BOOST and no generic prototype; odd rows were
    # not looked at while choosing: they are the honest number.
    for part, chosen in (("dev", range(0, len(rows), 2)), ("test", range(1, len(rows), 2))):
        gold = [rows[i]["category"] for i in chosen]
        result[part] = {
            "sentences": len(gold),
            "prototypes": scores(gold, [method[i] for i in chosen]),
            "keywords": scores(gold, [baseline[i] for i in chosen]),
        }
        print(
            f"{part}: {len(gold)} hand-labelled sentences: nearest prototype accuracy "
            f"{result[part]['prototypes']['accuracy']:.3f}, keyword list "
            f"{result[part]['keywords']['accuracy']:.3f}"
        )
    gold = [row["category"] for row in rows]
    result["all"] = {"prototypes": scores(gold, method), "keywords": scores(gold, baseline)}
    header = f"{'category':12}{'n':>4}{'proto P':>9}{'proto R':>9}{'kw P':>7}{'kw R':>7}"
    print(f"all {len(rows):<4}{header}")
    for name in [*SEEDS, NONE]:
        p = result["all"]["prototypes"]["per_category"][name]
        k = result["all"]["keywords"]["per_category"][name]
        print(
            f"{'':8}{name:12}{p['support']:>4}{p['precision']:>9.2f}{p['recall']:>9.2f}"
            f"{k['precision']:>7.2f}{k['recall']:>7.2f}"
        )
    (Path(args.model) / "categories_evaluation.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
