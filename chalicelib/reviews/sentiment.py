"""The sentiment model at inference: a tokenizer and one onnxruntime session.

A model directory holds ``model.onnx`` (encoder + mean pooling + classifier head + softmax,
int8-quantized), ``tokenizer.json`` and ``manifest.json``. A manifest with a ``stack``
(v2 on) adds a second reader and a small combiner: a TF-IDF + logistic regression (its
weights in a JSON file, applied in numpy) and a multinomial logistic regression over both
readers' log-probabilities (and the text's length in tokens), with the neutral bias chosen
by cross-validation folded into its intercept. The evaluation command
(``ml/sentiment_eval.py``) and the runtime both score through ``SentimentModel.score``,
one text per run (no padding), so a text gets the same probabilities on either path.
Imports only numpy, onnxruntime and tokenizers: the training venv and the Lambda share it.
"""

from __future__ import annotations

import itertools
import json
import re
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


TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


class TfidfReader:
    """TF-IDF (word 1-2 grams, sublinear tf, l2) + logistic regression, in numpy: what
    scikit-learn's TfidfVectorizer and LogisticRegression.predict_proba compute."""

    def __init__(self, path: Path) -> None:
        weights = json.loads(path.read_text())
        self.vocabulary: dict[str, int] = weights["vocabulary"]
        self.idf = np.asarray(weights["idf"], dtype=np.float64)
        self.coef = np.asarray(weights["coef"], dtype=np.float64)
        self.intercept = np.asarray(weights["intercept"], dtype=np.float64)
        self.classes: list[str] = [str(c) for c in weights["classes"]]

    @staticmethod
    def terms(text: str) -> list[str]:
        words = TOKEN.findall(text.lower())
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    def scores(self, text: str) -> npt.NDArray[np.float64]:
        """The linear scores (one per class of ``classes``) of ``text``."""
        counts: dict[int, int] = {}
        for term in self.terms(text):
            index = self.vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return self.intercept.copy()
        terms = np.fromiter(counts, dtype=np.int64)
        values = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[terms]
        values /= np.linalg.norm(values)
        return np.asarray(self.coef[:, terms] @ values + self.intercept, dtype=np.float64)

    def probabilities(self, text: str) -> npt.NDArray[np.float64]:
        return _softmax(self.scores(text))


def _softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    e = np.exp(z - z.max())
    return np.asarray(e / e.sum(), dtype=np.float64)


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
        self._session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._stack: dict[str, Any] | None = self.manifest.get("stack")
        self._tfidf: TfidfReader | None = None
        if self._stack is not None:
            self._tfidf = TfidfReader(directory / self._stack["tfidf"])
            if self._tfidf.classes != list(self.labels):
                raise ValueError(f"{directory}: the TF-IDF reader's classes are not {self.labels}")

    def encode(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Token ids and attention mask (1 x n, int64) of ``text``, as the model reads it."""
        encoding = self._tokenizer.encode(text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        return ids, np.ones_like(ids)

    def run(self, text: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The model's three probabilities (in ``labels`` order; the stack's when the
        manifest has one) and the unit-length sentence embedding of ``text`` (float32)."""
        ids, mask = self.encode(text)
        probabilities, embedding = self._session.run(
            ["probabilities", "embedding"], {"input_ids": ids, "attention_mask": mask}
        )
        encoder = np.asarray(probabilities[0], dtype=np.float64)
        if self._stack is not None and self._tfidf is not None:
            features = {
                "encoder": np.log(np.clip(encoder, 1e-7, 1.0)),
                "tfidf": np.log(np.clip(self._tfidf.probabilities(text), 1e-7, 1.0)),
                "length": np.log1p([float(ids.shape[1])]),
            }
            x = np.concatenate([features[name] for name in self._stack["features"]])
            coef = np.asarray(self._stack["coef"], dtype=np.float64)
            encoder = _softmax(coef @ x + np.asarray(self._stack["intercept"], dtype=np.float64))
        return (
            np.asarray(encoder, dtype=np.float32),
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
