"""Training the recommendation model in numpy and writing it as an ONNX graph.

The model: an item-item table, each item's top ``neighbours`` of

    (B + content_weight * S) * (recent popularity + 0.05) ** popularity_exponent

where B is EASE (Steck 2019, a closed-form item-item ridge regression on the user-by-item
matrix), S the cosine similarity of the items' texts (title words, TF-IDF weighted: an
item-item kNN on content, which carries most of the signal on sparse histories) and the
last factor scales each column (the candidate item) by its recent popularity; plus a prior
of recent popularity (distinct users per item, each weighted by ``exp(-age / prior_days)``)
blended with ``prior_weight``. Pruned tables keep the graph small and the scoring sparse
(Gather + ScatterElements), so it scales to 100,000 items. Imports numpy; ``onnx`` only to
export. Hyper-parameters were chosen by rolling-origin cross-validation on the dev data
(``python -m ml.recs.folds``; docs/recommendations.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

OPSET = 17  # onnxruntime 1.16 (the Lambda layer) runs opsets up to 19 and IR version 9
IR_VERSION = 8


@dataclass(frozen=True)
class Interaction:
    """One engagement of a user with an item (weight: purchase 1.0, view less)."""

    user: str
    item: str
    at: datetime
    weight: float = 1.0


POPULARITY_FLOOR = 0.05  # keeps unpopular items' columns from vanishing entirely
STOP_WORDS = frozenset({"OF", "SET", "AND", "WITH", "IN", "THE", "A", "OR", "TO", "FOR"})


@dataclass(frozen=True)
class Params:
    l2: float = 200.0
    neighbours: int = 100
    prior_days: float = 60.0
    prior_weight: float = 0.1
    content_weight: float = 0.2
    popularity_exponent: float = 0.5

    @classmethod
    def of_manifest(cls, params: Mapping[str, Any]) -> Params:
        """A published model's recipe from its manifest's ``params``; fields a manifest
        lacks (written before they existed) are off, so an older recipe stays itself."""
        legacy = {"prior_weight": 0.3, "content_weight": 0.0, "popularity_exponent": 0.0}
        known = set(cls.__dataclass_fields__)
        return cls(**{**legacy, **{k: v for k, v in params.items() if k in known}})


@dataclass
class Trained:
    keys: list[str]
    neighbours: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float32]
    prior: npt.NDArray[np.float32]
    params: Params
    stats: dict[str, Any] = field(default_factory=dict)


def fit(
    interactions: Iterable[Interaction],
    params: Params = Params(),
    progress: Callable[[str], None] | None = None,
    texts: Mapping[str, str] | None = None,
) -> Trained:
    """Fit the model on ``interactions`` (at least one); ``texts``: each item's title (and
    any words describing it) for the content similarity (items without text get none)."""
    rows = list(interactions)
    if not rows:
        raise ValueError("no interactions to train on")
    keys = sorted({r.item for r in rows})
    users = sorted({r.user for r in rows})
    item_index = {key: n for n, key in enumerate(keys)}
    user_index = {user: n for n, user in enumerate(users)}
    n_items = len(keys)
    end = max(r.at for r in rows)
    x = np.zeros((len(users), n_items), dtype=np.float64)
    recent = np.zeros((len(users), n_items), dtype=np.float64)
    for r in rows:
        u, i = user_index[r.user], item_index[r.item]
        x[u, i] = max(x[u, i], r.weight)
        age = max((end - r.at).total_seconds(), 0.0) / 86400.0
        recent[u, i] = max(recent[u, i], r.weight * math.exp(-age / params.prior_days))
    if progress:
        progress("gram")
    gram = x.T @ x
    gram[np.diag_indices(n_items)] += params.l2
    if progress:
        progress("inverse")
    inverse = np.linalg.inv(gram)
    b = -inverse / np.diag(inverse)
    b[np.diag_indices(n_items)] = 0.0
    popularity = recent.sum(axis=0)
    top = popularity.max() or 1.0
    if params.content_weight and texts:
        if progress:
            progress("content")
        b += params.content_weight * content_similarity([texts.get(key, "") for key in keys])
    if params.popularity_exponent:
        b *= ((popularity / top + POPULARITY_FLOOR) ** params.popularity_exponent)[None, :]
    if progress:
        progress("prune")
    k = min(params.neighbours, max(n_items - 1, 1))
    neighbours, weights = prune(b, k)
    prior = (params.prior_weight * popularity / top).astype(np.float32)
    return Trained(
        keys,
        neighbours,
        weights,
        prior,
        params,
        {"users": len(users), "items": n_items, "interactions": len(rows), "end": end.isoformat()},
    )


def words(text: str) -> set[str]:
    """The distinct words of an item's text that count for similarity (letters only, two
    or more, no stop words; case-folded)."""
    return {w for w in re.findall(r"[A-Z]+", text.upper()) if len(w) > 1 and w not in STOP_WORDS}


def content_similarity(texts: list[str]) -> npt.NDArray[np.float64]:
    """Item-by-item cosine similarity of the texts' TF-IDF word vectors (binary term
    frequency, ``log(n / df)``), zero on the diagonal and for items without words."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for n, text in enumerate(texts):
        for word in sorted(words(text)):
            rows.append(n)
            cols.append(vocabulary.setdefault(word, len(vocabulary)))
    vectors = np.zeros((len(texts), max(len(vocabulary), 1)), dtype=np.float64)
    vectors[rows, cols] = 1.0
    frequency = np.maximum(vectors.sum(axis=0), 1.0)
    vectors *= np.log(len(texts) / frequency)[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms > 0, norms, 1.0)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    return similarity


def prune(
    b: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Each row's ``k`` largest weights (indices and values), negative weights kept as 0."""
    if b.shape[0] == 1:
        return np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1), dtype=np.float32)
    part = np.argpartition(-b, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(b, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    indices = np.take_along_axis(part, order, axis=1).astype(np.int64)
    kept = np.maximum(np.take_along_axis(values, order, axis=1), 0.0).astype(np.float32)
    return indices, kept


def graph_bytes(
    neighbours: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float32],
    prior: npt.NDArray[np.float32],
) -> bytes:
    """The scoring + top-k ONNX graph holding the tables (serialized)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n = neighbours.shape[0]
    nodes = [
        helper.make_node("Gather", ["neighbours", "history"], ["hist_items_32"], axis=0),
        helper.make_node("Cast", ["hist_items_32"], ["hist_items"], to=TensorProto.INT64),
        helper.make_node("Gather", ["weights_table", "history"], ["hist_weights"], axis=0),
        helper.make_node("Unsqueeze", ["weights", "axis1"], ["weights_col"]),
        helper.make_node("Mul", ["hist_weights", "weights_col"], ["contrib"]),
        helper.make_node("Reshape", ["hist_items", "flat"], ["flat_items"]),
        helper.make_node("Reshape", ["contrib", "flat"], ["flat_contrib"]),
        helper.make_node("Mul", ["prior", "prior_scale"], ["base"]),
        helper.make_node(
            "ScatterElements",
            ["base", "flat_items", "flat_contrib"],
            ["summed"],
            axis=0,
            reduction="add",
        ),
        helper.make_node("Shape", ["exclude"], ["exclude_shape"]),
        helper.make_node("Expand", ["excluded_value", "exclude_shape"], ["exclude_values"]),
        helper.make_node(
            "ScatterElements", ["summed", "exclude", "exclude_values"], ["masked"], axis=0
        ),
        helper.make_node("Min", ["k", "n_items"], ["k_eff"]),
        helper.make_node(
            "TopK", ["masked", "k_eff"], ["scores", "items"], axis=0, largest=1, sorted=1
        ),
        # reasons: contribution of each history item to each top item → argmax over history
        helper.make_node("Unsqueeze", ["hist_items", "axis2"], ["hist_items_3"]),
        helper.make_node("Equal", ["hist_items_3", "items"], ["match"]),
        helper.make_node("Cast", ["match"], ["match_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["contrib", "axis2"], ["contrib_3"]),
        helper.make_node("Mul", ["match_f", "contrib_3"], ["per_pair"]),
        helper.make_node("ReduceSum", ["per_pair", "axis1"], ["per_history"], keepdims=0),
        # A row of 1e-12 ahead of the history rows: an item no history item reaches takes
        # that row (argmax 0), so its reason is -1 after the Sub.
        helper.make_node("Shape", ["items"], ["items_shape"]),
        helper.make_node("Concat", ["one_1d", "items_shape"], ["zero_shape"], axis=0),
        helper.make_node(
            "ConstantOfShape",
            ["zero_shape"],
            ["zero_row"],
            value=numpy_helper.from_array(np.asarray([1e-12], dtype=np.float32)),
        ),
        helper.make_node("Concat", ["zero_row", "per_history"], ["padded"], axis=0),
        helper.make_node("ArgMax", ["padded"], ["best_padded"], axis=0, keepdims=0),
        helper.make_node("Sub", ["best_padded", "one"], ["reasons"]),
    ]
    inits = [
        numpy_helper.from_array(neighbours.astype(np.int32), "neighbours"),
        numpy_helper.from_array(weights.astype(np.float32), "weights_table"),
        numpy_helper.from_array(prior.astype(np.float32), "prior"),
        numpy_helper.from_array(np.asarray([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.asarray([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.asarray([-1], dtype=np.int64), "flat"),
        numpy_helper.from_array(np.asarray(-1e9, dtype=np.float32), "excluded_value"),
        numpy_helper.from_array(np.asarray([n], dtype=np.int64), "n_items"),
        numpy_helper.from_array(np.asarray(1, dtype=np.int64), "one"),
    ]
    inits.append(numpy_helper.from_array(np.asarray([1], dtype=np.int64), "one_1d"))
    graph = helper.make_graph(
        nodes,
        "recommendations",
        [
            helper.make_tensor_value_info("history", TensorProto.INT64, ["H"]),
            helper.make_tensor_value_info("weights", TensorProto.FLOAT, ["H"]),
            helper.make_tensor_value_info("exclude", TensorProto.INT64, ["E"]),
            helper.make_tensor_value_info("prior_scale", TensorProto.FLOAT, [1]),
            helper.make_tensor_value_info("k", TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info("items", TensorProto.INT64, ["K"]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["K"]),
            helper.make_tensor_value_info("reasons", TensorProto.INT64, ["K"]),
        ],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="bazaar-recs",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model(
    trained: Trained, directory: Path, *, name: str, version: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """Write ``model.onnx``, ``items.json``, any ``extra`` JSON files and ``manifest.json``
    (files with sha256, as core.model_store reads them) into ``directory``; the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.onnx").write_bytes(
        graph_bytes(trained.neighbours, trained.weights, trained.prior)
    )
    (directory / "items.json").write_text(
        json.dumps(
            {"keys": trained.keys, "prior": [round(float(p), 6) for p in trained.prior]},
            separators=(",", ":"),
        )
    )
    for file_name, content in extra.items():
        (directory / file_name).write_text(json.dumps(content, indent=1) + "\n")
    files = ["model.onnx", "items.json", *extra]
    manifest = {
        "name": name,
        "version": version,
        "method": (
            "EASE + title-word cosine item-item, popularity-scaled (pruned neighbours)"
            " + recent popularity prior"
            if trained.params.content_weight
            else "EASE item-item (pruned neighbours) + recent popularity prior"
        ),
        "params": trained.params.__dict__,
        "training": trained.stats,
        "files": {
            f: {"sha256": _sha256(directory / f), "bytes": (directory / f).stat().st_size}
            for f in files
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
