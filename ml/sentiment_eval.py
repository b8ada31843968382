"""Evaluate the shipped sentiment model: ``make eval-sentiment DATA=<dir>``.

Reads only ``DATA`` (a directory laid out like ``../shared/data/reviews``: the same four
files) and the shipped model directory; never trains. Rows whose text the model was
trained or tuned on (their keys are in the manifest) are left out: on a private portion
every row is scored. The shipped model (v5) trained on every shared row, so it names its
``holdout_version`` (v4: the same recipe without TEST), which scores the TEST part instead
on the shared data (as v2 does for v3); on a private portion v5 scores every row itself.
Prints accuracy and macro-F1 (3 classes), per-class precision/recall and per-file macro-F1
for the model and two baselines: VADER and the shipped TF-IDF + logistic regression.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from chalicelib.reviews.sentiment import SentimentModel
from ml import baselines, data, metrics
from ml.sentiment_train import text_key

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "sentiment" / "v5"


def onnx_bytes(model_dir: Path) -> int:
    """The model's size: its graph and any weight files beside it (``model.onnx.part<k>``)."""
    return sum(path.stat().st_size for path in model_dir.glob("model.onnx*"))


def evaluate(data_dir: Path, model_dir: Path) -> dict[str, Any]:
    """The evaluation of the model and the baselines on ``data_dir``'s untrained rows.

    A model trained on every shared row (v3) names its ``holdout_version``, the same
    recipe without the TEST part: where DATA holds only rows the model trained on (the
    shared data), that model scores the rows it never saw, and the result says so."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    trained = set(manifest.get("trained_texts", []))
    rows = data.load(data_dir, partial=True)
    held_out = [row for row in rows if text_key(row.text) not in trained]
    holdout = manifest.get("holdout_version")
    if not held_out and holdout:
        result = evaluate(data_dir, model_dir.parent / holdout)
        result["note"] = (
            f"DATA holds only rows {model_dir.name} was trained on: scored with {holdout}, "
            f"the same recipe trained without the rows below ({model_dir.name} = {holdout}'s "
            "recipe on every shared row)"
        )
        return result
    if not held_out:
        raise SystemExit(f"{data_dir}: no labelled review the model was not trained on")
    model = SentimentModel(model_dir)
    texts = [row.text for row in held_out]
    gold = [row.label for row in held_out]
    sources = [row.source for row in held_out]
    predicted: list[str] = []
    latencies: list[float] = []
    for text in texts:
        started = time.perf_counter()
        predicted.append(model.score(text).label)
        latencies.append((time.perf_counter() - started) * 1000)
    cut = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    return {
        "data": str(data_dir),
        "model": f"{model_dir.name} ({onnx_bytes(model_dir) / 1e6:.1f} MB)",
        "rows": {
            "all": len(rows),
            "evaluated": len(held_out),
            "skipped_trained": len(rows) - len(held_out),
            "missing_files": data.missing_files(data_dir),
        },
        "results": {
            "model": metrics.report(gold, predicted, sources),
            "vader": metrics.report(gold, baselines.vader(texts), sources),
            "tfidf_logreg": metrics.report(gold, baselines.tfidf(model_dir, texts), sources),
        },
        "latency_ms": {"median": statistics.median(latencies), "p95": cut},
    }


def table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table."""
    names = {"model": "model", "vader": "VADER", "tfidf_logreg": "TF-IDF+LR"}
    res = result["results"]
    lines = [
        *([result["note"]] if "note" in result else []),
        f"data: {result['data']}   model: {result['model']}",
        f"rows: {result['rows']['evaluated']} evaluated of {result['rows']['all']} "
        f"({result['rows']['skipped_trained']} skipped: trained or tuned on)",
        *(f"not in DATA (left out): {name}" for name in result["rows"]["missing_files"]),
        "",
        f"{'':28}" + "".join(f"{names[k]:>12}" for k in names),
        f"{'accuracy':28}" + "".join(f"{res[k]['accuracy']:>12.3f}" for k in names),
        f"{'macro-F1 (3 classes)':28}" + "".join(f"{res[k]['macro_f1']:>12.3f}" for k in names),
    ]
    for label in data.LABELS:
        support = res["model"]["per_class"][label]["support"]
        for measure in ("precision", "recall"):
            name = f"{label} {measure} (n={support})"
            lines.append(
                f"{name:28}"
                + "".join(f"{res[k]['per_class'][label][measure]:>12.3f}" for k in names)
            )
    for source, numbers in res["model"]["per_file"].items():
        name = f"F1 {source[:20]} ({numbers['rows']})"
        lines.append(
            f"{name:28}"
            + "".join(f"{res[k]['per_file'][source]['macro_f1']:>12.3f}" for k in names)
        )
    latency = result["latency_ms"]
    lines.append("")
    lines.append(
        f"model latency per review (1 thread): median {latency['median']:.1f} ms, "
        f"p95 {latency['p95']:.1f} ms"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(data.default_directory()))
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--json", help="also write the evaluation here")
    args = parser.parse_args()
    result = evaluate(Path(args.data), Path(args.model))
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
