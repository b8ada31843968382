"""Scoring a bill's pixels for signs of editing with the trained ONNX model.

The model (``ml/bills/train_authenticity.py``) takes ``forensics.FEATURES`` and gives the
probability that the image was edited; its card carries the threshold chosen in
cross-validation. onnxruntime only: scikit-learn never enters a Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from chalicelib.bills import forensics
from chalicelib.bills.models_store import LoadedModel

MODEL_NAME = "bill-authenticity"


@dataclass(frozen=True)
class Scored:
    """The edit probability of one image and the features it came from."""

    probability: float
    features: dict[str, float]


def score_features(model: LoadedModel, values: NDArray[np.float32]) -> NDArray[np.float64]:
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


def score(model: LoadedModel, image: bytes) -> Scored:
    values = forensics.features(image, model.card.get("features"))
    probability = float(score_features(model, values[None, :])[0])
    used = set(model.card.get("features") or forensics.FEATURES)
    return Scored(
        probability=probability,
        features={
            name: round(float(v), 4)
            for name, v in zip(forensics.FEATURES, values, strict=True)
            if name in used
        },
    )
