"""Score the shipped models with the ml layer's packages, in a clean interpreter.

``python -m scripts.check_ml_layer out/ml-layer/python`` (``make check-ml-layer``): the
layer's onnxruntime, numpy and tokenizers (the Lambda builds, ``layers/ml/requirements.txt``)
are the only third-party packages on the path; each model's manifest ``checks`` (texts and
the probabilities training recorded) must come out the same within 1e-5.
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
model = SentimentModel(Path(sys.argv[1]))
worst = max(
    abs(model.score(check["text"]).probabilities[label] - p)
    for check in model.manifest["checks"]
    for label, p in check["probabilities"].items()
)
print(json.dumps({"onnxruntime": onnxruntime.__version__, "numpy": numpy.__version__,
                  "checks": len(model.manifest["checks"]), "max_difference": worst}))
"""


def main() -> None:
    layer = Path(sys.argv[1]).resolve()
    failed = False
    for manifest in sorted((ROOT / "models").glob("*/*/manifest.json")):
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
        ok = result["max_difference"] <= 1e-5
        failed |= not ok
        print(f"{manifest.parent.relative_to(ROOT)}: {result} {'ok' if ok else 'DIFFERENT'}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
