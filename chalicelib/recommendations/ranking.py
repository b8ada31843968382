"""The recommendation model at inference: neighbour tables and a popularity prior in one
ONNX graph (Gather + ScatterElements + TopK), and the same scoring in numpy.

A model directory holds ``model.onnx``, ``items.json`` (item keys in index order and the
prior: recent popularity) and ``manifest.json``. Inputs of the graph: ``history`` (int64
[H], item indices), ``weights`` (float32 [H], engagement weight of each), ``exclude``
(int64 [E]), ``prior_scale`` (float32 [1]: 1 for a user, 0 for "related"), ``k`` (int64
[1]). Outputs: ``items`` (int64 [k]), ``scores`` (float32 [k]) and ``reasons`` (int64
[k]: the position in ``history`` that contributed most to each item, -1 when none did).
Imports only numpy and onnxruntime (the ML layer); onnx itself is for training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

EXCLUDED = np.float32(-1e9)
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Ranked:
    """Top items (indices), their scores, and the history position behind each (-1: none)."""

    items: Ints
    scores: Floats
    reasons: Ints


def reference_scores(
    neighbours: Ints,
    weights_table: Floats,
    prior: Floats,
    history: Ints,
    weights: Floats,
    exclude: Ints,
    prior_scale: float,
) -> Floats:
    """Every item's score in numpy: the prior plus each history item's neighbour weights
    times its engagement weight; excluded items get -1e9 (what the graph computes)."""
    scores = (prior * np.float32(prior_scale)).astype(np.float32)
    if len(history):
        contributions = weights_table[history] * weights[:, None]
        np.add.at(scores, neighbours[history].ravel(), contributions.ravel())
    scores[exclude] = EXCLUDED
    return scores


class RecsModel:
    """One loaded model (cache it per container)."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime as ort

        self.directory = directory
        self.manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
        self.version = str(self.manifest["version"])
        items = json.loads((directory / "items.json").read_text())
        self.keys: list[str] = list(items["keys"])
        self.index: dict[str, int] = {key: n for n, key in enumerate(self.keys)}
        self.popularity: list[float] = [float(p) for p in items["prior"]]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @property
    def size(self) -> int:
        return len(self.keys)

    def rank(
        self,
        history: list[tuple[int, float]],
        exclude: list[int],
        k: int,
        *,
        prior_scale: float = 1.0,
    ) -> Ranked:
        """The top ``k`` items for a weighted history (item index, weight)."""
        k = max(1, min(k, self.size))
        items, scores, reasons = self._session.run(
            ["items", "scores", "reasons"],
            {
                "history": np.asarray([h for h, _ in history], dtype=np.int64),
                "weights": np.asarray([w for _, w in history], dtype=np.float32),
                "exclude": np.asarray(exclude, dtype=np.int64),
                "prior_scale": np.asarray([prior_scale], dtype=np.float32),
                "k": np.asarray([k], dtype=np.int64),
            },
        )
        return Ranked(np.asarray(items), np.asarray(scores), np.asarray(reasons))


class NumpyModel:
    """A model directory scored in numpy (the training step's evaluation: it has onnx and
    numpy, not onnxruntime). Same interface and scores as ``RecsModel``."""

    def __init__(self, directory: Path) -> None:
        import onnx
        from onnx import numpy_helper

        self.directory = directory
        self.manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
        self.version = str(self.manifest["version"])
        items = json.loads((directory / "items.json").read_text())
        self.keys = list(items["keys"])
        self.index = {key: n for n, key in enumerate(self.keys)}
        graph = onnx.load(str(directory / "model.onnx")).graph
        tables = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
        self._neighbours = np.asarray(tables["neighbours"], dtype=np.int64)
        self._weights = np.asarray(tables["weights_table"], dtype=np.float32)
        self._prior = np.asarray(tables["prior"], dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.keys)

    def rank(
        self,
        history: list[tuple[int, float]],
        exclude: list[int],
        k: int,
        *,
        prior_scale: float = 1.0,
    ) -> Ranked:
        """The top ``k`` items (ties: lower index first); reasons are not computed (-1)."""
        k = max(1, min(k, self.size))
        scores = reference_scores(
            self._neighbours,
            self._weights,
            self._prior,
            np.asarray([h for h, _ in history], dtype=np.int64),
            np.asarray([w for _, w in history], dtype=np.float32),
            np.asarray(exclude, dtype=np.int64),
            prior_scale,
        )
        top = np.argsort(-scores, kind="stable")[:k].astype(np.int64)
        return Ranked(top, scores[top], np.full(k, -1, dtype=np.int64))
