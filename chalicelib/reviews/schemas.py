"""Request and response models of the reviews routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from chalicelib.catalog import service as catalog
from chalicelib.core.pagination import Page
from chalicelib.core.validation import RequestModel, ResponseModel
from chalicelib.reviews.domain import (
    MAX_PHOTOS,
    REASON_MAX,
    REPLY_MAX,
    TEXT_MAX,
    TEXT_MIN,
    TITLE_MAX,
    Aggregate,
    AuditEntry,
    Report,
    Review,
)

PHOTO_IDS = Field(
    default=None,
    max_length=MAX_PHOTOS,
    description="Photos uploaded with POST /reviews/photos (their image_id)",
)
PhotoId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-f0-9]+$")]


class ReviewInput(RequestModel):
    """A new review: a 1-5 rating, a title, the text and up to four photos."""

    rating: int = Field(ge=1, le=5)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field(min_length=TEXT_MIN, max_length=TEXT_MAX)
    photo_ids: list[PhotoId] | None = PHOTO_IDS


class PhotoUploadInput(RequestModel):
    """The photo a shopper is about to upload for their review."""

    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/gif"]
    size: int = Field(strict=True, ge=1)


class PhotoGrantView(ResponseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` plus ``file``, then
    name ``image_id`` in the review's ``photo_ids``."""

    image_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


class ShopReviewInput(ReviewInput):
    """A review of a shop itself: the shopper's VERIFIED bill post for it is the proof."""

    post_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Your VERIFIED bill post for this shop (POST /bills/posts)",
    )


class ReviewPatch(RequestModel):
    """The fields to change (the former version is kept)."""

    rating: int | None = Field(default=None, ge=1, le=5)
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    text: str | None = Field(default=None, min_length=TEXT_MIN, max_length=TEXT_MAX)
    photo_ids: list[PhotoId] | None = Field(
        default=None,
        max_length=MAX_PHOTOS,
        description="The review's photos from now on: ids it has, or new uploads ([] removes all)",
    )


class ReplyInput(RequestModel):
    text: str = Field(min_length=1, max_length=REPLY_MAX)


class ReasonInput(RequestModel):
    reason: str = Field(min_length=3, max_length=REASON_MAX)


class ReportInput(RequestModel):
    reason: str | None = Field(default=None, max_length=REASON_MAX)


class SentimentView(ResponseModel):
    label: str
    confidence: float
    probabilities: dict[str, float]
    model_version: str
    revision: int
    scored_at: datetime


class ProblemView(ResponseModel):
    category: str
    sentence: str
    similarity: float


class PhotoView(ResponseModel):
    photo_id: str
    url: str | None = Field(description="A time-limited URL of the checked WebP rendition")
    width: int
    height: int


class ReplyView(ResponseModel):
    text: str
    author_id: str
    created_at: datetime
    updated_at: datetime


class EditView(ResponseModel):
    revision: int
    rating: int
    title: str
    text: str
    edited_at: datetime


class ReviewView(ResponseModel):
    """A review; ``sentiment_status`` is PENDING until the model has scored this revision."""

    review_id: str
    subject: str = Field(description="product, or shop (a review of the shop itself)")
    product_id: str | None = None
    shop_id: str
    author_id: str
    rating: int
    title: str
    text: str
    status: str
    created_at: datetime
    updated_at: datetime
    revision: int
    verified_purchase: bool = True
    verified_by: str = Field(description="order (a paid product) or bill (a verified bill post)")
    post_id: str | None = None
    reply: ReplyView | None = None
    sentiment: SentimentView | None = None
    sentiment_status: str
    problems: list[ProblemView]
    helpful_count: int
    report_count: int
    edits: list[EditView]
    photos: list[PhotoView] = []

    @classmethod
    def of(cls, review: Review) -> ReviewView:
        view = cls.model_validate(
            {
                **{
                    k: getattr(review, k)
                    for k in (
                        "review_id",
                        "product_id",
                        "shop_id",
                        "author_id",
                        "rating",
                        "title",
                        "text",
                        "created_at",
                        "updated_at",
                        "revision",
                        "helpful_count",
                        "report_count",
                        "post_id",
                    )
                },
                "subject": review.subject.value,
                "verified_by": "bill" if review.post_id else "order",
                "status": review.status.value,
                "sentiment_status": "PENDING" if review.sentiment_pending else "SCORED",
                "reply": ReplyView.model_validate(review.reply, from_attributes=True)
                if review.reply
                else None,
                "sentiment": SentimentView.model_validate(
                    {**vars(review.sentiment), "label": str(review.sentiment.label)}
                )
                if review.sentiment
                else None,
                "problems": [
                    ProblemView.model_validate(p, from_attributes=True) for p in review.problems
                ],
                "edits": [EditView.model_validate(e, from_attributes=True) for e in review.edits],
                "photos": [
                    PhotoView(
                        photo_id=p.photo_id,
                        url=catalog.media_url(p.key),
                        width=p.width,
                        height=p.height,
                    )
                    for p in review.photos
                ],
            }
        )
        return view


class ModeratedReviewView(ReviewView):
    """A review as admins see it: why it waits in the queue, and who hid it."""

    moderation: list[str]
    hidden_reason: str | None = None
    hidden_by: str | None = None

    @classmethod
    def of(cls, review: Review) -> ModeratedReviewView:
        base = ReviewView.of(review).model_dump()
        return cls.model_validate(
            {
                **base,
                "moderation": [r.value for r in review.moderation],
                "hidden_reason": review.hidden_reason,
                "hidden_by": review.hidden_by,
            }
        )


class ReviewPage(ResponseModel):
    items: list[ReviewView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Review]) -> ReviewPage:
        return cls(items=[ReviewView.of(r) for r in page.items], next_cursor=page.next_cursor)


class ModerationPage(ResponseModel):
    items: list[ModeratedReviewView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Review]) -> ModerationPage:
        return cls(
            items=[ModeratedReviewView.of(r) for r in page.items], next_cursor=page.next_cursor
        )


class SummaryView(ResponseModel):
    """A product's or shop's rating from its counted (published) reviews."""

    kind: str
    subject_id: str
    average: float | None = None
    count: int
    distribution: dict[str, int] = Field(description="stars ('1'..'5') → reviews")

    @classmethod
    def of(cls, aggregate: Aggregate) -> SummaryView:
        return cls(
            kind=aggregate.kind.value,
            subject_id=aggregate.subject_id,
            average=aggregate.average,
            count=aggregate.count,
            distribution={str(k): v for k, v in sorted(aggregate.distribution.items())},
        )


class AuditView(ResponseModel):
    action: str
    actor_id: str
    reason: str
    at: datetime


class AuditList(ResponseModel):
    items: list[AuditView]

    @classmethod
    def of(cls, entries: list[AuditEntry]) -> AuditList:
        return cls(items=[AuditView.model_validate(e, from_attributes=True) for e in entries])


class PeriodView(ResponseModel):
    month: str
    reviews: int
    average_rating: float | None = None
    ratings: dict[str, int]
    sentiment: dict[str, int]


class CategoryView(ResponseModel):
    category: str = Field(description="delivery, quality, size_fit, price, service, ...")
    reviews: int = Field(description="negative reviews naming it")
    share: float = Field(description="of the negative reviews")
    suggestion: str
    examples: list[str] = Field(description="the most typical sentences of the category")
    suggestion_source: str = Field(
        default="offline",
        description="offline (fixed advice per category) or bedrock (drafted by a language "
        "model from the category's complaints; BAZAAR_REVIEW_SUGGESTIONS_PROVIDER=bedrock)",
    )


class AnalyticsView(ResponseModel):
    shop_id: str | None = None
    product_id: str | None = None
    reviews: int
    negative_reviews: int
    periods: list[PeriodView]
    categories: list[CategoryView]
    truncated: bool

    @classmethod
    def of(cls, report: Report) -> AnalyticsView:
        return cls(
            shop_id=report.scope.shop_id,
            product_id=report.scope.product_id,
            reviews=report.reviews,
            negative_reviews=report.negative_reviews,
            periods=[
                PeriodView(
                    month=p.month,
                    reviews=p.reviews,
                    average_rating=p.average,
                    ratings={str(k): v for k, v in p.ratings.items()},
                    sentiment=dict(p.sentiment),
                )
                for p in report.periods
            ],
            categories=[
                CategoryView(
                    category=c.category,
                    reviews=c.reviews,
                    share=c.share,
                    suggestion=c.suggestion,
                    examples=list(c.examples),
                    suggestion_source=c.suggestion_source,
                )
                for c in report.categories
            ],
            truncated=report.truncated,
        )
