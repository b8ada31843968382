"""`make train-authenticity DATA=<receipts>`: train the bill authenticity model.

1. Make the training set from DATA's development part (``ml.bills.tamper``; the held-out
   part is never used here), unless ``--set`` names one already made.
2. Features with a progress bar (``ml.bills.features``; ``BILLS_FEATURE_CACHE`` caches them),
   only those of the feature set (``--features``, ``FEATURE_SETS``), as at run time.
3. Candidates compared by a cross-validation that holds out whole tampering methods: for
   each method, train on the others (and on genuine images of other receipts), score the
   held-out method against held-out genuine images; report AUC per held-out method. With
   the double-quantisation (dq) features, each candidate is scored twice: as the images
   are, and with the held-out images' dq features at 0 (``no_lattice``: an edit saved as
   PNG, cropped or rescaled afterwards), and chosen on the mean of the two (since v5).
4. The best candidate (``max_v1_all`` since v3: the larger of a forest on v1's features
   and a forest on all, ``MaxOfTwo``; since v4 the first forest also sees the dq
   features, ``max_v1dq_all``; v5, ``max_v1dq_all_blind``, is trained with a dq-blind
   copy of every row, so that "no lattice" is not learnt as "genuine"; v6 is v5's recipe with
   the dq features over all 63 AC frequencies, ``requant.NAMES_ALL``) is fitted on everything,
   its threshold set where the cross-validated genuine images are flagged at most
   ``--fpr`` of the time,
   exported to ONNX (skl2onnx) and written to ``models/bill-authenticity/v<N>/``
   (``model.onnx`` + ``manifest.json``: the card and the files' sha256).
5. The ONNX model must give scikit-learn's probabilities on every training row (else the
   command fails); a few fixed rows and scikit-learn's probabilities for them go in the
   card, so a test checks the shipped ONNX file without scikit-learn.

Usage: python -m ml.bills.train_authenticity DATA [--set DIR] [--version N] [--features SET]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PowerTransformer

from chalicelib.bills import forensics, requant, twins
from ml.bills.features import LabelledSet, load

MODELS = Path(__file__).resolve().parents[2] / "models" / "bill-authenticity"
NAME = "bill-authenticity"
V1 = forensics.FEATURES[:31]  # the first model's features (whole-image and per-mark statistics)
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "v1": V1,
    # v1's plus the glyph twins (a digit copied from elsewhere on the receipt)
    "v1+twins": V1 + twins.NAMES,
    # v1's plus v3's twins (across a one-pixel box change, taller amounts, dot matrix)
    "v1+twins3": V1 + twins.NAMES3,
    "v1+twins+twins3": V1 + twins.NAMES + twins.NAMES3,
    # v4: v1's, the aligned double quantisation (the first forest sees these), the twins
    "v1+dq+twins+twins3": V1 + requant.NAMES + twins.NAMES + twins.NAMES3,
    # v6: the same over all 63 AC frequencies instead of the 20 lowest
    "v1+dqa+twins+twins3": V1 + requant.NAMES_ALL + twins.NAMES + twins.NAMES3,
    "all": forensics.FEATURES,
}
# how many leading features of a set the first forest of ``MaxOfTwo`` sees (default v1's)
FIRST_FOREST = {
    "v1+dq+twins+twins3": len(V1) + len(requant.NAMES),
    "v1+dqa+twins+twins3": len(V1) + len(requant.NAMES_ALL),
}
LATTICE = requant.NAMES + requant.NAMES_ALL  # all 0 with no JPEG lattice (PNG, crop, rescale)
# v7: genuine variants re-saved on the receipt's own grid (or a crop's shifted one) are left out
# of training: a second compression over the first is a sign of editing (the issue lists it),
# so it must not be taught as genuine. Genuine stays the receipts as they are and those
# resized or turned (one compression at their own grid, at any quality, as a phone photo
# or a messenger's copy has), so the quality level alone still tells nothing.
RECOMPRESSED = ("resave", "resave_twice", "enhance", "crop")


class MaxOfTwo(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """The larger of two models' edit probabilities: ``first`` sees only the first
    ``first_columns`` features (v1's: compression, noise, ink of regions and marks),
    ``second`` sees all (v1's and the twins). One model on everything leans on the twins
    and loses edits that leave none (erase, a font digit, a resampled paste); the v1 model
    keeps those, the second catches the copies. Exported as one ONNX graph (``export``)."""

    def __init__(
        self,
        first: Any = None,
        second: Any = None,
        first_columns: int = 31,
        blind: tuple[int, ...] = (),
    ) -> None:
        self.first = first
        self.second = second
        self.first_columns = first_columns
        self.blind = blind

    def fit(self, features: NDArray[np.float32], labels: NDArray[np.int64]) -> MaxOfTwo:
        if self.blind:
            # v5: every row again with the ``blind`` columns (the dq features) at 0, as a
            # PNG, a crop or a rescale gives them: in the generated set only genuine images
            # lack a lattice, and "no lattice" must not be learnt as "genuine"
            copy = features.copy()
            copy[:, list(self.blind)] = 0.0
            features = np.vstack([features, copy])
            labels = np.concatenate([labels, labels])
        self.first_ = clone(self.first).fit(features[:, : self.first_columns], labels)
        self.second_ = clone(self.second).fit(features, labels)
        self.classes_ = self.second_.classes_
        return self

    def predict_proba(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        first = self.first_.predict_proba(features[:, : self.first_columns])[:, 1]
        second = self.second_.predict_proba(features)[:, 1]
        edited = np.maximum(first, second)
        return np.stack([1.0 - edited, edited], axis=1)


def _extra_trees() -> ExtraTreesClassifier:
    return ExtraTreesClassifier(
        n_estimators=300,
        min_samples_leaf=3,
        max_features=0.6,
        class_weight="balanced",
        random_state=14,
        n_jobs=1,
    )


def candidates(first_columns: int = len(V1), blind: tuple[int, ...] = ()) -> dict[str, Any]:
    first = "max_v1_all" if first_columns == len(V1) else "max_v1dq_all"
    more = (
        {f"{first}_blind": MaxOfTwo(_extra_trees(), _extra_trees(), first_columns, blind)}
        if blind
        else {}
    )
    return {
        # the power transform (Yeo-Johnson) tames the heavy tails; skl2onnx exports it
        "logistic": Pipeline(
            [
                ("power", PowerTransformer()),
                ("model", LogisticRegression(C=0.3, max_iter=2000, class_weight="balanced")),
            ]
        ),
        "forest": RandomForestClassifier(
            n_estimators=200,
            min_samples_leaf=3,
            max_features=0.5,
            class_weight="balanced",
            random_state=14,
            n_jobs=1,
        ),
        "extra_trees": _extra_trees(),
        # the larger of extra trees on v1's features (v4: and dq's) and extra trees on all
        first: MaxOfTwo(_extra_trees(), _extra_trees(), first_columns=first_columns),
        **more,
    }


def held_out_methods_cv(
    model: Any, data: LabelledSet, blind: tuple[int, ...] = ()
) -> dict[str, dict[str, float]]:
    """AUC per tampering method when that method (and the genuine images of a third of the
    receipts, by source) is never seen in training: ``as_is``, and with ``blind``, also
    ``no_lattice``: the same held-out images scored with those columns at 0 (the dq
    features of an edit saved as PNG, cropped or rescaled)."""
    methods = sorted({m for m, y in zip(data.methods, data.labels, strict=True) if y == 1})
    sources = sorted(set(data.sources))
    fold_of = {source: i % 3 for i, source in enumerate(sources)}
    folds = np.asarray([fold_of[s] for s in data.sources])
    ways = ("as_is", "no_lattice") if blind else ("as_is",)
    out: dict[str, dict[str, float]] = {way: {} for way in ways}
    for method in methods:
        is_method = np.asarray([m == method for m in data.methods])
        scores: dict[str, list[NDArray[np.float64]]] = {way: [] for way in ways}
        truth = []
        for fold in range(3):
            test_fold = folds == fold
            train = ~is_method & ~test_fold
            test = test_fold & (is_method | (data.labels == 0))
            fitted = clone(model).fit(data.features[train], data.labels[train])
            held_out = data.features[test]
            scores["as_is"].append(fitted.predict_proba(held_out)[:, 1])
            if blind:
                held_out = held_out.copy()
                held_out[:, list(blind)] = 0.0
                scores["no_lattice"].append(fitted.predict_proba(held_out)[:, 1])
            truth.append(data.labels[test])
        for way in ways:
            out[way][method] = float(
                roc_auc_score(np.concatenate(truth), np.concatenate(scores[way]))
            )
    return out


def genuine_scores_cv(model: Any, data: LabelledSet) -> NDArray[np.float64]:
    """Out-of-fold scores of the genuine images (by receipt), for the threshold."""
    sources = sorted(set(data.sources))
    fold_of = {source: i % 5 for i, source in enumerate(sources)}
    folds = np.asarray([fold_of[s] for s in data.sources])
    scores = np.zeros(len(data.labels))
    for fold in range(5):
        test = folds == fold
        fitted = clone(model).fit(data.features[~test], data.labels[~test])
        scores[test] = fitted.predict_proba(data.features[test])[:, 1]
    return scores


def _to_onnx(model: Any, width: int) -> Any:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    return to_onnx(
        model,
        initial_types=[("features", FloatTensorType([None, width]))],
        options={id(model): {"zipmap": False}}
        if not isinstance(model, Pipeline)
        else {id(model.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )


def _max_graph(model: MaxOfTwo, width: int) -> Any:
    """One ONNX graph for ``MaxOfTwo``: the first model on a slice of the input, the
    second on all of it, the larger edit probability; outputs ``label`` and
    ``probabilities`` like skl2onnx's classifiers (the runtime reads the second)."""
    from onnx import TensorProto, compose, helper, numpy_helper

    first = compose.add_prefix(_to_onnx(model.first_, model.first_columns), "first_")
    second = compose.add_prefix(_to_onnx(model.second_, width), "second_")
    constants = [
        numpy_helper.from_array(np.asarray([0], np.int64), "zero"),
        numpy_helper.from_array(np.asarray([1], np.int64), "one"),
        numpy_helper.from_array(np.asarray([2], np.int64), "two"),
        numpy_helper.from_array(np.asarray([model.first_columns], np.int64), "first_width"),
        numpy_helper.from_array(np.asarray([[1.0]], np.float32), "unit"),
    ]
    nodes = [
        helper.make_node("Slice", ["features", "zero", "first_width", "one"], ["first_features"]),
        helper.make_node("Identity", ["features"], ["second_features"]),
        *first.graph.node,
        *second.graph.node,
        helper.make_node("Slice", ["first_probabilities", "one", "two", "one"], ["first_edit"]),
        helper.make_node("Slice", ["second_probabilities", "one", "two", "one"], ["second_edit"]),
        helper.make_node("Max", ["first_edit", "second_edit"], ["edit"]),
        helper.make_node("Sub", ["unit", "edit"], ["genuine"]),
        helper.make_node("Concat", ["genuine", "edit"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "max_v1_all",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, width])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2]),
        ],
        initializer=[*constants, *first.graph.initializer, *second.graph.initializer],
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
    )


def export(model: Any, path: Path, width: int = len(forensics.FEATURES)) -> None:
    onx = _max_graph(model, width) if isinstance(model, MaxOfTwo) else _to_onnx(model, width)
    onx.ir_version = 8  # onnxruntime 1.16 (the Lambda layer's) reads IR <= 9
    path.write_bytes(onx.SerializeToString())


def onnx_check(model: Any, onnx_path: Path, features: NDArray[np.float32]) -> dict[str, Any]:
    """Probabilities of the exported ONNX model against scikit-learn's on every row; fails
    beyond 1e-4. Returns the largest difference and fixed rows with scikit-learn's answer."""
    import onnxruntime

    session = onnxruntime.InferenceSession(
        onnx_path.read_bytes(), providers=["CPUExecutionProvider"]
    )
    onnx_probability = np.asarray(session.run(None, {"features": features})[1])[:, 1]
    sklearn_probability = model.predict_proba(features)[:, 1]
    worst = float(np.abs(onnx_probability - sklearn_probability).max())
    if worst > 1e-4:
        raise SystemExit(f"the ONNX export differs from scikit-learn by {worst:.2e}")
    rows = np.linspace(0, len(features) - 1, num=min(8, len(features))).astype(int)
    return {
        "max_abs": worst,
        "rows": [[float(v) for v in features[i]] for i in rows],
        "sklearn_probability": [float(sklearn_probability[i]) for i in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--set", type=Path, help="an authenticity set already made")
    parser.add_argument("--version", type=int, default=7)
    parser.add_argument("--features", choices=sorted(FEATURE_SETS), default="v1+dqa+twins+twins3")
    parser.add_argument("--fpr", type=float, default=0.05)
    parser.add_argument(
        "--leave-out",
        default=",".join(RECOMPRESSED),
        help="genuine methods left out of training (v6 and earlier: none, --leave-out '')",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bills-train-") as scratch:
        train_dir = args.set
        if train_dir is None:
            train_dir = Path(scratch) / "train"
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "ml.bills.tamper",
                    str(args.data),
                    str(train_dir),
                    "--part",
                    "development",
                ],
                check=True,
            )
        names = FEATURE_SETS[args.features]
        every = load(train_dir, "features (training set)", wanted=names)
    columns = [forensics.FEATURES.index(name) for name in names]
    left_out = {m for m in args.leave_out.split(",") if m}
    kept = np.asarray(
        [not (y == 0 and m in left_out) for m, y in zip(every.methods, every.labels, strict=True)]
    )
    data = LabelledSet(
        stems=[s for s, k in zip(every.stems, kept, strict=True) if k],
        labels=every.labels[kept],
        methods=[m for m, k in zip(every.methods, kept, strict=True) if k],
        sources=[s for s, k in zip(every.sources, kept, strict=True) if k],
        features=every.features[kept][:, columns],
    )
    print(
        f"training set: {len(data.labels)} images, {int(data.labels.sum())} tampered "
        f"({int((~kept).sum())} genuine images of {sorted(left_out)} left out); "
        f"features: {args.features} ({len(names)})"
    )
    first_columns = FIRST_FOREST.get(args.features, len(V1))
    # the dq columns: an edit may reach us with no JPEG lattice (PNG, crop, rescale), so
    # with them a candidate is scored both ways and chosen on the mean of the two (v5)
    blind = tuple(i for i, name in enumerate(names) if name in LATTICE)
    report: dict[str, Any] = {}
    for name, model in candidates(first_columns, blind).items():
        ways = held_out_methods_cv(model, data, blind)
        report[name] = {"held_out_method_auc": ways["as_is"]}
        for way, per_method in ways.items():
            report[name][f"mean_{way}"] = float(np.mean(list(per_method.values())))
            shown = "  ".join(f"{m} {v:.3f}" for m, v in per_method.items())
            print(
                f"{name:<18} {way:<10} held-out-method AUC mean "
                f"{report[name][f'mean_{way}']:.3f}   {shown}"
            )
        if blind:
            report[name]["held_out_method_auc_no_lattice"] = ways["no_lattice"]
        report[name]["mean"] = float(np.mean([report[name][f"mean_{way}"] for way in ways]))
    best = max(report, key=lambda n: report[n]["mean"])
    model = candidates(first_columns, blind)[best]
    oof = genuine_scores_cv(model, data)
    genuine = oof[data.labels == 0]
    threshold = float(np.quantile(genuine, 1.0 - args.fpr))
    tampered = oof[data.labels == 1]
    print(
        f"chosen: {best}; threshold {threshold:.3f} (genuine flagged <= {args.fpr:.0%} in CV; "
        f"tampered caught at it in CV: {float((tampered >= threshold).mean()):.3f})"
    )
    fitted = model.fit(data.features, data.labels)
    out = MODELS / f"v{args.version}"
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / "model.onnx"
    export(fitted, onnx_path, len(names))
    check = onnx_check(fitted, onnx_path, data.features)
    print(f"ONNX vs scikit-learn on {len(data.labels)} rows: max |diff| {check['max_abs']:.2e}")
    card = {
        "name": NAME,
        "version": f"v{args.version}",
        "features": list(names),
        "feature_set": args.features,
        "threshold": round(threshold, 4),
        "model": best,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_set": {
            "images": len(data.labels),
            "genuine_methods_left_out": sorted(left_out),
            "tampered": int(data.labels.sum()),
            "receipts": len(set(data.sources)),
            "part": "development",
        },
        "cross_validation": report,
        "onnx_check": check,
    }
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    card["files"] = {"model.onnx": {"sha256": digest, "bytes": onnx_path.stat().st_size}}
    (out / "manifest.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes) and its manifest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
