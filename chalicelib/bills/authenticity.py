"""Scoring a bill's pixels for signs of editing with the trained ONNX model.

The model (``ml/bills/train_authenticity.py``) takes ``forensics.FEATURES`` and gives the
probability that the image was edited. It is shipped as ``models/bill-authenticity/<version>/``
(``model.onnx`` + ``manifest.json``: the files with their sha256, the features, the
threshold chosen in cross-validation) and loaded from the models bucket only through
``chalicelib.core.model_store`` (one onnxruntime session per container).
onnxruntime only: scikit-learn never enters a Lambda.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from chalicelib.bills import forensics

MODEL_NAME = "bill-authenticity"
SHIPPED = Path(__file__).resolve().parents[2] / "models" / MODEL_NAME


class AuthenticityModel:
    """One loaded model directory: its onnxruntime session and its manifest (``card``)."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime  # the ML layer

        self.directory = directory
        self.card: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
        self.version = str(self.card["version"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session: Any = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )


@lru_cache(maxsize=2)
def model(version: str) -> AuthenticityModel:
    """The model at ``version`` from the models bucket, once per container
    (``core.model_store.ModelUnavailableError`` when it is missing or corrupt)."""
    from chalicelib.core.model_store import load_model

    return AuthenticityModel(load_model(MODEL_NAME, version))


def shipped(version: str) -> AuthenticityModel:
    """The model as committed under ``models/`` (the evaluation command; no AWS)."""
    return AuthenticityModel(SHIPPED / version)


def forget() -> None:
    """Drop the cached sessions (tests)."""
    model.cache_clear()


@dataclass(frozen=True)
class Scored:
    """The edit probability of one image, the features it came from and, when asked for,
    a second model's probability from the same features."""

    probability: float
    features: dict[str, float]
    second_probability: float | None = None


def score_features(model: AuthenticityModel, values: NDArray[np.float32]) -> NDArray[np.float64]:
    """Edit probabilities of feature rows (n x len(FEATURES)). The model's card names the
    features it was trained on, in its order; this code may compute more (a newer model's)
    and passes the model only its own."""
    expected = list(model.card.get("features") or forensics.FEATURES)
    unknown = [name for name in expected if name not in forensics.FEATURES]
    if unknown:
        raise ValueError(f"the model needs features this code does not compute: {unknown}")
    columns = [forensics.FEATURES.index(name) for name in expected]
    outputs = model.session.run(None, {"features": values[:, columns].astype(np.float32)})
    probabilities = outputs[1]
    return np.asarray(probabilities, dtype=np.float64)[:, 1]


def score(
    model: AuthenticityModel, image: bytes, second: AuthenticityModel | None = None
) -> Scored:
    """``model``'s edit probability of an image (and ``second``'s: the features are
    computed once, for both)."""
    models = [model] if second is None else [model, second]
    used = {name for m in models for name in (m.card.get("features") or forensics.FEATURES)}
    values = forensics.features(image, used)
    probability = float(score_features(model, values[None, :])[0])
    return Scored(
        probability=probability,
        features={
            name: round(float(v), 4)
            for name, v in zip(forensics.FEATURES, values, strict=True)
            if name in used
        },
        second_probability=(
            None if second is None else float(score_features(second, values[None, :])[0])
        ),
    )
