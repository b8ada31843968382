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

import json
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


def tfidf(model_dir: Path, texts: Sequence[str]) -> list[str]:
    """The shipped TF-IDF + LR baseline's labels for ``texts`` (numpy: what scikit-learn's
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) and the linear model compute;
    the runtime's own reader, which v2's stack also uses)."""
    from chalicelib.reviews.sentiment import TfidfReader

    reader = TfidfReader(model_dir / BASELINE_FILE)
    return [reader.classes[int(reader.scores(text).argmax())] for text in texts]


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
