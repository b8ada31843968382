"""Reviews in domain terms: a review, its reply and sentiment, and the rating aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

TITLE_MAX = 120
TEXT_MIN = 10
TEXT_MAX = 5000
REPLY_MAX = 2000
REASON_MAX = 500
MAX_PHOTOS = 4


# What a seller can do about each problem category (offline suggestions; the examples that
# go with them are the negative reviews' most typical sentences of the category).
CATEGORY_ADVICE: dict[str, str] = {
    "delivery": "Review carriers and dispatch times; give shoppers tracking and honest dates.",
    "quality": "Check materials and finish against the listing; tighten supplier QA.",
    "size_fit": "Add a measured size chart and fit notes (runs small/large) to the listing.",
    "price": "Compare prices with similar products; explain the value or offer bundles.",
    "service": "Answer messages faster and make refunds and returns easy to ask for.",
    "packaging": "Use sturdier, protective packaging and check parcels before shipping.",
    "defects": "Test units before shipping; track failures by batch and replace quickly.",
}


class ReviewStatus(StrEnum):
    PUBLISHED = "PUBLISHED"
    HIDDEN = "HIDDEN"  # by an admin, with a reason (restorable)
    DELETED = "DELETED"  # by its author


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class SubjectKind(StrEnum):
    PRODUCT = "product"
    SHOP = "shop"


class ModerationReason(StrEnum):
    REPORTED = "REPORTED"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"
    NEGATIVE_ABUSIVE = "NEGATIVE_ABUSIVE"


class VoteKind(StrEnum):
    HELPFUL = "HELPFUL"
    REPORT = "REPORT"


@dataclass(frozen=True)
class Sentiment:
    """A model's reading of one revision of a review."""

    label: SentimentLabel
    confidence: float
    probabilities: dict[str, float]
    model_version: str
    revision: int
    scored_at: datetime


@dataclass(frozen=True)
class Problem:
    """A sentence of a review and the problem category nearest to it."""

    category: str
    sentence: str
    similarity: float


@dataclass(frozen=True)
class Photo:
    """A photo of a review: its checked WebP rendition in the media bucket."""

    photo_id: str
    key: str
    width: int
    height: int


@dataclass(frozen=True)
class Reply:
    """The shop's one public answer (editable)."""

    text: str
    author_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Edit:
    """A former version of a review, kept when its author edits it."""

    revision: int
    rating: int
    title: str
    text: str
    edited_at: datetime


@dataclass(frozen=True)
class Review:
    """A shopper's review of a product they bought (it rolls up to the product's shop), or
    of a shop they posted a verified bill for (``product_id`` None, ``post_id`` the bill).

    ``revision`` moves on every edit by the author; ``counted_rating`` is the rating the
    aggregates hold for it (None: not counted), so reconciling is idempotent.
    """

    review_id: str
    product_id: str | None
    shop_id: str
    seller_id: str
    author_id: str
    order_id: str | None
    rating: int
    title: str
    text: str
    status: ReviewStatus
    created_at: datetime
    updated_at: datetime
    revision: int = 1
    edits: tuple[Edit, ...] = ()
    reply: Reply | None = None
    sentiment: Sentiment | None = None
    # Problem categories found in the review's sentences (set with the sentiment).
    problems: tuple[Problem, ...] = ()
    counted_rating: int | None = None
    helpful_count: int = 0
    report_count: int = 0
    moderation: tuple[ModerationReason, ...] = ()
    hidden_reason: str | None = None
    hidden_by: str | None = None
    post_id: str | None = None  # a shop review: the VERIFIED bill post it rests on
    photos: tuple[Photo, ...] = ()

    @property
    def subject(self) -> SubjectKind:
        """What is reviewed: a product, or the shop itself."""
        return SubjectKind.PRODUCT if self.product_id else SubjectKind.SHOP

    @property
    def subject_id(self) -> str:
        return self.product_id or self.shop_id

    @property
    def subjects(self) -> tuple[tuple[SubjectKind, str], ...]:
        """The aggregates it counts in: its product's and its shop's, or its shop's."""
        if self.product_id:
            return ((SubjectKind.PRODUCT, self.product_id), (SubjectKind.SHOP, self.shop_id))
        return ((SubjectKind.SHOP, self.shop_id),)

    @property
    def visible(self) -> bool:
        return self.status is ReviewStatus.PUBLISHED

    @property
    def sentiment_pending(self) -> bool:
        """No score yet for the current revision (scoring is asynchronous)."""
        return self.sentiment is None or self.sentiment.revision != self.revision

    @property
    def rating_to_count(self) -> int | None:
        """What the aggregates should hold for this review now."""
        return self.rating if self.visible else None


@dataclass(frozen=True)
class NewReview:
    review_id: str
    product_id: str | None  # None: a review of the shop itself
    shop_id: str
    seller_id: str
    author_id: str
    order_id: str | None  # a product review's purchase
    rating: int
    title: str
    text: str
    created_at: datetime
    post_id: str | None = None  # a shop review's verified bill post
    photos: tuple[Photo, ...] = ()

    @property
    def subject(self) -> SubjectKind:
        return SubjectKind.PRODUCT if self.product_id else SubjectKind.SHOP

    @property
    def subject_id(self) -> str:
        return self.product_id or self.shop_id


@dataclass(frozen=True)
class Aggregate:
    """A product's or shop's rating: count, sum and 1-5 distribution of counted reviews."""

    kind: SubjectKind
    subject_id: str
    count: int = 0
    total: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    revision: int = 0

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None


@dataclass(frozen=True)
class AuditEntry:
    """An admin's hide or restore of a review, with the reason given."""

    review_id: str
    action: str
    actor_id: str
    reason: str
    at: datetime


# ---------- analytics ----------
@dataclass(frozen=True)
class Scope:
    """What the analytics cover: the platform, one shop, or one product."""

    shop_id: str | None = None
    product_id: str | None = None


@dataclass
class Period:
    month: str
    reviews: int = 0
    rating_total: int = 0
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    sentiment: dict[str, int] = field(
        default_factory=lambda: {"negative": 0, "neutral": 0, "positive": 0, "pending": 0}
    )

    @property
    def average(self) -> float | None:
        return round(self.rating_total / self.reviews, 2) if self.reviews else None


@dataclass(frozen=True)
class Category:
    """A recurring problem: how many negative reviews name it, and what to do about it."""

    category: str
    reviews: int
    share: float
    suggestion: str
    examples: tuple[str, ...]
    # "offline" (the fixed advice of CATEGORY_ADVICE) or "bedrock" (drafted by a language
    # model from the category's complaints).
    suggestion_source: str = "offline"


@dataclass(frozen=True)
class Report:
    scope: Scope
    reviews: int
    negative_reviews: int
    periods: list[Period]
    categories: list[Category]
    truncated: bool
