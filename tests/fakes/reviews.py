"""The reviews repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/reviews/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from chalicelib.core.dynamo import time_key
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.reviews import repository
from chalicelib.reviews.domain import (
    Aggregate,
    AuditEntry,
    Edit,
    ModerationReason,
    NewReview,
    Photo,
    Problem,
    Reply,
    Review,
    ReviewStatus,
    Sentiment,
    SubjectKind,
    VoteKind,
)
from chalicelib.reviews.errors import AlreadyReviewedError, ReviewChangedError


class InMemoryReviewsRepository:
    """Every method of ``chalicelib.reviews.repository.ReviewsRepository``, in dicts."""

    def __init__(self) -> None:
        self.reviews: dict[str, Review] = {}
        self.claims: dict[tuple[str, str, str], str] = {}
        self.votes: set[tuple[str, str, str]] = set()
        self.audits: dict[str, list[AuditEntry]] = {}
        self.aggregates: dict[tuple[SubjectKind, str], Aggregate] = {}
        self.queued_at: dict[str, str] = {}
        self.photos: dict[tuple[str, str], Photo] = {}

    def save_photo(self, author_id: str, photo: Photo) -> None:
        self.photos[(author_id, photo.photo_id)] = photo

    def photo(self, author_id: str, photo_id: str) -> Photo | None:
        return self.photos.get((author_id, photo_id))

    def forget_photo(self, author_id: str, photo_id: str) -> None:
        self.photos.pop((author_id, photo_id), None)

    def photos_in_use(self, author_id: str) -> set[str]:
        return {
            photo.photo_id
            for (author, _, _), review_id in self.claims.items()
            if author == author_id and self.reviews[review_id].status is not ReviewStatus.DELETED
            for photo in self.reviews[review_id].photos
        }

    def add(self, new: NewReview) -> Review:
        claim = (new.author_id, new.subject.value, new.subject_id)
        if claim in self.claims:
            raise AlreadyReviewedError.of(self.claims[claim])
        review = Review(
            review_id=new.review_id,
            product_id=new.product_id,
            shop_id=new.shop_id,
            seller_id=new.seller_id,
            author_id=new.author_id,
            order_id=new.order_id,
            post_id=new.post_id,
            photos=new.photos,
            rating=new.rating,
            title=new.title,
            text=new.text,
            status=ReviewStatus.PUBLISHED,
            created_at=new.created_at,
            updated_at=new.created_at,
        )
        self.claims[claim] = new.review_id
        self.reviews[new.review_id] = review
        return review

    def get(self, review_id: str) -> Review | None:
        return self.reviews.get(review_id)

    def edit(
        self,
        review: Review,
        *,
        rating: int,
        title: str,
        text: str,
        photos: tuple[Photo, ...],
        now: datetime,
        keep: int,
    ) -> Review:
        stored = self.reviews.get(review.review_id)
        if (
            stored is None
            or stored.revision != review.revision
            or stored.status is not ReviewStatus.PUBLISHED
        ):
            raise ReviewChangedError("The review changed meanwhile; read it again")
        former = Edit(stored.revision, stored.rating, stored.title, stored.text, now)
        changed = replace(
            stored,
            rating=rating,
            title=title,
            text=text,
            photos=photos,
            updated_at=now,
            revision=stored.revision + 1,
            edits=(*stored.edits, former)[-keep:],
        )
        self.reviews[review.review_id] = changed
        return changed

    def delete(self, review: Review, *, now: datetime) -> Review:
        stored = self.reviews[review.review_id]
        if stored.status is ReviewStatus.DELETED:
            raise ReviewChangedError("The review is already deleted")
        self.claims.pop((stored.author_id, stored.subject.value, stored.subject_id), None)
        self.queued_at.pop(review.review_id, None)
        changed = replace(stored, status=ReviewStatus.DELETED, updated_at=now, photos=())
        self.reviews[review.review_id] = changed
        return changed

    def set_reply(self, review_id: str, reply: Reply) -> Review:
        if review_id not in self.reviews:
            raise ReviewChangedError("The review changed meanwhile; read it again")
        changed = replace(self.reviews[review_id], reply=reply)
        self.reviews[review_id] = changed
        return changed

    def set_status(self, review: Review, status: ReviewStatus, entry: AuditEntry) -> Review:
        stored = self.reviews[review.review_id]
        if stored.status is not review.status:
            raise ReviewChangedError("The review changed meanwhile; read it again")
        hidden = status is ReviewStatus.HIDDEN
        changed = replace(
            stored,
            status=status,
            moderation=(),
            hidden_reason=entry.reason if hidden else None,
            hidden_by=entry.actor_id if hidden else None,
        )
        self.queued_at.pop(review.review_id, None)
        self.reviews[review.review_id] = changed
        self.audits.setdefault(review.review_id, []).append(entry)
        return changed

    def audit(self, review_id: str) -> list[AuditEntry]:
        return list(self.audits.get(review_id, []))

    def _queue(self, review: Review, reasons: set[ModerationReason], key: str) -> Review:
        self.queued_at.setdefault(review.review_id, key)
        return replace(review, moderation=tuple(sorted({*review.moderation, *reasons})))

    def add_vote(
        self, review_id: str, kind: VoteKind, user_id: str, *, reason: str | None, now: datetime
    ) -> bool:
        if (review_id, kind.value, user_id) in self.votes:
            return False
        review = self.reviews[review_id]
        self.votes.add((review_id, kind.value, user_id))
        if kind is VoteKind.HELPFUL:
            review = replace(review, helpful_count=review.helpful_count + 1)
        else:
            review = replace(review, report_count=review.report_count + 1)
            review = self._queue(review, {ModerationReason.REPORTED}, time_key(now, review_id))
        self.reviews[review_id] = review
        return True

    def set_sentiment(
        self,
        review_id: str,
        sentiment: Sentiment,
        problems: tuple[Problem, ...],
        queue: tuple[ModerationReason, ...],
    ) -> Review | None:
        review = self.reviews.get(review_id)
        if review is None or review.revision != sentiment.revision:
            return None
        review = replace(review, sentiment=sentiment, problems=problems)
        if queue:
            review = self._queue(review, set(queue), time_key(sentiment.scored_at, review_id))
        self.reviews[review_id] = review
        return review

    def count(self, review: Review) -> bool:
        stored = self.reviews[review.review_id]
        if stored.counted_rating != review.counted_rating:
            return False
        old, new = review.counted_rating, review.rating_to_count
        if old == new:
            return True
        for kind, subject in review.subjects:
            current = self.aggregate(kind, subject)
            distribution = dict(current.distribution)
            if old is not None:
                distribution[old] -= 1
            if new is not None:
                distribution[new] += 1
            self.aggregates[(kind, subject)] = replace(
                current,
                count=current.count + (new is not None) - (old is not None),
                total=current.total + (new or 0) - (old or 0),
                distribution=distribution,
                revision=current.revision + 1,
            )
        self.reviews[review.review_id] = replace(stored, counted_rating=new)
        return True

    def aggregate(self, kind: SubjectKind, subject_id: str) -> Aggregate:
        return self.aggregates.get((kind, subject_id)) or Aggregate(kind, subject_id)

    def _page(
        self,
        items: list[Review],
        key: Any,
        partition: str,
        limit: int,
        cursor: str | None,
        *,
        ascending: bool = False,
    ) -> Page[Review]:
        start = decode_cursor(cursor)
        if start is not None:
            if start.get("list", {}).get("S") != partition:
                raise BadRequestError("Pagination cursor belongs to another list")
            after = start["after"]["S"]
            items = [i for i in items if (key(i) > after if ascending else key(i) < after)]
        page = items[:limit]
        more = None
        if len(page) == limit:
            more = {"list": {"S": partition}, "after": {"S": key(page[-1])}}
        return Page(items=page, next_cursor=encode_cursor(more))

    @staticmethod
    def _newest(reviews: list[Review]) -> list[Review]:
        return sorted(reviews, key=_created, reverse=True)

    def subject_reviews(
        self,
        kind: SubjectKind,
        subject_id: str,
        *,
        visible_only: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Review]:
        found = [
            r
            for r in self.reviews.values()
            if (r.subject, r.subject_id) == (kind, subject_id) and (r.visible or not visible_only)
        ]
        partition = f"{kind.value.upper()}#{subject_id}"
        return self._page(self._newest(found), _created, partition, limit, cursor)

    def shop_reviews(
        self, shop_id: str, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        found = [
            r
            for r in self.reviews.values()
            if r.shop_id == shop_id and (since is None or r.created_at >= since)
        ]
        return self._page(self._newest(found), _created, f"SHOP#{shop_id}", limit, cursor)

    def all_reviews(
        self, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        found = [r for r in self.reviews.values() if since is None or r.created_at >= since]
        return self._page(self._newest(found), _created, "REVIEWS", limit, cursor)

    def moderation_queue(self, *, limit: int, cursor: str | None) -> Page[Review]:
        queued = sorted(
            (self.reviews[rid] for rid in self.queued_at), key=lambda r: self.queued_at[r.review_id]
        )
        return self._page(
            queued,
            lambda r: self.queued_at[r.review_id],
            "MODERATION",
            limit,
            cursor,
            ascending=True,
        )


def _created(review: Review) -> str:
    return time_key(review.created_at, review.review_id)


@pytest.fixture
def reviews_repo() -> Iterator[InMemoryReviewsRepository]:
    """The reviews' services run on a fresh in-memory repository."""
    fake = InMemoryReviewsRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
