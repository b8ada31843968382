"""Writing, editing, deleting and moderating reviews; the seller's reply; votes; lists.

Who may review: a shopper with a PAID, SHIPPED or DELIVERED order line for the product
(asked of the orders capability); anyone else gets 403 ``NOT_A_BUYER`` with the reason.
One review per shopper per product: a second one is refused with 409 ``ALREADY_REVIEWED``
naming the existing review (edit it with PATCH; the former version is kept in ``edits``).
A deleted review frees the shopper to write a new one. Product reviews roll up to the
product's shop.

A shop itself is reviewed by a shopper who posted a bill for it that the bills capability
VERIFIED (the review names the post; the bills service answers, never its table); one
review per shopper per shop, counted in the shop's rating.
"""

from __future__ import annotations

from chalicelib.bills.service import posts as bills
from chalicelib.catalog import service as catalog
from chalicelib.catalog.service import images, shops
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.observability import logger
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.orders.service import orders
from chalicelib.reviews import repository
from chalicelib.reviews.domain import (
    MAX_PHOTOS,
    Aggregate,
    AuditEntry,
    NewReview,
    Photo,
    Reply,
    Review,
    ReviewStatus,
    SubjectKind,
    VoteKind,
)
from chalicelib.reviews.errors import NotABuyerError, PhotoRefusedError
from chalicelib.reviews.events import (
    ReviewCreated,
    ReviewDeleted,
    ReviewHidden,
    ReviewReplied,
    ReviewRestored,
    ReviewUpdated,
)

UPLOAD_PREFIX = "uploads/reviews/"
MEDIA_PREFIX = "media/reviews/"


def _photo_upload_key(author_id: str, photo_id: str) -> str:
    return f"{UPLOAD_PREFIX}{author_id}/{photo_id}"


def request_photo_upload(caller: Caller, content_type: str, size: int) -> catalog.UploadGrant:
    """A pre-signed POST for one photo the caller will attach to their review (by its
    ``image_id``); checked like every image once the review names it."""
    if caller.role is not Role.USER:
        raise ForbiddenError("Only shoppers add photos to reviews", details={"reason": "ROLE"})
    limit = get_settings().image_max_bytes
    if size > limit:
        raise ValidationFailedError(
            "Invalid request: size",
            details=[
                {
                    "field": "size",
                    "message": f"images are at most {limit} bytes",
                    "type": "too_large",
                }
            ],
        )
    return images.grant_upload(_photo_upload_key(caller.account_id, new_id()), content_type)


def _photos(
    caller: Caller, photo_ids: list[str] | None, kept: tuple[Photo, ...] = ()
) -> tuple[Photo, ...]:
    """The review's photos for ``photo_ids``: the ones it has already, and each new upload
    of the caller's checked as every image is (the catalog's checks: bounded read, format
    by content, pixel limit, verify) into one WebP rendition. PhotoRefusedError (422)
    naming the photo and why; NotFoundError when nothing was uploaded for an id."""
    if photo_ids is None:
        return kept
    wanted = list(dict.fromkeys(photo_ids))
    if len(wanted) > MAX_PHOTOS:
        raise PhotoRefusedError(
            f"A review has at most {MAX_PHOTOS} photos", details={"limit": MAX_PHOTOS}
        )
    have = {photo.photo_id: photo for photo in kept}
    repo = repository.get()
    out: list[Photo] = []
    for photo_id in wanted:
        # Checked once: a photo accepted by an attempt that failed later (another photo
        # refused, a 409) is found again by the next attempt.
        known = have.get(photo_id) or repo.photo(caller.account_id, photo_id)
        if known is not None:
            out.append(known)
            continue
        rendition = f"{MEDIA_PREFIX}{caller.account_id}/{photo_id}.webp"
        try:
            width, height = images.accept_upload(
                _photo_upload_key(caller.account_id, photo_id), rendition
            )
        except images.ImageRejectedError as rejected:
            raise PhotoRefusedError(
                f"The photo was refused: {rejected.reason}",
                details={"photo_id": photo_id, "reason": rejected.reason},
            ) from None
        photo = Photo(photo_id=photo_id, key=rendition, width=width, height=height)
        repo.save_photo(caller.account_id, photo)
        out.append(photo)
    return tuple(out)


def _not_found(review_id: str) -> NotFoundError:
    return NotFoundError("No such review", details={"review_id": review_id})


def _may_see(review: Review, caller: Caller | None) -> bool:
    if review.visible:
        return True
    if caller is None:
        return False
    return (
        caller.role is Role.ADMIN
        or caller.account_id == review.author_id
        or (caller.shop_id is not None and caller.shop_id == review.shop_id)
    )


def get_review(caller: Caller | None, review_id: str) -> Review:
    """A published review, or a hidden/deleted one to its author, its shop and admins."""
    review = repository.get().get(review_id)
    if review is None or not _may_see(review, caller):
        raise _not_found(review_id)
    return review


def write(
    caller: Caller,
    product_id: str,
    *,
    rating: int,
    title: str,
    text: str,
    photo_ids: list[str] | None = None,
) -> Review:
    """Publish the caller's review of a product they bought; its sentiment comes later."""
    product = catalog.get_product(product_id)
    if product is None:
        raise NotFoundError("No such product", details={"product_id": product_id})
    if caller.role is not Role.USER:
        raise NotABuyerError(
            "Only shoppers review products",
            details={"reason": "ROLE", "role": str(caller.role)},
        )
    order = orders.purchase_of(caller.account_id, product_id)
    if order is None:
        raise NotABuyerError(
            "You can review only products you bought (a paid, shipped or delivered order)",
            details={"reason": "NO_PURCHASE", "product_id": product_id},
        )
    photos = _photos(caller, photo_ids)
    review = repository.get().add(
        NewReview(
            review_id=new_id(),
            product_id=product_id,
            shop_id=product.shop_id,
            seller_id=product.seller_id,
            author_id=caller.account_id,
            order_id=order.order_id,
            rating=rating,
            title=title.strip(),
            text=text.strip(),
            created_at=clock.now(),
            photos=photos,
        )
    )
    events.publish(ReviewCreated.of(review), best_effort=True)
    return review


def _no_bill(reason: str, message: str, **details: str) -> NotABuyerError:
    return NotABuyerError(message, details={"reason": reason, **details})


def _verified_bill(caller: Caller, shop_id: str, post_id: str | None) -> str:
    """The id of the caller's VERIFIED bill post for the shop; NotABuyerError (403) with
    the reason otherwise."""
    if post_id is None:
        raise _no_bill(
            "NO_VERIFIED_BILL",
            "A shop is reviewed with a verified bill post for it: give its post_id",
        )
    try:
        post = bills.get_post(caller, post_id)
    except NotFoundError:
        raise _no_bill("NO_VERIFIED_BILL", "No such bill post of yours", post_id=post_id) from None
    if post.author_id != caller.account_id:
        raise _no_bill("NOT_YOUR_BILL", "That bill post is another shopper's", post_id=post_id)
    if post.shop_id != shop_id:
        raise _no_bill(
            "BILL_OF_ANOTHER_SHOP", "That bill post is about another shop", post_id=post_id
        )
    if post.status != "VERIFIED":
        raise _no_bill(
            "BILL_NOT_VERIFIED",
            "The bill post is not verified (yet)",
            post_id=post_id,
            status=str(post.status),
        )
    return post.post_id


def write_shop_review(
    caller: Caller,
    shop_id: str,
    *,
    post_id: str | None,
    rating: int,
    title: str,
    text: str,
    photo_ids: list[str] | None = None,
) -> Review:
    """Publish the caller's review of a shop they posted a verified bill for (403
    NOT_A_BUYER with the reason otherwise); its sentiment comes later."""
    shop = shops.visible_shop(shop_id)  # 404 for a shop shoppers cannot see
    if caller.role is not Role.USER:
        raise NotABuyerError(
            "Only shoppers review shops", details={"reason": "ROLE", "role": str(caller.role)}
        )
    proof = _verified_bill(caller, shop_id, post_id)
    photos = _photos(caller, photo_ids)
    review = repository.get().add(
        NewReview(
            review_id=new_id(),
            product_id=None,
            shop_id=shop_id,
            seller_id=shop.owner_id,
            author_id=caller.account_id,
            order_id=None,
            post_id=proof,
            rating=rating,
            title=title.strip(),
            text=text.strip(),
            created_at=clock.now(),
            photos=photos,
        )
    )
    events.publish(ReviewCreated.of(review), best_effort=True)
    return review


def _own(caller: Caller, review_id: str) -> Review:
    review = repository.get().get(review_id)
    if review is None or review.author_id != caller.account_id:
        raise _not_found(review_id)
    if review.status is ReviewStatus.DELETED:
        raise _not_found(review_id)
    return review


def edit(
    caller: Caller,
    review_id: str,
    *,
    rating: int | None,
    title: str | None,
    text: str | None,
    photo_ids: list[str] | None = None,
) -> Review:
    """The author's new version (the former one is kept); a hidden review cannot be edited.
    ``photo_ids`` (when given) is the new list of photos: kept ones by id, new uploads
    checked."""
    review = _own(caller, review_id)
    if review.status is ReviewStatus.HIDDEN:
        raise ConflictError("A hidden review cannot be edited", details={"reason": "HIDDEN"})
    new_rating = review.rating if rating is None else rating
    new_title = review.title if title is None else title.strip()
    new_text = review.text if text is None else text.strip()
    photos = _photos(caller, photo_ids, review.photos)
    if (new_rating, new_title, new_text, photos) == (
        review.rating,
        review.title,
        review.text,
        review.photos,
    ):
        return review
    changed = repository.get().edit(
        review,
        rating=new_rating,
        title=new_title,
        text=new_text,
        photos=photos,
        now=clock.now(),
        keep=get_settings().review_edits_kept,
    )
    events.publish(ReviewUpdated.of(changed), best_effort=True)
    kept = {photo.photo_id for photo in photos}
    release_photos(caller.account_id, [p for p in review.photos if p.photo_id not in kept])
    return changed


def delete(caller: Caller, review_id: str) -> None:
    """The author deletes their review (it leaves the aggregates; its photos' files go)."""
    review = _own(caller, review_id)
    deleted = repository.get().delete(review, now=clock.now())
    events.publish(ReviewDeleted.of(deleted), best_effort=True)
    release_photos(caller.account_id, list(review.photos))


def release_photos(author_id: str, removed: list[Photo]) -> list[str]:
    """Delete the files (the rendition, and an upload left behind) of photos taken off a
    review, unless another review of the author still shows them (a checked photo can be
    attached to several); the photo is forgotten first, so it cannot be attached again
    meanwhile. Idempotent. The review's change is already stored: a storage failure here
    is logged, not raised (the files are then orphans, named in the log). The ids of the
    photos whose files went."""
    if not removed:
        return []
    repo = repository.get()
    gone: list[str] = []
    try:
        in_use = repo.photos_in_use(author_id)
        for photo in removed:
            if photo.photo_id in in_use:
                continue
            repo.forget_photo(author_id, photo.photo_id)
            images.discard([photo.key, _photo_upload_key(author_id, photo.photo_id)])
            gone.append(photo.photo_id)
    except Exception:  # noqa: BLE001 - the review's change stands; the log names the files
        logger.exception(
            "Review photo files not deleted",
            extra={"author_id": author_id, "keys": [p.key for p in removed], "deleted": gone},
        )
    return gone


def reply(caller: Caller, review_id: str, text: str) -> Review:
    """The one public reply (a second call edits it): the review's shop, or an admin."""
    review = repository.get().get(review_id)
    if review is None or review.status is ReviewStatus.DELETED:
        raise _not_found(review_id)
    own_shop = caller.shop_id is not None and caller.shop_id == review.shop_id
    if not own_shop and caller.role is not Role.ADMIN:
        raise ForbiddenError(
            "Only the reviewed shop may reply", details={"reason": "NOT_YOUR_SHOP"}
        )
    now = clock.now()
    previous = review.reply
    answer = Reply(
        text=text.strip(),
        author_id=caller.account_id,
        created_at=previous.created_at if previous else now,
        updated_at=now,
    )
    replied = repository.get().set_reply(review_id, answer)
    events.publish(ReviewReplied.of(replied), best_effort=True)
    return replied


def vote(caller: Caller, review_id: str, kind: VoteKind, reason: str | None = None) -> None:
    """Mark a review helpful or report it, once per shopper (ConflictError the 2nd time)."""
    review = get_review(caller, review_id)
    if not review.visible:
        raise _not_found(review_id)
    if review.author_id == caller.account_id:
        raise ConflictError("Not on your own review", details={"reason": "OWN_REVIEW"})
    if not repository.get().add_vote(
        review_id, kind, caller.account_id, reason=reason, now=clock.now()
    ):
        raise ConflictError("You did this already", details={"reason": f"ALREADY_{kind.value}"})


def moderate(caller: Caller, review_id: str, *, hide: bool, reason: str) -> Review:
    """An admin hides (or restores) a review with a reason; audited; aggregates follow."""
    review = repository.get().get(review_id)
    if review is None or review.status is ReviewStatus.DELETED:
        raise _not_found(review_id)
    target = ReviewStatus.HIDDEN if hide else ReviewStatus.PUBLISHED
    if review.status is target:
        raise ConflictError(
            f"The review is already {target.value.lower()}",
            details={"status": review.status.value},
        )
    entry = AuditEntry(
        review_id=review_id,
        action="hide" if hide else "restore",
        actor_id=caller.account_id,
        reason=reason.strip(),
        at=clock.now(),
    )
    changed = repository.get().set_status(review, target, entry)
    event = (ReviewHidden if hide else ReviewRestored).of(
        changed, reason=entry.reason, actor_id=caller.account_id
    )
    events.publish(event, best_effort=True)
    return changed


def audit(review_id: str) -> list[AuditEntry]:
    """Who hid or restored the review, when and why (admin)."""
    if repository.get().get(review_id) is None:
        raise _not_found(review_id)
    return repository.get().audit(review_id)


def product_reviews(product_id: str, *, limit: int, cursor: str | None) -> Page[Review]:
    """A product's published reviews, newest first."""
    return repository.get().subject_reviews(
        SubjectKind.PRODUCT, product_id, visible_only=True, limit=limit, cursor=cursor
    )


def reviews_of_shop(shop_id: str, *, limit: int, cursor: str | None) -> Page[Review]:
    """The published reviews of a shop itself (by verified bills), newest first; its
    products' reviews are listed under each product."""
    return repository.get().subject_reviews(
        SubjectKind.SHOP, shop_id, visible_only=True, limit=limit, cursor=cursor
    )


def shop_reviews(caller: Caller, *, limit: int, cursor: str | None) -> Page[Review]:
    """The seller's shop's reviews (every status, with sentiment), newest first."""
    if not caller.shop_id:
        raise ForbiddenError("Create your shop first")
    return repository.get().shop_reviews(caller.shop_id, since=None, limit=limit, cursor=cursor)


def moderation_queue(*, limit: int, cursor: str | None) -> Page[Review]:
    """Reviews waiting for an admin: reported, low-confidence or negative and abusive."""
    return repository.get().moderation_queue(limit=limit, cursor=cursor)


def summary(kind: SubjectKind, subject_id: str) -> Aggregate:
    """A product's or shop's rating: average, count and 1-5 distribution."""
    return repository.get().aggregate(kind, subject_id)
