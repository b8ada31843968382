"""``make train-recs``: the recommendation model on the dev data → ``models/recs/v2/``.

1. Cross-validation (``ml.recs.folds``): six rolling folds of the dev data (fit before
   month M, evaluate M … M+1, M = 2011-03 … 2011-08), this recipe beside v1's and
   popularity; the hyper-parameters (``Params``' defaults) were chosen on these folds.
2. Dev split through the exported ONNX graph: fit on 2010-12 … 2011-07, evaluate on
   2011-08 … 09 with the issue's protocol, popularity beside.
   The dev-split model is kept next to the shipped one as its **dev-holdout companion**
   (``<out>/dev-holdout/``: its own manifest + ``holdout.json`` with the cutoff): ``make
   eval-recs`` on a DATA that is not after the shipped model's training period (the dev
   data itself) evaluates it instead. ``publish_all`` uploads ``<name>/<version>/`` only and
   the shipped manifest does not list it, so the runtime never uploads or loads it.
3. Final fit on all the dev data (item texts: the lines' descriptions); ``model.onnx`` +
   ``items.json`` + the report (``evaluation.json``) + manifest.

``--holdout-only`` writes just the companion of the model already in ``--out``, with that
model's own recipe (its manifest's ``params``), e.g. ``--out models/recs/v1`` for v1's.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.training import Params, fit, write_model
from ml.recs import protocol
from ml.recs.data import Line, read_descriptions, read_lines, split_at

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
HOLDOUT = "dev-holdout"  # the companion's folder inside the shipped model's
HOLDOUT_FILE = "holdout.json"  # its cutoff and dev-split report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "recs" / "v2")
    parser.add_argument("--version", default="v2")
    parser.add_argument(
        "--holdout-only",
        action="store_true",
        help="only (re)write <out>/dev-holdout/ with the recipe of the model in --out",
    )
    args = parser.parse_args()
    if args.holdout_only:
        _holdout_only(args.data, args.out)
        return
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
        dev = write_holdout(lines, texts, params, args.out, version=args.version)
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


def write_holdout(
    lines: list[Line],
    texts: dict[str, str],
    params: Params,
    out: Path,
    *,
    version: str,
    cut: datetime = DEV_CUT,
) -> dict[str, Any]:
    """The dev split: fit ``params`` on the lines before ``cut``, write that model as the
    companion ``out/dev-holdout/`` (with ``holdout.json``: the cutoff and this report) and
    evaluate it through the exported ONNX graph on the lines from ``cut`` on; the report."""
    train, later = split_at(lines, cut)
    trained = fit(protocol.interactions(train), params, texts=texts)
    directory = out / HOLDOUT
    name = f"{version}-{HOLDOUT}"
    write_model(trained, directory, name="recs", version=name, extra={})
    model = RecsModel(directory)
    report: dict[str, Any] = protocol.rounded(
        protocol.evaluate(
            {
                "model": protocol.model_ranker(model, train),
                "popularity": protocol.popularity_ranker(train),
            },
            train,
            later,
        )
    )
    holdout = {
        "companion_of": version,
        "cutoff": cut.isoformat(),
        "note": (
            f"{version}'s recipe fitted on the lines before the cutoff; make eval-recs scores"
            " it on DATA from the cutoff on when DATA is not after the shipped model's period"
        ),
        "dev_split": report,
    }
    write_model(trained, directory, name="recs", version=name, extra={HOLDOUT_FILE: holdout})
    return report


def _holdout_only(data: Path, out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text())
    params = Params.of_manifest(manifest["params"])
    version = str(manifest["version"])
    with tqdm(total=1, desc=f"dev-holdout {version}", unit="fit") as bar:
        lines, texts = read_lines(data), read_descriptions(data)
        report = write_holdout(lines, texts, params, out, version=version)
        bar.update()
    print(f"dev split ({report['users']} users): {version} vs popularity → {out / HOLDOUT}")
    print(protocol.table(report, ["model", "popularity"]))


if __name__ == "__main__":
    main()
