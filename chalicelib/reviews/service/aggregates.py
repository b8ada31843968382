"""Rating aggregates kept current from review events, idempotently and without a Scan.

The consumer of every review event calls ``reconcile(review_id)``: it reads the review and
moves the product's and shop's aggregates from what they count for it
(``counted_rating``) to what they should count now (its rating while published, nothing
while hidden or deleted), in one transaction with the review's mark. A duplicate or late
event finds nothing to move; two consumers racing on one review retry on the mark's
condition. The catalog then shows the new sum and count (only forward, by revision).
"""

from __future__ import annotations

from chalicelib.catalog import service as catalog
from chalicelib.reviews import repository
from chalicelib.reviews.domain import Aggregate, SubjectKind

ATTEMPTS = 5


def reconcile(review_id: str) -> tuple[Aggregate | None, Aggregate] | None:
    """Make the aggregates count the review as it is now; the product's (None for a
    review of the shop itself) and the shop's aggregates after it (None if there is no
    such review)."""
    repo = repository.get()
    for _ in range(ATTEMPTS):
        review = repo.get(review_id)
        if review is None:
            return None
        if repo.count(review):
            break
    else:
        raise RuntimeError(f"review {review_id} kept changing while it was counted")
    # Always pushed (also when nothing moved): a retry after a failed push repairs it.
    product = None
    if review.product_id:
        product = repo.aggregate(SubjectKind.PRODUCT, review.product_id)
        catalog.set_rating(
            "product", review.product_id, product.total, product.count, product.revision
        )
    shop = repo.aggregate(SubjectKind.SHOP, review.shop_id)
    catalog.set_rating("shop", review.shop_id, shop.total, shop.count, shop.revision)
    return product, shop
