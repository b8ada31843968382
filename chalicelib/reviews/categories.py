"""Problem categories of review sentences: nearest prototype on sentence embeddings.

Each category is described by a few seed sentences (below). Its prototype is the mean of
their embeddings (the same model that scores sentiment embeds them, once per container).
A sentence of a review belongs to the category whose prototype is most similar (cosine),
if that similarity reaches ``MIN_SIMILARITY`` and beats the generic "no specific problem"
prototype; otherwise to none. ``ml/categories_eval.py`` measures the method on a
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
# What a sentence with no specific problem looks like (it wins over weak matches).
GENERIC = (
    "I bought this last month.",
    "I love it.",
    "It is okay.",
    "I would not recommend it.",
    "My family uses it every day.",
)
MIN_SIMILARITY = 0.35
MAX_SENTENCES = 12
_SPLIT = re.compile(r"(?<=[.!?])\s+|\s*[\n;]+\s*")


def sentences(text: str) -> list[str]:
    """A review's sentences (at most ``MAX_SENTENCES``; very short fragments dropped)."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= 3][:MAX_SENTENCES]


class Prototypes:
    """The categories' prototypes in one model's embedding space."""

    def __init__(self, embed: Callable[[str], npt.NDArray[np.float32]]) -> None:
        self.names = [*SEEDS, NONE]
        vectors = [np.mean([embed(seed) for seed in seeds], axis=0) for seeds in SEEDS.values()]
        vectors.append(np.mean([embed(seed) for seed in GENERIC], axis=0))
        matrix = np.asarray(vectors, dtype=np.float32)
        self.matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def nearest(self, embedding: npt.NDArray[np.float32]) -> tuple[str, float]:
        """The category of one unit-length sentence embedding and its similarity
        (``none`` when the generic prototype is nearer or no category is near enough)."""
        similarities = self.matrix @ embedding
        best = int(np.argmax(similarities))
        name, similarity = self.names[best], float(similarities[best])
        if name == NONE or similarity < MIN_SIMILARITY:
            return NONE, similarity
        return name, similarity
