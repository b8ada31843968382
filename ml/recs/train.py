"""``make train-recs``: the recommendation model on the dev data → ``models/recs/v2/``.

1. Cross-validation (``ml.recs.folds``): six rolling folds of the dev data (fit before
   month M, evaluate M … M+1, M = 2011-03 … 2011-08), this recipe beside v1's and
   popularity; the hyper-parameters (``Params``' defaults) were chosen on these folds.
2. Dev split through the exported ONNX graph: fit on 2010-12 … 2011-07, evaluate on
   2011-08 … 09 with the issue's protocol, popularity beside.
3. Final fit on all the dev data (item texts: the lines' descriptions); ``model.onnx`` +
   ``items.json`` + the report (``evaluation.json``) + manifest.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.training import Params, fit, write_model
from ml.recs import protocol
from ml.recs.data import read_descriptions, read_lines, split_at

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = next(
    (
        p
        for p in (
            ROOT.parent / "shared/data/interactions",
            ROOT.parent.parent / "shared/data/interactions",
        )
        if p.is_dir()
    ),
    ROOT.parent / "shared/data/interactions",
)
DEV_CUT = datetime(2011, 8, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "recs" / "v2")
    parser.add_argument("--version", default="v2")
    args = parser.parse_args()
    from ml.recs import folds as cv

    params = Params()
    with tqdm(total=6, desc="train-recs", unit="step") as bar:
        lines = read_lines(args.data)
        texts = read_descriptions(args.data)
        bar.set_postfix_str("cross-validation")
        fold_rows = cv.cross_validate(lines, texts, cv.RECIPES)
        names = [*cv.RECIPES, "popularity"]
        bar.update()
        bar.set_postfix_str("dev split")
        dev_train, dev_later = split_at(lines, DEV_CUT)
        dev = _split_report(dev_train, dev_later, params, texts)
        bar.update()
        bar.set_postfix_str("final fit")
        started = time.perf_counter()
        trained = fit(
            protocol.interactions(lines),
            params,
            progress=lambda s: bar.set_postfix_str(s),
            texts=texts,
        )
        seconds = round(time.perf_counter() - started, 2)
        bar.update()
        report = {
            "protocol": "issue 16: test users in both periods; targets never bought in training",
            "dev_split": {
                "train": "2010-12-01..2011-07-31",
                "evaluate": "2011-08-01..2011-09-30",
                **dev,
            },
            "cross_validation": {
                "note": (
                    "rolling origin: fit before fit_before, evaluate the next two months;"
                    " the hyper-parameters were chosen on these folds (python -m ml.recs.folds)"
                ),
                "recipes": {name: p.__dict__ for name, p in cv.RECIPES.items()},
                "summary": cv.summary(fold_rows, names),
                "folds": fold_rows,
            },
            "final_fit_seconds": seconds,
        }
        manifest = write_model(
            trained, args.out, name="recs", version=args.version, extra={"evaluation.json": report}
        )
        bar.update()
        bar.set_postfix_str("latency")
        model = RecsModel(args.out)
        report["latency_dev"] = protocol.latency(model)
        bar.update()
        with tempfile.TemporaryDirectory() as tmp:
            report["latency_100k"] = protocol.latency(RecsModel(protocol.synthetic(Path(tmp))))
        manifest = write_model(
            trained, args.out, name="recs", version=args.version, extra={"evaluation.json": report}
        )
        bar.update()
    size = sum(int(f["bytes"]) for f in manifest["files"].values())
    print("cross-validation (HR@10/NDCG@10 per fold):")
    print(cv.table(fold_rows, names))
    print(f"dev split ({dev['users']} users): model vs popularity")
    print(protocol.table(dev, ["model", "popularity"]))
    print(f"latency: {report['latency_dev']}  100k: {report['latency_100k']}")
    print(f"final fit {seconds} s; wrote {args.out} ({size / 1e6:.2f} MB)")


def _split_report(train: list, later: list, params: Params, texts: dict) -> dict:  # type: ignore[type-arg]
    trained = fit(protocol.interactions(train), params, texts=texts)
    with tempfile.TemporaryDirectory() as tmp:
        write_model(trained, Path(tmp), name="recs", version="split", extra={})
        model = RecsModel(Path(tmp))
        return protocol.rounded(
            protocol.evaluate(
                {
                    "model": protocol.model_ranker(model, train),
                    "popularity": protocol.popularity_ranker(train),
                },
                train,
                later,
            )
        )


if __name__ == "__main__":
    main()
