"""The problem-category rule (prototype similarity + cue prior + threshold) on hand-made
unit vectors, and the analytics report and CSV on reviews in the in-memory repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.reviews import categories
from chalicelib.reviews.categories import NONE, SEEDS, Prototypes, sentences
from chalicelib.reviews.domain import (
    CATEGORY_ADVICE,
    NewReview,
    Problem,
    ReviewStatus,
    Sentiment,
    SentimentLabel,
)
from chalicelib.reviews.service import analytics
from tests.fakes.reviews import InMemoryReviewsRepository

NAMES = list(SEEDS)


def axis_embed(text: str) -> np.ndarray:
    """Each category's seeds point along that category's own axis; anything else along
    a last, unrelated axis."""
    vector = np.zeros(len(NAMES) + 1, dtype=np.float32)
    for index, name in enumerate(NAMES):
        if text in SEEDS[name]:
            vector[index] = 1.0
            return vector
    vector[-1] = 1.0
    return vector


def test_the_nearest_prototype_wins_and_cue_words_only_tip_the_balance() -> None:
    near = Prototypes(axis_embed)
    delivery = np.zeros(len(NAMES) + 1, dtype=np.float32)
    delivery[NAMES.index("delivery")] = 1.0
    assert near.nearest(delivery, "It came on time.") == ("delivery", pytest.approx(1.0))
    # A sentence near no prototype is "none", unless a cue word lifts a category over the bar
    unrelated = np.zeros(len(NAMES) + 1, dtype=np.float32)
    unrelated[-1] = 1.0
    assert near.nearest(unrelated, "We had a lovely afternoon.")[0] == NONE
    assert near.nearest(unrelated, "Way too expensive.")[0] == "price"
    # Between two close categories, the cue decides
    mixed = np.zeros(len(NAMES) + 1, dtype=np.float32)
    mixed[NAMES.index("quality")] = 0.6
    mixed[NAMES.index("defects")] = 0.62
    mixed /= np.linalg.norm(mixed)
    assert near.nearest(mixed, "")[0] == "defects"
    assert near.nearest(mixed, "The fabric feels cheap.")[0] == "quality"
    assert categories.MIN_SIMILARITY > 0


def test_sentences_split_on_stops_and_drop_fragments() -> None:
    text = "Runs small! The sole came loose after a week. Meh. Box was crushed; no tracking given"
    assert sentences(text) == [
        "The sole came loose after a week.",
        "Box was crushed",
        "no tracking given",
    ]


def test_the_report_counts_months_sentiment_and_recurring_problems() -> None:
    repo = InMemoryReviewsRepository()
    rows = [
        (datetime(2026, 9, 3, tzinfo=UTC), 1, "negative", ("defects", "service")),
        (datetime(2026, 9, 20, tzinfo=UTC), 2, "negative", ("defects",)),
        (datetime(2026, 10, 1, tzinfo=UTC), 5, "positive", ()),
        (datetime(2026, 10, 2, tzinfo=UTC), 3, None, ()),
    ]
    for n, (when, rating, label, problems) in enumerate(rows):
        review = repo.add(
            NewReview(f"r{n}", "p-1", "shop-1", "seller-1", f"u{n}", "o", rating, "t", "text", when)
        )
        if label:
            sentiment = Sentiment(SentimentLabel(label), 0.9, {}, "v1", 1, when)
            found = tuple(Problem(c, f"{c} sentence {n}", 0.5 + n / 10) for c in problems)
            repo.set_sentiment(review.review_id, sentiment, found, ())
    hidden = repo.add(
        NewReview("r9", "p-1", "shop-1", "seller-1", "u9", "o", 1, "t", "x", rows[0][0])
    )
    repo.reviews["r9"] = replace(hidden, status=ReviewStatus.HIDDEN)
    from chalicelib.reviews import repository

    repository.use(repo)
    try:
        seller = Caller("seller-1", Role.SELLER, shop_id="shop-1")
        result = analytics.report(
            seller, analytics.scope_for(seller, shop_id=None, product_id=None)
        )
    finally:
        repository.use(None)
    assert (result.reviews, result.negative_reviews) == (4, 2)  # the hidden one left out
    assert [(p.month, p.reviews, p.average) for p in result.periods] == [
        ("2026-09", 2, 1.5),
        ("2026-10", 2, 4.0),
    ]
    assert result.periods[1].sentiment == {"negative": 0, "neutral": 0, "positive": 1, "pending": 1}
    assert [(c.category, c.reviews, c.share) for c in result.categories] == [
        ("defects", 2, 1.0),
        ("service", 1, 0.5),
    ]
    assert result.categories[0].examples[0] == "defects sentence 1"  # the most typical first
    csv_text = analytics.to_csv(result)
    assert "month,2026-09,2,1.5,1,1,0,0,0,2,0,0,0" in csv_text
    assert "category,defects,2,1.0," in csv_text


def _report_of_three_problems() -> analytics.Report:
    repo = InMemoryReviewsRepository()
    when = datetime(2026, 11, 3, tzinfo=UTC)
    for n, problems in enumerate((("defects", "packaging"), ("defects",), ("delivery",))):
        review = repo.add(
            NewReview(f"r{n}", "p-1", "shop-1", "seller-1", f"u{n}", "o", 1, "t", "text", when)
        )
        sentiment = Sentiment(SentimentLabel.NEGATIVE, 0.9, {}, "v1", 1, when)
        found = tuple(Problem(c, f"The {c} complaint {n}.", 0.6) for c in problems)
        repo.set_sentiment(review.review_id, sentiment, found, ())
    from chalicelib.reviews import repository

    repository.use(repo)
    try:
        seller = Caller("seller-1", Role.SELLER, shop_id="shop-1")
        return analytics.report(seller, analytics.scope_for(seller, shop_id=None, product_id=None))
    finally:
        repository.use(None)


def test_suggestions_are_offline_by_default_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_bedrock(prompt: str, **_: object) -> str:
        raise AssertionError("Bedrock was called while not configured")

    monkeypatch.setattr(analytics.bedrock, "converse", no_bedrock)
    result = _report_of_three_problems()
    assert {c.category: c.suggestion_source for c in result.categories} == {
        "defects": "offline",
        "packaging": "offline",
        "delivery": "offline",
    }
    assert result.categories[0].suggestion == CATEGORY_ADVICE["defects"]
    assert ",offline," in analytics.to_csv(result)


def test_bedrock_drafts_suggestions_from_the_complaints_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.core.settings import reset_settings

    # Given Bedrock configured for review suggestions, answering two of three categories
    monkeypatch.setenv("BAZAAR_REVIEW_SUGGESTIONS_PROVIDER", "bedrock")
    reset_settings()
    asked: list[str] = []

    def converse(prompt: str, **_: object) -> str | None:
        asked.append(prompt)
        return (
            "defects: Test every unit before it ships and replace faulty ones within a week.\n"
            "- **Packaging**: Double-box fragile items.\n"
            "weather: not a category we asked about"
        )

    monkeypatch.setattr(analytics.bedrock, "converse", converse)
    try:
        result = _report_of_three_problems()
    finally:
        monkeypatch.delenv("BAZAAR_REVIEW_SUGGESTIONS_PROVIDER")
        reset_settings()
    # Then one call was made, with each category's count and complaints
    [prompt] = asked
    assert '"category": "defects", "negative_reviews": 2' in prompt
    assert "The delivery complaint 2." in prompt
    # And the answered categories are marked as drafted by Bedrock; the other keeps the advice
    by_name = {c.category: c for c in result.categories}
    assert {name: c.suggestion_source for name, c in by_name.items()} == {
        "defects": "bedrock",
        "packaging": "bedrock",
        "delivery": "offline",
    }
    assert by_name["packaging"].suggestion == "Double-box fragile items."
    assert by_name["delivery"].suggestion == CATEGORY_ADVICE["delivery"]


def test_a_failing_bedrock_leaves_the_offline_suggestions(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_REVIEW_SUGGESTIONS_PROVIDER", "bedrock")
    reset_settings()
    monkeypatch.setattr(analytics.bedrock, "converse", lambda prompt, **_: None)
    try:
        result = _report_of_three_problems()
    finally:
        monkeypatch.delenv("BAZAAR_REVIEW_SUGGESTIONS_PROVIDER")
        reset_settings()
    assert {c.suggestion_source for c in result.categories} == {"offline"}


def test_converse_returns_the_models_text_and_none_when_bedrock_fails() -> None:
    from botocore.stub import Stubber

    from chalicelib.core import aws, bedrock
    from chalicelib.core.settings import get_settings

    client = aws.client("bedrock-runtime")
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            {
                "output": {
                    "message": {"role": "assistant", "content": [{"text": " Pack better. "}]}
                },
                "stopReason": "end_turn",
                "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
                "metrics": {"latencyMs": 5},
            },
            {
                "modelId": get_settings().bedrock_model_id,
                "messages": [{"role": "user", "content": [{"text": "Advise."}]}],
                "inferenceConfig": {"maxTokens": 50, "temperature": 0.7},
            },
        )
        stub.add_client_error("converse", "ThrottlingException")
        assert bedrock.converse("Advise.", max_tokens=50) == "Pack better."
        assert bedrock.converse("Advise again.") is None
