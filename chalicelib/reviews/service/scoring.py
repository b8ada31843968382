"""Sentiment and problem categories of a review, scored asynchronously.

The consumer of ``review.created`` / ``review.updated`` calls ``score(review_id)``. The
model (``chalicelib.reviews.sentiment``) is loaded from the models bucket once per
container; a failure to load or run it raises SentimentUnavailableError, so the message
is retried (then dead-lettered) while the review stays published with its score pending.
A score is stored only for the revision it read, so a late message for an edited review
stores nothing, and a duplicate one stores the same values again.
"""

from __future__ import annotations

import re
from functools import lru_cache

from chalicelib.core import clock
from chalicelib.core.model_store import ModelUnavailableError, load_model
from chalicelib.core.settings import get_settings
from chalicelib.reviews import repository
from chalicelib.reviews.categories import NONE, Prototypes, sentences
from chalicelib.reviews.domain import (
    ModerationReason,
    Problem,
    Review,
    Sentiment,
    SentimentLabel,
)
from chalicelib.reviews.errors import SentimentUnavailableError
from chalicelib.reviews.sentiment import SentimentModel

MODEL_NAME = "sentiment"
# Insults and slurs that, in a negative review, send it to the moderation queue.
ABUSIVE = re.compile(
    r"\b(idiots?|stupid|morons?|scam+ers?|crooks?|thie(f|ves)|liars?|f+u+c+k\w*|sh[i1]t\w*|"
    r"bastards?|bitch\w*|ass(hole)?s?|crap+y?|damn\w*|hell)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=2)
def model(version: str | None = None) -> SentimentModel:
    """The sentiment model of ``version`` (the configured one), one per container."""
    wanted = version or get_settings().sentiment_model_version
    try:
        return SentimentModel(load_model(MODEL_NAME, wanted))
    except (ModelUnavailableError, OSError, ValueError, RuntimeError) as error:
        raise SentimentUnavailableError(f"sentiment model {wanted} unavailable: {error}") from error


@lru_cache(maxsize=2)
def prototypes(version: str | None = None) -> Prototypes:
    """The problem categories' prototypes in the model's embedding space (once)."""
    return Prototypes(model(version).embed)


def text_of(review: Review) -> str:
    """What the model reads of a review: its title and text (as in training)."""
    title, text = " ".join(review.title.split()), " ".join(review.text.split())
    return f"{title}. {text}" if title and text else title or text


def problems_of(review: Review, label: SentimentLabel) -> tuple[Problem, ...]:
    """Problem categories of the sentences of a negative or neutral review (or one rated
    1-3); a positive review names no problem."""
    if label is SentimentLabel.POSITIVE and review.rating > 3:
        return ()
    found: list[Problem] = []
    near = prototypes()
    for sentence in sentences(review.text) or sentences(text_of(review)):
        category, similarity = near.nearest(model().embed(sentence), sentence)
        if category != NONE:
            found.append(Problem(category, sentence, round(similarity, 4)))
    return tuple(found)


def score(review_id: str) -> Review | None:
    """Score the review's current revision and store it (None if it is gone or deleted)."""
    review = repository.get().get(review_id)
    if review is None or not review.sentiment_pending:
        return review
    try:
        result = model().score(text_of(review))
        label = SentimentLabel(result.label)
        problems = problems_of(review, label)
    except SentimentUnavailableError:
        raise
    except Exception as error:
        raise SentimentUnavailableError(f"sentiment scoring failed: {error}") from error
    sentiment = Sentiment(
        label=label,
        confidence=result.confidence,
        probabilities=result.probabilities,
        model_version=model().version,
        revision=review.revision,
        scored_at=clock.now(),
    )
    queue: list[ModerationReason] = []
    if result.confidence < get_settings().sentiment_low_confidence:
        queue.append(ModerationReason.LOW_CONFIDENCE)
    if label is SentimentLabel.NEGATIVE and ABUSIVE.search(text_of(review)):
        queue.append(ModerationReason.NEGATIVE_ABUSIVE)
    return repository.get().set_sentiment(review_id, sentiment, problems, tuple(queue))
