"""Events of the reviews capability (EventBridge ``detail-type`` = name).

Every event names the review, its product and shop, and the two people it concerns:
``seller_id`` (the shop's owner: notified of a new review) and ``author_id`` (the shopper:
notified of a reply). The aggregates and the sentiment scorer consume them; each consumer
reads the review's current state, so a duplicate or late event changes nothing.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field

from chalicelib.core import clock
from chalicelib.core.events import DomainEvent
from chalicelib.reviews.domain import Review

REVIEWS = "bazaar.reviews"


def _about(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.review_id,
        "product_id": review.product_id,
        "shop_id": review.shop_id,
        "seller_id": review.seller_id,
        "author_id": review.author_id,
        "rating": review.rating,
        "revision": review.revision,
        "status": str(review.status),
    }


class _ReviewEvent(DomainEvent):
    source = REVIEWS

    review_id: str
    product_id: str | None = Field(
        description="The reviewed product (null: a review of the shop itself, by a verified bill)"
    )
    shop_id: str
    seller_id: str = Field(description="The shop's owner (receiver of new-review notices)")
    author_id: str = Field(description="The reviewing shopper (receiver of reply notices)")
    rating: int = Field(ge=1, le=5)
    revision: int = Field(ge=1)
    status: str


class ReviewCreated(_ReviewEvent):
    """A buyer published a review (notify the seller; score sentiment; count it)."""

    name = "review.created"
    title: str

    @classmethod
    def of(cls, review: Review) -> Self:
        return cls(**_about(review), title=review.title)


class ReviewUpdated(_ReviewEvent):
    """The author edited the review (re-score its sentiment; recount its rating)."""

    name = "review.updated"

    @classmethod
    def of(cls, review: Review) -> Self:
        return cls(**_about(review))


class ReviewDeleted(_ReviewEvent):
    """The author deleted the review (it leaves the aggregates)."""

    name = "review.deleted"

    @classmethod
    def of(cls, review: Review) -> Self:
        return cls(**_about(review))


class ReviewHidden(_ReviewEvent):
    """An admin hid the review (it leaves the aggregates)."""

    name = "review.hidden"
    reason: str
    actor_id: str

    @classmethod
    def of(cls, review: Review, *, reason: str, actor_id: str) -> Self:
        return cls(**_about(review), reason=reason, actor_id=actor_id)


class ReviewRestored(_ReviewEvent):
    """An admin restored a hidden review (it counts again)."""

    name = "review.restored"
    reason: str
    actor_id: str

    @classmethod
    def of(cls, review: Review, *, reason: str, actor_id: str) -> Self:
        return cls(**_about(review), reason=reason, actor_id=actor_id)


class ReviewReplied(_ReviewEvent):
    """The shop replied to the review, or edited its reply (notify the author)."""

    name = "review.replied"
    replied_by: str
    reply_updated_at: str

    @classmethod
    def of(cls, review: Review) -> Self:
        assert review.reply is not None
        return cls(
            **_about(review),
            replied_by=review.reply.author_id,
            reply_updated_at=clock.iso(review.reply.updated_at),
        )
