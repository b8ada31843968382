"""`make eval-authenticity DATA=<dir>`: the shipped authenticity model on a labelled set.

DATA has ``images/`` and ``authenticity.csv`` (columns ``stem,label``, label ``genuine`` or
``tampered``; other columns are ignored, except that a ``method`` column, when present,
adds per method the share flagged and an AUC: a tampered method's against every genuine
image, a genuine method's as every tampered image against it). Prints ROC AUC, precision
and recall at the shipped threshold and the confusion matrix, beside a baseline that needs
no training: the image's mean error level (ELA at JPEG quality 90) as the score,
thresholded at the same share of flagged images. Reads only DATA and the shipped model
(``models/bill-authenticity/``); trains nothing.
A DATA without ``authenticity.csv`` (e.g. the genuine receipts) is scored as all genuine:
only the share flagged is meaningful there.

Only the features the model's card names (and the baseline's) are computed, as at run
time. The version is the runtime's (the ``bills_model_version`` setting) unless given.

Usage: python -m ml.bills.eval_authenticity DATA [--version vN]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from chalicelib.bills import authenticity, forensics
from ml.bills.features import IMAGE_SUFFIXES, image_of, load

ELA_MEAN = forensics.FEATURES.index("ela_mean")


def auc(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> float | None:
    """ROC AUC by the rank statistic (ties count half)."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if positives.size == 0 or negatives.size == 0:
        return None
    greater = (positives[:, None] > negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    return float((greater + 0.5 * ties) / (positives.size * negatives.size))


def at_threshold(labels: NDArray[np.int64], flagged: NDArray[np.bool_]) -> dict[str, float]:
    tp = int((flagged & (labels == 1)).sum())
    fp = int((flagged & (labels == 0)).sum())
    fn = int((~flagged & (labels == 1)).sum())
    tn = int((~flagged & (labels == 0)).sum())
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "flagged_genuine": fp / (fp + tn) if fp + tn else 0.0,
    }


def report(
    name: str, labels: NDArray[np.int64], scores: NDArray[np.float64], threshold: float
) -> str:
    flagged = scores >= threshold
    m = at_threshold(labels, flagged)
    value = auc(labels, scores)
    shown = f"{value:.3f}" if value is not None else "n/a (one class)"
    return "\n".join(
        [
            f"{name}",
            f"  ROC AUC {shown}   threshold {threshold:.4f}",
            f"  precision {m['precision']:.3f}  recall {m['recall']:.3f}  "
            f"genuine flagged {m['flagged_genuine']:.3f}",
            "  confusion matrix        predicted genuine  predicted tampered",
            f"    actual genuine        {m['tn']:>17}  {m['fp']:>18}",
            f"    actual tampered       {m['fn']:>17}  {m['tp']:>18}",
        ]
    )


def latency(
    model: authenticity.AuthenticityModel, data: Path, stems: list[str], count: int
) -> list[float]:
    """Seconds to score each of ``count`` images spread over the set, as the pipeline
    does (features from the file's bytes, then the ONNX session)."""
    if count <= 0 or not stems:
        return []
    picked = sorted({int(i) for i in np.linspace(0, len(stems) - 1, num=min(count, len(stems)))})
    seconds = []
    for index in picked:
        image = image_of(data, stems[index]).read_bytes()
        start = time.perf_counter()
        authenticity.score(model, image)
        seconds.append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--version", default=None, help="default: the runtime's version")
    parser.add_argument(
        "--latency", type=int, default=30, help="images timed end to end (features + ONNX)"
    )
    args = parser.parse_args(argv)
    if args.version is None:
        from chalicelib.core.settings import get_settings

        args.version = get_settings().bills_model_version
    model = authenticity.shipped(args.version)
    wanted = [*model.card.get("features", forensics.FEATURES), "ela_mean"]
    threshold = float(model.card["threshold"])
    data_dir = args.data
    with tempfile.TemporaryDirectory(prefix="bills-eval-") as scratch:
        if not (data_dir / "authenticity.csv").exists():
            # every image as genuine, read in place
            listing = Path(scratch) / "authenticity.csv"
            with listing.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(("stem", "label"))
                for image in sorted((data_dir / "images").iterdir()):
                    if image.suffix.lower() in IMAGE_SUFFIXES:
                        writer.writerow((image.stem, "genuine"))
            (Path(scratch) / "images").symlink_to((data_dir / "images").resolve())
            print(f"{data_dir} has no authenticity.csv: every image taken as genuine")
            data_dir = Path(scratch)
        data = load(data_dir, "features", wanted=wanted)
        seconds = latency(model, data_dir, data.stems, args.latency)
    scores = authenticity.score_features(model, data.features)
    baseline = data.features[:, ELA_MEAN].astype(np.float64)
    share = float((scores >= threshold).mean())
    baseline_threshold = (
        float(np.quantile(baseline, 1.0 - share)) if 0 < share < 1 else float(baseline.max() + 1)
    )
    print(f"DATA={args.data}: {len(data.labels)} images, {int(data.labels.sum())} tampered")
    if data.left_out:
        print(
            f"{len(data.left_out)} listed images left out "
            "(unknown label or unreadable image: see above)"
        )
    print(
        report(
            f"shipped model {args.version} ({model.card.get('model')})",
            data.labels,
            scores,
            threshold,
        )
    )
    print(
        report(
            "baseline: mean ELA as the score, same share flagged",
            data.labels,
            baseline,
            baseline_threshold,
        )
    )
    if seconds:
        print(
            f"seconds per bill (pixel features + ONNX, {len(seconds)} images, no cache): "
            f"median {np.median(seconds):.3f}  p95 {np.quantile(seconds, 0.95):.3f}"
        )
    methods: dict[str, list[int]] = defaultdict(list)
    for index, method in enumerate(data.methods):
        methods[method].append(index)
    if len(methods) > 2:
        print(
            "per method (share flagged at the shipped threshold;"
            " for genuine methods lower is better)"
        )
        for method, rows in sorted(methods.items()):
            picked = np.asarray(rows)
            label = "tampered" if data.labels[picked].any() else "genuine"
            # a tampered method against every genuine image; a genuine one: every tampered
            # image against it (which genuine kinds the model tells from edits, which not)
            other = np.flatnonzero(data.labels == (0 if label == "tampered" else 1))
            pair = np.concatenate([picked, other])
            value = auc(data.labels[pair], scores[pair])
            against = "vs all genuine" if label == "tampered" else "all tampered vs these"
            extra = f"  AUC {against} {value:.3f}" if value is not None else ""
            print(
                f"  {method:<14} {label:<9} {len(rows):>4}  "
                f"flagged {float((scores[picked] >= threshold).mean()):.3f}{extra}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
