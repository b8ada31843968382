"""The two baselines the sentiment model is measured against.

- VADER (lexicon, no training): compound >= 0.05 positive, <= -0.05 negative, else neutral
  (its authors' thresholds).
- TF-IDF (word 1-2 grams) + logistic regression with balanced class weights, fit by the
  train command on the same training rows as the model and shipped beside it as its own
  small JSON of weights (``baseline_tfidf.json``, applied in numpy exactly as
  scikit-learn does), so the evaluation command never trains. (skl2onnx's TF-IDF graph
  needs an ``en_US.UTF-8`` locale that this machine and CI do not have.)
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path

BASELINE_FILE = "baseline_tfidf.json"


def vader(texts: Sequence[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        out.append(
            "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        )
    return out


TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def _terms(text: str) -> list[str]:
    words = TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def tfidf(model_dir: Path, texts: Sequence[str]) -> list[str]:
    """The shipped TF-IDF + LR baseline's labels for ``texts`` (numpy: what scikit-learn's
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) and the linear model compute)."""
    import numpy as np

    weights = json.loads((model_dir / BASELINE_FILE).read_text())
    vocabulary: dict[str, int] = weights["vocabulary"]
    idf = np.asarray(weights["idf"], dtype=np.float64)
    coef = np.asarray(weights["coef"], dtype=np.float64)
    intercept = np.asarray(weights["intercept"], dtype=np.float64)
    classes: list[str] = weights["classes"]
    out = []
    for text in texts:
        counts: dict[int, int] = {}
        for term in _terms(text):
            index = vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        vector = np.zeros(len(idf))
        for index, count in counts.items():
            vector[index] = (1 + np.log(count)) * idf[index]
        norm = np.linalg.norm(vector)
        if norm:
            vector /= norm
        out.append(classes[int(np.argmax(coef @ vector + intercept))])
    return out


def fit_tfidf(texts: Sequence[str], labels: Sequence[str], target: Path, seed: int) -> None:
    """Fit the TF-IDF + LR baseline and write its weights as JSON (training venv only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(list(texts))
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features, list(labels))
    target.write_text(
        json.dumps(
            {
                "vocabulary": {term: int(i) for term, i in vectorizer.vocabulary_.items()},
                "idf": vectorizer.idf_.round(6).tolist(),
                "coef": model.coef_.round(6).tolist(),
                "intercept": model.intercept_.round(6).tolist(),
                "classes": [str(c) for c in model.classes_],
            }
        )
    )
