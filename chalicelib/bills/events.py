"""Events of the bills capability."""

from __future__ import annotations

from chalicelib.bills.domain import Post, PostStatus
from chalicelib.core.events import DomainEvent


class PostStatusChanged(DomainEvent):
    """A bill post moved to another status (the shopper's notification comes from it)."""

    name = "post.status_changed"
    source = "bazaar.bills"

    post_id: str
    shopper_id: str
    shop_id: str | None = None
    status: str
    previous_status: str
    reason: str | None = None
    decided_by: str | None = None

    @classmethod
    def of(cls, post: Post, previous: PostStatus) -> PostStatusChanged:
        """``post`` as it now is, having been ``previous``."""
        return cls(
            post_id=post.post_id,
            shopper_id=post.author_id,
            shop_id=post.shop_id,
            status=post.status.value,
            previous_status=previous.value,
            reason=post.reason,
            decided_by=post.decided_by,
        )
