"""Problem categories of review sentences: nearest prototype on sentence embeddings.

Each category is described by a few seed sentences (below). Its prototype is the mean of
their embeddings (the same model that scores sentiment embeds them, once per container).
A sentence of a review belongs to the category with the highest score: the cosine
similarity of the sentence to its prototype, plus ``CUE_BOOST`` if one of the category's
cue words occurs in it; below ``MIN_SIMILARITY``, to none. (Threshold, boost and the
choice to drop a generic "no problem" prototype were chosen on the dev half of the
sample; the test half reports.) ``ml/categories_eval.py`` measures the method on a
hand-labelled sample of real review sentences (``ml/problem_categories_sample.csv``).
Pure numpy: no model is loaded here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

NONE = "none"
SEEDS: dict[str, tuple[str, ...]] = {
    "delivery": (
        "The package arrived late.",
        "Shipping took weeks and the order never came.",
        "Delivery was slow and the tracking was wrong.",
        "It was delivered to the wrong address.",
        "I am still waiting for my order to arrive.",
    ),
    "quality": (
        "The material feels cheap and thin.",
        "Poor quality, it looks cheap.",
        "The fabric is flimsy and see-through.",
        "Low quality product, not what I expected.",
        "The sound quality is poor.",
    ),
    "size_fit": (
        "It runs small, order a size up.",
        "The fit is too tight in the chest.",
        "Way too big and baggy, the sizing is off.",
        "Too long for my height, the proportions are wrong.",
        "The cut is unflattering and it does not fit well.",
    ),
    "price": (
        "Too expensive for what you get.",
        "Overpriced, not worth the money.",
        "The price is too high.",
        "I could buy it cheaper elsewhere.",
        "A waste of money.",
    ),
    "service": (
        "Customer service was rude and unhelpful.",
        "Support never answered my emails.",
        "The staff ignored us and the waiter was slow.",
        "They refused to give me a refund.",
        "Nobody helped me with my problem.",
    ),
    "packaging": (
        "The box was damaged when it arrived.",
        "The packaging was torn and dirty.",
        "It came poorly packed without protection.",
        "The packaging was opened and items were missing.",
        "The seal was broken on the box.",
    ),
    "defects": (
        "It stopped working after a week.",
        "It broke after a few days.",
        "The device keeps disconnecting and freezing.",
        "It arrived broken and does not turn on.",
        "The battery died and it will not charge.",
    ),
}
# Cue words per category: a hit adds CUE_BOOST to that category's similarity (a prior,
# not a rule: the embedding still decides between categories and against "none").
CUES: dict[str, str] = {
    "delivery": r"deliver|shipping|arriv|late|tracking",
    "quality": r"quality|cheap|flimsy|thin",
    "size_fit": r"size|fit|small|large|tight|big",
    "price": r"price|expensive|money|cost|\$",
    "service": r"service|support|rude|staff|waiter|refund",
    "packaging": r"box|packag|packed",
    "defects": r"broke|broken|defect|stopped working|not work",
}
CUE_BOOST = 0.3
MIN_SIMILARITY = 0.2
MAX_SENTENCES = 12
_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*[\n;]+\s*")
_CUES = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in CUES.items()}


def sentences(text: str) -> list[str]:
    """A review's sentences (at most ``MAX_SENTENCES``; very short fragments dropped)."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= 3][:MAX_SENTENCES]


class Prototypes:
    """The categories' prototypes in one model's embedding space."""

    def __init__(self, embed: Callable[[str], npt.NDArray[np.float32]]) -> None:
        self.names = list(SEEDS)
        vectors = [np.mean([embed(seed) for seed in seeds], axis=0) for seeds in SEEDS.values()]
        matrix = np.asarray(vectors, dtype=np.float32)
        self.matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def nearest(self, embedding: npt.NDArray[np.float32], sentence: str = "") -> tuple[str, float]:
        """The category of one sentence (its unit-length embedding, and its words for the
        cues) and the score that chose it; ``none`` when no category scores
        ``MIN_SIMILARITY``."""
        scores = self.matrix @ embedding
        for index, name in enumerate(self.names):
            if sentence and _CUES[name].search(sentence):
                scores[index] += CUE_BOOST
        best = int(np.argmax(scores))
        if float(scores[best]) < MIN_SIMILARITY:
            return NONE, float(scores[best])
        return self.names[best], float(scores[best])
