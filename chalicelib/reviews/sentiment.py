"""The sentiment model at inference: a tokenizer and one onnxruntime session.

A model directory holds ``model.onnx`` (encoder + mean pooling + classifier head + softmax,
int8-quantized), ``tokenizer.json`` and ``manifest.json``. The evaluation command
(``ml/sentiment_eval.py``) and the runtime both score through ``SentimentModel.score``,
one text per run (no padding), so a text gets the same probabilities on either path.
Imports only numpy, onnxruntime and tokenizers: the training venv and the Lambda share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Score:
    """A text's sentiment: the most probable label, its probability, and all three."""

    label: str
    confidence: float
    probabilities: dict[str, float]


class SentimentModel:
    """One loaded model (cache it per container: a session costs ~0.3 s to build)."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = directory
        self.manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
        self.version = str(self.manifest["version"])
        self.labels = tuple(self.manifest.get("labels", LABELS))
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=int(self.manifest["max_length"]))
        options = ort.SessionOptions()
        # One thread: deterministic sums, and a Lambda has about one vCPU to give.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Token ids and attention mask (1 x n, int64) of ``text``, as the model reads it."""
        encoding = self._tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        return ids, np.ones_like(ids)

    def run(self, text: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The model's three probabilities (in ``labels`` order) and the unit-length
        sentence embedding of ``text`` (float32)."""
        ids, mask = self.encode(text)
        probabilities, embedding = self.session.run(
            ["probabilities", "embedding"], {"input_ids": ids, "attention_mask": mask}
        )
        return (
            np.asarray(probabilities[0], dtype=np.float32),
            np.asarray(embedding[0], dtype=np.float32),
        )

    def embed(self, text: str) -> npt.NDArray[np.float32]:
        """The unit-length sentence embedding of ``text``."""
        return self.run(text)[1]

    def score(self, text: str) -> Score:
        """The sentiment of one review text."""
        probs = self.run(text)[0]
        best = int(np.argmax(probs))
        return Score(
            label=self.labels[best],
            confidence=round(float(probs[best]), 6),
            probabilities={
                label: round(float(p), 6) for label, p in zip(self.labels, probs, strict=True)
            },
        )
