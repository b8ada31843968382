"""Errors of the reviews capability (mapped to statuses once, by their base classes)."""

from __future__ import annotations

from chalicelib.core.errors import ConflictError, DependencyUnavailableError, ForbiddenError


class NotABuyerError(ForbiddenError):
    """Only a shopper with a paid, shipped or delivered order of the product may review it."""

    code = "NOT_A_BUYER"


class AlreadyReviewedError(ConflictError):
    """The shopper has reviewed this product already (edit that review instead)."""

    code = "ALREADY_REVIEWED"

    @classmethod
    def of(cls, review_id: str) -> AlreadyReviewedError:
        return cls(
            "You have reviewed this product already; edit your review instead",
            details={"review_id": review_id, "edit": f"PATCH /reviews/{review_id}"},
        )


class ReviewChangedError(ConflictError):
    """The review moved on (edited, hidden, deleted) since it was read."""

    code = "REVIEW_CHANGED"


class SentimentUnavailableError(DependencyUnavailableError):
    """The sentiment model could not be loaded or run (the score stays pending; retried)."""

    code = "SENTIMENT_UNAVAILABLE"
