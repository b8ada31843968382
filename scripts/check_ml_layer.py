"""Score the shipped models with the ml layer's packages, in a clean interpreter.

``python -m scripts.check_ml_layer out/ml-layer/python`` (``make check-ml-layer``): the
layer's onnxruntime, numpy and tokenizers (the Lambda builds, ``layers/ml/requirements.txt``)
are the only third-party packages on the path. It prints how far the manifest ``checks``
(the probabilities training recorded) move, and scores the held-out rows of
``../shared/data/reviews``: accuracy and macro-F1 must stay within 0.02 of the manifest's
evaluation. (onnxruntime 1.16's int8 kernels round differently from the 1.32 build the
model was evaluated with: single probabilities move by up to ~0.2 on borderline texts;
the held-out quality is what must not move.) A model trained on every shared row (v3) has
no held-out rows: only its checks are shown; its holdout model (v2, the same graph) is
scored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, sys
from pathlib import Path
import onnxruntime, numpy
from chalicelib.reviews.sentiment import SentimentModel
from ml import data, metrics
from ml.sentiment_train import text_key
model = SentimentModel(Path(sys.argv[1]))
worst = max(
    abs(model.score(check["text"]).probabilities[label] - p)
    for check in model.manifest["checks"]
    for label, p in check["probabilities"].items()
)
trained = set(model.manifest["trained_texts"])
rows = [r for r in data.load(data.default_directory()) if text_key(r.text) not in trained]
report = metrics.report(
    [r.label for r in rows], [model.score(r.text).label for r in rows], [r.source for r in rows]
) if rows else None  # trained on every row (v3)
print(json.dumps({"onnxruntime": onnxruntime.__version__, "numpy": numpy.__version__,
                  "max_probability_move": worst, "held_out": len(rows),
                  "accuracy": round(report["accuracy"], 4) if report else None,
                  "macro_f1": round(report["macro_f1"], 4) if report else None}))
"""


def main() -> None:
    layer = Path(sys.argv[1]).resolve()
    failed = False
    # the sentiment models (the bill model has its own layer, layers/ml-bills)
    for manifest in sorted((ROOT / "models").glob("sentiment/*/manifest.json")):
        out = subprocess.run(
            [sys.executable, "-S", "-c", PROBE, str(manifest.parent)],
            env={"PYTHONPATH": f"{layer}:{ROOT}"},
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{manifest.parent}: failed\n{out.stderr}")
            failed = True
            continue
        result = json.loads(out.stdout)
        evaluation = json.loads(manifest.read_text())["evaluation"]
        if "model" not in evaluation:  # trained on every row (v3): its holdout model is checked
            print(f"{manifest.parent.relative_to(ROOT)}: {result} (no held-out rows) ok")
            continue
        shipped = evaluation["model"]
        ok = (
            abs(result["accuracy"] - shipped["accuracy"]) <= 0.02
            and abs(result["macro_f1"] - shipped["macro_f1"]) <= 0.02
        )
        result["evaluated_with_dev_build"] = {
            "accuracy": round(shipped["accuracy"], 4),
            "macro_f1": round(shipped["macro_f1"], 4),
        }
        failed |= not ok
        print(f"{manifest.parent.relative_to(ROOT)}: {result} {'ok' if ok else 'DIFFERENT'}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
