"""The reviews repository's contract: the DynamoDB one and the in-memory fake agree.

Every test runs on ``InMemoryReviewsRepository`` (tests/fakes/reviews.py) and on
``DynamoReviewsRepository`` against moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.reviews.domain import (
    AuditEntry,
    ModerationReason,
    NewReview,
    Photo,
    Problem,
    Reply,
    ReviewStatus,
    Sentiment,
    SentimentLabel,
    SubjectKind,
    VoteKind,
)
from chalicelib.reviews.errors import AlreadyReviewedError, ReviewChangedError
from tests.fakes.reviews import InMemoryReviewsRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryReviewsRepository()
        return
    request.getfixturevalue("aws_env")
    from chalicelib.reviews.repository import DynamoReviewsRepository

    yield DynamoReviewsRepository()


def new(review_id: str, author: str = "ann", product: str = "p-1", rating: int = 5) -> NewReview:
    return NewReview(
        review_id=review_id,
        product_id=product,
        shop_id="shop-1",
        seller_id="seller-1",
        author_id=author,
        order_id="o-1",
        rating=rating,
        title="Title",
        text="A review text.",
        created_at=clock.now(),
    )


def test_one_review_per_author_and_product_and_edits_keep_history(repo: Any) -> None:
    now = clock.now()
    first = repo.add(new("r-1"))
    assert (first.status, first.revision, first.counted_rating) == (ReviewStatus.PUBLISHED, 1, None)
    with pytest.raises(AlreadyReviewedError) as again:
        repo.add(new("r-2"))
    assert again.value.details["review_id"] == "r-1"
    assert repo.get("r-2") is None
    edited = repo.edit(first, rating=2, title="New", text="Changed.", photos=(), now=now, keep=2)
    assert (edited.rating, edited.revision, [e.rating for e in edited.edits]) == (2, 2, [5])
    with pytest.raises(ReviewChangedError):
        repo.edit(first, rating=3, title="Stale", text="Stale.", photos=(), now=now, keep=2)
    third = repo.edit(edited, rating=3, title="3", text="3.", photos=(), now=now, keep=2)
    fourth = repo.edit(third, rating=4, title="4", text="4.", photos=(), now=now, keep=2)
    assert [e.revision for e in fourth.edits] == [2, 3]  # only the last two kept
    assert repo.get("r-1") == fourth
    # Deleting frees the claim
    deleted = repo.delete(fourth, now=now)
    assert deleted.status is ReviewStatus.DELETED
    with pytest.raises(ReviewChangedError):
        repo.delete(deleted, now=now)
    assert repo.add(new("r-3")).review_id == "r-3"


def test_counting_moves_aggregates_once_and_only_from_the_mark_read(repo: Any) -> None:
    review = repo.add(new("r-1", rating=4))
    other = repo.add(new("r-2", author="bob", rating=2))
    assert repo.count(review) is True
    assert repo.count(review) is False  # stale: the stored mark is 4 now
    assert repo.count(repo.get("r-1")) is True  # nothing left to move
    assert repo.count(other) is True
    product = repo.aggregate(SubjectKind.PRODUCT, "p-1")
    assert (product.count, product.total, product.distribution) == (
        2,
        6,
        {1: 0, 2: 1, 3: 0, 4: 1, 5: 0},
    )
    entry = AuditEntry("r-1", "hide", "admin", "spam", clock.now())
    hidden = repo.set_status(repo.get("r-1"), ReviewStatus.HIDDEN, entry)
    assert (hidden.status, hidden.hidden_reason, hidden.hidden_by) == (
        ReviewStatus.HIDDEN,
        "spam",
        "admin",
    )
    with pytest.raises(ReviewChangedError):
        repo.set_status(review, ReviewStatus.HIDDEN, entry)  # read as PUBLISHED: stale
    assert repo.count(hidden) is True
    shop = repo.aggregate(SubjectKind.SHOP, "shop-1")
    assert (shop.count, shop.total, shop.distribution[4], shop.distribution[2]) == (1, 2, 0, 1)
    assert shop.revision > 0
    assert [(a.action, a.reason) for a in repo.audit("r-1")] == [("hide", "spam")]
    assert repo.aggregate(SubjectKind.PRODUCT, "none").count == 0


def test_votes_once_sentiment_for_its_revision_and_the_moderation_queue(repo: Any) -> None:
    now = clock.now()
    review = repo.add(new("r-1"))
    repo.add(new("r-2", author="bob"))
    assert repo.add_vote("r-1", VoteKind.HELPFUL, "bob", reason=None, now=now) is True
    assert repo.add_vote("r-1", VoteKind.HELPFUL, "bob", reason=None, now=now) is False
    assert repo.moderation_queue(limit=10, cursor=None).items == []
    assert repo.add_vote("r-1", VoteKind.REPORT, "bob", reason="spam", now=now) is True
    assert repo.add_vote("r-1", VoteKind.REPORT, "bob", reason="spam", now=now) is False
    stored = repo.get("r-1")
    assert (stored.helpful_count, stored.report_count, stored.moderation) == (
        1,
        1,
        (ModerationReason.REPORTED,),
    )
    sentiment = Sentiment(
        SentimentLabel.NEGATIVE,
        0.5,
        {"negative": 0.5, "neutral": 0.3, "positive": 0.2},
        "v1",
        1,
        now,
    )
    problems = (Problem("delivery", "It came late.", 0.6),)
    scored = repo.set_sentiment("r-2", sentiment, problems, (ModerationReason.LOW_CONFIDENCE,))
    assert scored is not None
    assert scored.sentiment == sentiment
    assert scored.problems == problems
    assert not scored.sentiment_pending
    assert repo.set_sentiment("r-2", replace(sentiment, revision=2), (), ()) is None
    queue = repo.moderation_queue(limit=10, cursor=None).items
    assert {r.review_id for r in queue} == {"r-1", "r-2"}
    reply = Reply("Thanks!", "seller-1", now, now + timedelta(seconds=1))
    assert repo.set_reply("r-1", reply).reply == reply
    # Hiding takes the review out of the queue
    repo.set_status(review, ReviewStatus.HIDDEN, AuditEntry("r-1", "hide", "a", "spam", now))
    assert [r.review_id for r in repo.moderation_queue(limit=10, cursor=None).items] == ["r-2"]


def test_lists_page_newest_first_by_product_shop_and_all(repo: Any) -> None:
    start = clock.now()
    for n in range(5):
        repo.add(replace(new(f"r-{n}", author=f"u{n}"), created_at=start + timedelta(seconds=n)))
    repo.add(replace(new("r-x", author="ux", product="p-2"), created_at=start))
    first = repo.subject_reviews(
        SubjectKind.PRODUCT, "p-1", visible_only=True, limit=3, cursor=None
    )
    assert [r.review_id for r in first.items] == ["r-4", "r-3", "r-2"]
    rest = repo.subject_reviews(
        SubjectKind.PRODUCT, "p-1", visible_only=True, limit=3, cursor=first.next_cursor
    )
    assert [r.review_id for r in rest.items] == ["r-1", "r-0"]
    assert len(repo.shop_reviews("shop-1", since=None, limit=10, cursor=None).items) == 6
    recent = repo.shop_reviews("shop-1", since=start + timedelta(seconds=3), limit=10, cursor=None)
    assert [r.review_id for r in recent.items] == ["r-4", "r-3"]
    assert len(repo.all_reviews(since=None, limit=10, cursor=None).items) == 6
    entry = AuditEntry("r-4", "hide", "a", "spam", start)
    repo.set_status(repo.get("r-4"), ReviewStatus.HIDDEN, entry)
    visible = repo.subject_reviews(
        SubjectKind.PRODUCT, "p-1", visible_only=True, limit=10, cursor=None
    )
    assert [r.review_id for r in visible.items] == ["r-3", "r-2", "r-1", "r-0"]
    everything = repo.subject_reviews(
        SubjectKind.PRODUCT, "p-1", visible_only=False, limit=10, cursor=None
    )
    assert len(everything.items) == 5


def test_photos_are_stored_with_the_review_and_replaced_by_an_edit(repo: Any) -> None:
    shot = Photo("ph-1", "media/reviews/ann/ph-1.webp", 640, 480)
    other = Photo("ph-2", "media/reviews/ann/ph-2.webp", 100, 200)
    assert repo.photo("ann", "ph-1") is None
    repo.save_photo("ann", shot)
    assert repo.photo("ann", "ph-1") == shot
    assert repo.photo("bob", "ph-1") is None
    made = repo.add(replace(new("r-1"), photos=(shot,)))
    assert made.photos == (shot,)
    assert repo.get("r-1").photos == (shot,)
    edited = repo.edit(
        made, rating=4, title="T", text="Changed.", photos=(other,), now=clock.now(), keep=5
    )
    assert repo.get("r-1").photos == edited.photos == (other,)
    cleared = repo.edit(
        edited, rating=4, title="T", text="No photos.", photos=(), now=clock.now(), keep=5
    )
    assert repo.get("r-1").photos == cleared.photos == ()


def test_the_photos_in_use_are_those_of_the_authors_reviews_not_deleted(repo: Any) -> None:
    shot = Photo("ph-1", "media/reviews/ann/ph-1.webp", 640, 480)
    other = Photo("ph-2", "media/reviews/ann/ph-2.webp", 100, 200)
    repo.save_photo("ann", shot)
    repo.save_photo("ann", other)
    assert repo.photos_in_use("ann") == set()
    first = repo.add(replace(new("r-1"), photos=(shot, other)))
    repo.add(replace(new("r-2", product="p-2"), photos=(other,)))
    repo.add(replace(new("r-3", author="bob"), photos=(shot,)))
    assert repo.photos_in_use("ann") == {"ph-1", "ph-2"}
    deleted = repo.delete(first, now=clock.now())
    assert deleted.photos == ()
    assert repo.get("r-1").photos == ()
    assert repo.photos_in_use("ann") == {"ph-2"}
    assert repo.photos_in_use("bob") == {"ph-1"}
    repo.forget_photo("ann", "ph-1")
    repo.forget_photo("ann", "ph-1")  # idempotent
    assert repo.photo("ann", "ph-1") is None
    assert repo.photo("ann", "ph-2") == other


def test_a_shop_review_claims_the_shop_and_counts_only_in_the_shops_aggregate(repo: Any) -> None:
    shop_review = replace(new("r-1"), product_id=None, order_id=None, post_id="post-1")
    made = repo.add(shop_review)
    assert (made.subject, made.subject_id, made.post_id) == (SubjectKind.SHOP, "shop-1", "post-1")
    with pytest.raises(AlreadyReviewedError):
        repo.add(replace(shop_review, review_id="r-2"))
    repo.add(new("r-3"))  # a product review by the same shopper is another claim
    assert repo.count(made)
    assert repo.aggregate(SubjectKind.SHOP, "shop-1").count == 1
    own = repo.subject_reviews(SubjectKind.SHOP, "shop-1", visible_only=True, limit=10, cursor=None)
    assert [r.review_id for r in own.items] == ["r-1"]
    products = repo.subject_reviews(
        SubjectKind.PRODUCT, "p-1", visible_only=True, limit=10, cursor=None
    )
    assert [r.review_id for r in products.items] == ["r-3"]
