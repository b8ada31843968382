"""The reviews table: every read and write of reviews, claims, votes, audit and aggregates.

``ReviewsRepository`` is the port in domain terms; ``DynamoReviewsRepository`` the DynamoDB
implementation. Services call ``repository.get()``; use-case tests swap in the in-memory
fake (``tests/fakes/reviews.py``), and both pass
``tests/integration/reviews/test_repository_contract.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import clock
from chalicelib.core.dynamo import (
    TransactionCancelledError,
    condition_failed,
    new_id,
    time_key,
    transaction,
)
from chalicelib.core.errors import BadRequestError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.reviews import models as m
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
    SentimentLabel,
    SubjectKind,
    VoteKind,
)
from chalicelib.reviews.errors import AlreadyReviewedError, ReviewChangedError

T = TypeVar("T")


class ReviewsRepository(Protocol):
    """Reviews, one-per-shopper claims, votes, audit entries and rating aggregates."""

    def add(self, new: NewReview) -> Review:
        """Store a review and its author's claim on the product at once;
        AlreadyReviewedError (with the existing id) if the shopper has one."""
        ...

    def get(self, review_id: str) -> Review | None:
        """The review (strongly consistent), or None."""
        ...

    def save_photo(self, author_id: str, photo: Photo) -> None:
        """Remember a photo of the author's that passed the image checks."""
        ...

    def photo(self, author_id: str, photo_id: str) -> Photo | None:
        """The author's checked photo, or None."""
        ...

    def forget_photo(self, author_id: str, photo_id: str) -> None:
        """Forget a checked photo (it can no longer be attached); idempotent."""
        ...

    def photos_in_use(self, author_id: str) -> set[str]:
        """The ids of the photos the author's reviews show (every review they have not
        deleted, hidden ones too: they may be restored)."""
        ...

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
        """The author's new version (with ``photos``); the former one joins ``edits`` (the
        last ``keep``). ReviewChangedError if ``review`` is no longer the stored revision."""
        ...

    def delete(self, review: Review, *, now: datetime) -> Review:
        """Mark deleted (its photos dropped: their files go) and free the author's claim
        (they may review the product again)."""
        ...

    def set_reply(self, review_id: str, reply: Reply) -> Review:
        """Set or replace the shop's reply."""
        ...

    def set_status(self, review: Review, status: ReviewStatus, entry: AuditEntry) -> Review:
        """Hide or restore (out of the moderation queue), with its audit entry, at once.
        ReviewChangedError if the status moved meanwhile."""
        ...

    def audit(self, review_id: str) -> list[AuditEntry]:
        """The review's audit entries, oldest first."""
        ...

    def add_vote(
        self, review_id: str, kind: VoteKind, user_id: str, *, reason: str | None, now: datetime
    ) -> bool:
        """Record a helpful mark or a report once (a report queues the review for
        moderation); False if the shopper already did."""
        ...

    def set_sentiment(
        self,
        review_id: str,
        sentiment: Sentiment,
        problems: tuple[Problem, ...],
        queue: tuple[ModerationReason, ...],
    ) -> Review | None:
        """Store the score and problems if the review is still at ``sentiment.revision``
        (None if not), queueing it for moderation with ``queue`` reasons."""
        ...

    def count(self, review: Review) -> bool:
        """Make the aggregates hold ``review.rating_to_count`` instead of what they hold for
        it (``review.counted_rating``), with the review's mark, in one transaction. False
        (nothing written) if the stored mark is no longer ``review.counted_rating``."""
        ...

    def aggregate(self, kind: SubjectKind, subject_id: str) -> Aggregate:
        """A product's or shop's counted ratings (zero when none)."""
        ...

    def subject_reviews(
        self,
        kind: SubjectKind,
        subject_id: str,
        *,
        visible_only: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Review]:
        """A product's reviews, or the reviews of a shop itself (not of its products),
        newest first."""
        ...

    def shop_reviews(
        self, shop_id: str, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        """A shop's reviews (every status), newest first."""
        ...

    def all_reviews(
        self, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        """Every review (admin), newest first."""
        ...

    def moderation_queue(self, *, limit: int, cursor: str | None) -> Page[Review]:
        """Reviews waiting for an admin, oldest first."""
        ...


# ---------- conversions ----------
def _sentiment_of(data: dict[str, Any] | None) -> Sentiment | None:
    if not data:
        return None
    return Sentiment(
        label=SentimentLabel(data["label"]),
        confidence=float(data["confidence"]),
        probabilities={k: float(v) for k, v in data["probabilities"].items()},
        model_version=str(data["model_version"]),
        revision=int(data["revision"]),
        scored_at=clock.parse(data["scored_at"]),
    )


def _sentiment_data(value: Sentiment) -> dict[str, Any]:
    return {
        "label": str(value.label),
        "confidence": value.confidence,
        "probabilities": value.probabilities,
        "model_version": value.model_version,
        "revision": value.revision,
        "scored_at": clock.iso(value.scored_at),
    }


def _problem_data(problem: Problem) -> dict[str, Any]:
    return {
        "category": problem.category,
        "sentence": problem.sentence,
        "similarity": problem.similarity,
    }


def _problem_of(data: dict[str, Any]) -> Problem:
    return Problem(
        category=data["category"], sentence=data["sentence"], similarity=float(data["similarity"])
    )


def _reply_of(data: dict[str, Any] | None) -> Reply | None:
    if not data:
        return None
    return Reply(
        text=data["text"],
        author_id=data["author_id"],
        created_at=clock.parse(data["created_at"]),
        updated_at=clock.parse(data["updated_at"]),
    )


def _reply_data(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "author_id": reply.author_id,
        "created_at": clock.iso(reply.created_at),
        "updated_at": clock.iso(reply.updated_at),
    }


def _photo_data(photo: Photo) -> dict[str, Any]:
    return {
        "photo_id": photo.photo_id,
        "key": photo.key,
        "width": photo.width,
        "height": photo.height,
    }


def _photo_of(data: dict[str, Any]) -> Photo:
    return Photo(
        photo_id=data["photo_id"],
        key=data["key"],
        width=int(data["width"]),
        height=int(data["height"]),
    )


def _edit_data(edit: Edit) -> dict[str, Any]:
    return {
        "revision": edit.revision,
        "rating": edit.rating,
        "title": edit.title,
        "text": edit.text,
        "edited_at": clock.iso(edit.edited_at),
    }


def _edit_of(data: dict[str, Any]) -> Edit:
    return Edit(
        revision=int(data["revision"]),
        rating=int(data["rating"]),
        title=data["title"],
        text=data["text"],
        edited_at=clock.parse(data["edited_at"]),
    )


def review_of(item: m.Review) -> Review:
    return Review(
        review_id=item.review_id,
        product_id=item.product_id,
        shop_id=item.shop_id,
        seller_id=item.seller_id,
        author_id=item.author_id,
        order_id=item.order_id,
        rating=int(item.rating),
        title=item.title,
        text=item.text,
        status=ReviewStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        revision=int(item.revision or 1),
        edits=tuple(_edit_of(e) for e in (item.edits or [])),
        reply=_reply_of(item.reply),
        sentiment=_sentiment_of(item.sentiment),
        problems=tuple(_problem_of(p) for p in (item.problems or [])),
        counted_rating=None if item.counted_rating is None else int(item.counted_rating),
        helpful_count=int(item.helpful_count or 0),
        report_count=int(item.report_count or 0),
        moderation=tuple(sorted(ModerationReason(r) for r in (item.moderation or set()))),
        hidden_reason=item.hidden_reason,
        hidden_by=item.hidden_by,
        post_id=item.post_id,
        photos=tuple(_photo_of(p) for p in (item.photos or [])),
    )


def _aggregate_of(kind: SubjectKind, subject_id: str, item: m.Aggregate | None) -> Aggregate:
    if item is None:
        return Aggregate(kind=kind, subject_id=subject_id)
    return Aggregate(
        kind=kind,
        subject_id=subject_id,
        count=int(item.counted or 0),
        total=int(item.total or 0),
        distribution={star: int(getattr(item, f"r{star}") or 0) for star in range(1, 6)},
        revision=int(item.revision or 0),
    )


def _page(results: Any, limit: int, convert: Callable[[Any], T]) -> Page[T]:
    items = [convert(item) for item in results]
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


def _start(cursor: str | None, key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def _ref(review_id: str) -> m.Review:
    return m.Review(pk=m.review_pk(review_id), sk=m.REVIEW_SK)


class DynamoReviewsRepository:
    """The reviews repository on the reviews table (four GSIs; nothing Scans)."""

    def add(self, new: NewReview) -> Review:
        created = time_key(new.created_at, new.review_id)
        item = m.Review(
            pk=m.review_pk(new.review_id),
            sk=m.REVIEW_SK,
            review_id=new.review_id,
            product_id=new.product_id,
            shop_id=new.shop_id,
            seller_id=new.seller_id,
            author_id=new.author_id,
            order_id=new.order_id,
            post_id=new.post_id,
            photos=[_photo_data(p) for p in new.photos] or None,
            rating=new.rating,
            title=new.title,
            text=new.text,
            status=str(ReviewStatus.PUBLISHED),
            created_at=new.created_at,
            updated_at=new.created_at,
            revision=1,
            gsi1pk=m.subject_pk(new.subject, new.subject_id),
            gsi1sk=created,
            gsi2pk=m.shop_pk(new.shop_id),
            gsi2sk=created,
            gsi4pk=m.ALL_REVIEWS,
            gsi4sk=created,
        )
        claim = m.Claim(
            pk=m.claim_pk(new.author_id),
            sk=m.claim_sk(new.subject, new.subject_id),
            review_id=new.review_id,
        )
        try:
            with transaction() as writer:
                writer.save(claim, condition=m.Claim.pk.does_not_exist())
                writer.save(item, condition=m.Review.pk.does_not_exist())
        except TransactionCancelledError:
            existing = m.Claim.get(claim.pk, claim.sk, consistent_read=True)
            raise AlreadyReviewedError.of(existing.review_id) from None
        return review_of(item)

    def get(self, review_id: str) -> Review | None:
        try:
            return review_of(
                m.Review.get(m.review_pk(review_id), m.REVIEW_SK, consistent_read=True)
            )
        except m.Review.DoesNotExist:
            return None

    def save_photo(self, author_id: str, photo: Photo) -> None:
        m.CheckedPhoto(
            pk=m.claim_pk(author_id),
            sk=m.photo_sk(photo.photo_id),
            key=photo.key,
            width=photo.width,
            height=photo.height,
        ).save()

    def photo(self, author_id: str, photo_id: str) -> Photo | None:
        try:
            item = m.CheckedPhoto.get(
                m.claim_pk(author_id), m.photo_sk(photo_id), consistent_read=True
            )
        except m.CheckedPhoto.DoesNotExist:
            return None
        return Photo(photo_id, item.key, int(item.width), int(item.height))

    def forget_photo(self, author_id: str, photo_id: str) -> None:
        m.CheckedPhoto(pk=m.claim_pk(author_id), sk=m.photo_sk(photo_id)).delete()

    def photos_in_use(self, author_id: str) -> set[str]:
        review_ids = [
            claim.review_id
            for kind in SubjectKind
            for claim in m.Claim.query(
                m.claim_pk(author_id),
                m.Claim.sk.startswith(m.claim_sk(kind.value, "")),
                consistent_read=True,
            )
        ]
        keys = [(m.review_pk(review_id), m.REVIEW_SK) for review_id in review_ids]
        return {
            photo["photo_id"]
            for item in m.Review.batch_get(keys, consistent_read=True)
            if item.status != str(ReviewStatus.DELETED)
            for photo in (item.photos or [])
        }

    def _update(self, review_id: str, actions: list[Action], condition: Any) -> Review:
        item = _ref(review_id)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if condition_failed(error):
                raise ReviewChangedError("The review changed meanwhile; read it again") from None
            raise
        return review_of(item)

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
        former = Edit(
            revision=review.revision,
            rating=review.rating,
            title=review.title,
            text=review.text,
            edited_at=now,
        )
        edits = [*(_edit_data(e) for e in review.edits), _edit_data(former)][-keep:]
        return self._update(
            review.review_id,
            [
                m.Review.rating.set(rating),
                m.Review.title.set(title),
                m.Review.text.set(text),
                m.Review.updated_at.set(now),
                m.Review.revision.set(review.revision + 1),
                m.Review.edits.set(edits),
                m.Review.photos.set([_photo_data(p) for p in photos])
                if photos
                else m.Review.photos.remove(),
            ],
            (m.Review.revision == review.revision)
            & (m.Review.status == str(ReviewStatus.PUBLISHED)),
        )

    def delete(self, review: Review, *, now: datetime) -> Review:
        try:
            with transaction() as writer:
                writer.update(
                    _ref(review.review_id),
                    actions=[
                        m.Review.status.set(str(ReviewStatus.DELETED)),
                        m.Review.updated_at.set(now),
                        m.Review.photos.remove(),
                        m.Review.gsi3pk.remove(),
                        m.Review.gsi3sk.remove(),
                    ],
                    condition=m.Review.status != str(ReviewStatus.DELETED),
                )
                writer.delete(
                    m.Claim(
                        pk=m.claim_pk(review.author_id),
                        sk=m.claim_sk(review.subject, review.subject_id),
                    )
                )
        except TransactionCancelledError:
            raise ReviewChangedError("The review is already deleted") from None
        found = self.get(review.review_id)
        assert found is not None
        return found

    def set_reply(self, review_id: str, reply: Reply) -> Review:
        return self._update(
            review_id, [m.Review.reply.set(_reply_data(reply))], m.Review.pk.exists()
        )

    def set_status(self, review: Review, status: ReviewStatus, entry: AuditEntry) -> Review:
        actions: list[Action] = [
            m.Review.status.set(str(status)),
            m.Review.gsi3pk.remove(),
            m.Review.gsi3sk.remove(),
            m.Review.moderation.remove(),
        ]
        if status is ReviewStatus.HIDDEN:
            actions += [
                m.Review.hidden_reason.set(entry.reason),
                m.Review.hidden_by.set(entry.actor_id),
            ]
        else:
            actions += [m.Review.hidden_reason.remove(), m.Review.hidden_by.remove()]
        audit = m.Audit(
            pk=m.review_pk(review.review_id),
            sk=f"AUDIT#{time_key(entry.at, new_id())}",
            action=entry.action,
            actor_id=entry.actor_id,
            reason=entry.reason,
            at=entry.at,
        )
        try:
            with transaction() as writer:
                writer.update(
                    _ref(review.review_id),
                    actions=actions,
                    condition=m.Review.status == str(review.status),
                )
                writer.save(audit)
        except TransactionCancelledError:
            raise ReviewChangedError("The review changed meanwhile; read it again") from None
        found = self.get(review.review_id)
        assert found is not None
        return found

    def audit(self, review_id: str) -> list[AuditEntry]:
        return [
            AuditEntry(
                review_id=review_id,
                action=item.action,
                actor_id=item.actor_id,
                reason=item.reason,
                at=item.at,
            )
            for item in m.Audit.query(
                m.review_pk(review_id), m.Audit.sk.startswith("AUDIT#"), consistent_read=True
            )
        ]

    def add_vote(
        self, review_id: str, kind: VoteKind, user_id: str, *, reason: str | None, now: datetime
    ) -> bool:
        vote = m.Vote(pk=m.review_pk(review_id), sk=m.vote_sk(kind, user_id), reason=reason, at=now)
        actions: list[Action]
        if kind is VoteKind.HELPFUL:
            actions = [m.Review.helpful_count.add(1)]
        else:
            actions = [
                m.Review.report_count.add(1),
                m.Review.moderation.add({str(ModerationReason.REPORTED)}),
                m.Review.gsi3pk.set(m.MODERATION),
                m.Review.gsi3sk.set(m.Review.gsi3sk | time_key(now, review_id)),
            ]
        try:
            with transaction() as writer:
                writer.save(vote, condition=m.Vote.pk.does_not_exist())
                writer.update(_ref(review_id), actions=actions, condition=m.Review.pk.exists())
        except TransactionCancelledError as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    def set_sentiment(
        self,
        review_id: str,
        sentiment: Sentiment,
        problems: tuple[Problem, ...],
        queue: tuple[ModerationReason, ...],
    ) -> Review | None:
        actions: list[Action] = [
            m.Review.sentiment.set(_sentiment_data(sentiment)),
            m.Review.problems.set([_problem_data(p) for p in problems]),
        ]
        if queue:
            actions += [
                m.Review.moderation.add({str(r) for r in queue}),
                m.Review.gsi3pk.set(m.MODERATION),
                m.Review.gsi3sk.set(m.Review.gsi3sk | time_key(sentiment.scored_at, review_id)),
            ]
        try:
            return self._update(review_id, actions, m.Review.revision == sentiment.revision)
        except ReviewChangedError:
            return None

    def count(self, review: Review) -> bool:
        old, new = review.counted_rating, review.rating_to_count
        if old == new:
            return True
        mark = m.Review.counted_rating
        try:
            with transaction() as writer:
                writer.update(
                    _ref(review.review_id),
                    actions=[mark.remove() if new is None else mark.set(new)],
                    condition=(mark.does_not_exist() if old is None else mark == old),
                )
                for kind, subject in review.subjects:
                    moves: dict[int, int] = {}
                    if old is not None:
                        moves[old] = moves.get(old, 0) - 1
                    if new is not None:
                        moves[new] = moves.get(new, 0) + 1
                    writer.update(
                        m.Aggregate(pk=m.aggregate_pk(kind, subject), sk=m.AGG_SK),
                        actions=[
                            m.Aggregate.counted.add((new is not None) - (old is not None)),
                            m.Aggregate.total.add((new or 0) - (old or 0)),
                            m.Aggregate.revision.add(1),
                            *(
                                getattr(m.Aggregate, f"r{star}").add(delta)
                                for star, delta in moves.items()
                                if delta
                            ),
                        ],
                    )
        except TransactionCancelledError as cancelled:
            if cancelled.failed(0):
                return False
            raise
        return True

    def aggregate(self, kind: SubjectKind, subject_id: str) -> Aggregate:
        try:
            item = m.Aggregate.get(m.aggregate_pk(kind, subject_id), m.AGG_SK, consistent_read=True)
        except m.Aggregate.DoesNotExist:
            item = None
        return _aggregate_of(kind, subject_id, item)

    def subject_reviews(
        self,
        kind: SubjectKind,
        subject_id: str,
        *,
        visible_only: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Review]:
        partition = m.subject_pk(kind, subject_id)
        return _page(
            m.Review.by_product.query(
                partition,
                scan_index_forward=False,
                limit=limit,
                filter_condition=(m.Review.status == str(ReviewStatus.PUBLISHED))
                if visible_only
                else None,
                last_evaluated_key=_start(cursor, "gsi1pk", partition),
            ),
            limit,
            review_of,
        )

    def shop_reviews(
        self, shop_id: str, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        partition = m.shop_pk(shop_id)
        return _page(
            m.Review.by_shop.query(
                partition,
                (m.Review.gsi2sk >= clock.iso(since)) if since else None,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, "gsi2pk", partition),
            ),
            limit,
            review_of,
        )

    def all_reviews(
        self, *, since: datetime | None, limit: int, cursor: str | None
    ) -> Page[Review]:
        return _page(
            m.Review.everything.query(
                m.ALL_REVIEWS,
                (m.Review.gsi4sk >= clock.iso(since)) if since else None,
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=_start(cursor, "gsi4pk", m.ALL_REVIEWS),
            ),
            limit,
            review_of,
        )

    def moderation_queue(self, *, limit: int, cursor: str | None) -> Page[Review]:
        return _page(
            m.Review.in_moderation.query(
                m.MODERATION,
                limit=limit,
                last_evaluated_key=_start(cursor, "gsi3pk", m.MODERATION),
            ),
            limit,
            review_of,
        )


_repository: ReviewsRepository | None = None


def get() -> ReviewsRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoReviewsRepository()
    return _repository


def use(repository: ReviewsRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
