"""Errors of the reviews capability (mapped to statuses once, by their base classes)."""

from __future__ import annotations

from chalicelib.core.errors import (
    ConflictError,
    DependencyUnavailableError,
    ForbiddenError,
    ValidationFailedError,
)


class NotABuyerError(ForbiddenError):
    """Only a shopper with a paid, shipped or delivered order of the product (or, for a
    shop, a verified bill post for it) may review it; ``details.reason`` says why not."""

    code = "NOT_A_BUYER"


class AlreadyReviewedError(ConflictError):
    """The shopper has reviewed this product (or shop) already (edit that review instead)."""

    code = "ALREADY_REVIEWED"

    @classmethod
    def of(cls, review_id: str) -> AlreadyReviewedError:
        return cls(
            "You have reviewed this already; edit your review instead",
            details={"review_id": review_id, "edit": f"PATCH /reviews/{review_id}"},
        )


class PhotoRefusedError(ValidationFailedError):
    """A review's photo was refused (not an image, too big, a bomb, too many); 422."""

    code = "PHOTO_REJECTED"


class ReviewChangedError(ConflictError):
    """The review moved on (edited, hidden, deleted) since it was read."""

    code = "REVIEW_CHANGED"


class SentimentUnavailableError(DependencyUnavailableError):
    """The sentiment model could not be loaded or run (the score stays pending; retried)."""

    code = "SENTIMENT_UNAVAILABLE"
