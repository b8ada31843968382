"""Classification metrics in plain numpy (the evaluation command needs no scikit-learn)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml.data import LABELS


def per_class(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label."""
    out: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        predicted_n = sum(1 for p in predicted if p == label)
        support = sum(1 for g in gold if g == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return out


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the labels present in ``gold`` (3 on the whole set; 2 on a 0/1 file)."""
    classes = per_class(gold, predicted)
    present = [label for label in LABELS if classes[label]["support"]]
    return sum(classes[label]["f1"] for label in present) / len(present) if present else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if not gold:
        return 0.0
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)


def report(gold: Sequence[str], predicted: Sequence[str], sources: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class numbers and per-file macro-F1 of one predictor."""
    by_file: dict[str, dict[str, float]] = {}
    for source in sorted(set(sources)):
        idx = [i for i, s in enumerate(sources) if s == source]
        g = [gold[i] for i in idx]
        p = [predicted[i] for i in idx]
        by_file[source] = {"rows": len(idx), "macro_f1": macro_f1(g, p), "accuracy": accuracy(g, p)}
    return {
        "rows": len(gold),
        "accuracy": accuracy(gold, predicted),
        "macro_f1": macro_f1(gold, predicted),
        "per_class": per_class(gold, predicted),
        "per_file": by_file,
    }
