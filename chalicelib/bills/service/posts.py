"""Bill posts: create (with a pre-signed upload), read, the bill image, decisions, retries,
the feed, likes and the shop's reply."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from chalicelib.bills import repository, storage
from chalicelib.bills.domain import DECIDABLE, Post, PostStatus
from chalicelib.bills.errors import PostNotDecidableError
from chalicelib.bills.events import PostStatusChanged
from chalicelib.catalog.service import products as catalog_products
from chalicelib.catalog.service import shops as catalog_shops
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.pagination import Page

TRENDING_WINDOW = 200  # the newest verified posts trending ranks
TRENDING_GRAVITY = 1.5


def create_post(
    caller: Caller,
    *,
    content_type: str,
    shop_id: str | None,
    product_id: str | None,
    text: str | None,
    rating: int | None,
) -> tuple[Post, storage.UploadGrant]:
    """A post waiting for its bill, and the pre-signed upload for it."""
    if product_id is not None:
        _, shop = catalog_products.visible_product(product_id)  # 404 if not visible
        if shop_id is not None and shop.shop_id != shop_id:
            raise ValidationFailedError(
                "The product is not sold by that shop", details={"product_id": product_id}
            )
        shop_id = shop.shop_id
    elif shop_id is not None:
        catalog_shops.visible_shop(shop_id)  # 404 if not visible
    post_id = new_id()
    now = clock.iso(clock.now())
    post = Post(
        post_id=post_id,
        author_id=caller.account_id,
        status=PostStatus.UPLOADING,
        bill_key=storage.bill_key(post_id),
        content_type=content_type,
        created_at=now,
        updated_at=now,
        shop_id=shop_id,
        product_id=product_id,
        text=text,
        rating=rating,
    )
    repository.get().create(post)
    return post, storage.presigned_upload(post.bill_key, content_type)


def _is_shop_staff(caller: Caller, post: Post) -> bool:
    if post.shop_id is None:
        return False
    if caller.shop_id == post.shop_id:
        return True
    return caller.account_id in catalog_shops.staff_of(post.shop_id)


def may_see_bill(caller: Caller | None, post: Post) -> bool:
    """The shopper who posted it, the shop's staff and admins."""
    if caller is None:
        return False
    return caller.is_admin or caller.account_id == post.author_id or _is_shop_staff(caller, post)


def get_post(caller: Caller | None, post_id: str) -> Post:
    """A verified post (anyone), or any post its author, its shop or an admin may see."""
    post = repository.get().post(post_id)
    if post is None or (post.status is not PostStatus.VERIFIED and not may_see_bill(caller, post)):
        raise NotFoundError("No such post", details={"post_id": post_id})
    return post


def bill_url(caller: Caller, post_id: str) -> str:
    """A short-lived URL of the private bill image (author, shop staff, admins only)."""
    post = repository.get().post(post_id)
    if post is None:
        raise NotFoundError("No such post", details={"post_id": post_id})
    if not may_see_bill(caller, post):
        raise ForbiddenError("Only the shopper who posted it, the shop and admins see a bill")
    return storage.read_url(post.bill_key)


def public_url(post: Post) -> str | None:
    return storage.read_url(post.public_key) if post.public_key else None


def decide(caller: Caller, post_id: str, decision: PostStatus, note: str | None) -> Post:
    """The shop's or an admin's decision on a post NEEDS_REVIEW (audited)."""
    if decision not in DECIDABLE:
        raise ValidationFailedError("decision must be VERIFIED or REJECTED")
    post = repository.get().post(post_id)
    if post is None:
        raise NotFoundError("No such post", details={"post_id": post_id})
    if not (caller.is_admin or _is_shop_staff(caller, post)):
        raise ForbiddenError("Only the post's shop or an admin decides it")
    if post.status is not PostStatus.NEEDS_REVIEW:
        raise PostNotDecidableError(
            "The post is not waiting for a decision", details={"status": post.status.value}
        )
    now = clock.iso(clock.now())
    decided = replace(
        post,
        status=decision,
        decided_by=caller.account_id,
        reason=f"decided by {'an admin' if caller.is_admin else 'the shop'}"
        + (f": {note}" if note else ""),
        verified_at=now if decision is PostStatus.VERIFIED else None,
        updated_at=now,
    )
    stored = repository.get().transition(decided, expected=(PostStatus.NEEDS_REVIEW,))
    if stored is None:
        raise PostNotDecidableError("The post was decided meanwhile")
    repository.get().audit(
        post_id,
        {
            "action": "decide",
            "by": caller.account_id,
            "role": caller.role.value,
            "from": post.status.value,
            "to": decision.value,
            "note": note,
        },
    )
    events.publish(PostStatusChanged.of(stored, post.status), best_effort=True)
    return stored


def retry(caller: Caller, post_id: str) -> Post:
    """Run a FAILED post's verification again (admins)."""
    post = repository.get().post(post_id)
    if post is None:
        raise NotFoundError("No such post", details={"post_id": post_id})
    if post.status is not PostStatus.FAILED:
        raise ConflictError("Only a FAILED post is retried", details={"status": post.status.value})
    repository.get().audit(post_id, {"action": "retry", "by": caller.account_id})
    storage.enqueue_retry(post_id)
    return post


def for_review(caller: Caller, status: PostStatus, *, limit: int, cursor: str | None) -> Page[Post]:
    """Posts waiting for someone: an admin sees every shop's, a seller their shop's."""
    if caller.is_admin:
        return repository.get().by_status(status, limit=limit, cursor=cursor)
    if caller.shop_id is None:
        raise ForbiddenError("Only a shop or an admin reviews posts")
    return repository.get().by_shop(caller.shop_id, status, limit=limit, cursor=cursor)


def feed_recent(shop_id: str | None, *, limit: int, cursor: str | None) -> Page[Post]:
    if shop_id is not None:
        return repository.get().by_shop(shop_id, PostStatus.VERIFIED, limit=limit, cursor=cursor)
    return repository.get().by_status(PostStatus.VERIFIED, limit=limit, cursor=cursor)


def trending_score(post: Post, now: datetime) -> float:
    """Engagement (likes, a shop reply) over age, decaying like Hacker News's ranking."""
    since = clock.parse(post.verified_at or post.updated_at)
    hours = max((now - since).total_seconds() / 3600.0, 0.0)
    engagement = post.likes + (2 if post.reply else 0) + 1
    return engagement / math.pow(hours + 2.0, TRENDING_GRAVITY)


def feed_trending(shop_id: str | None, *, limit: int) -> list[Post]:
    """The newest verified posts ranked by engagement with time decay."""
    recent = feed_recent(shop_id, limit=TRENDING_WINDOW, cursor=None).items
    now = clock.now()
    return sorted(recent, key=lambda p: trending_score(p, now), reverse=True)[:limit]


def like(caller: Caller, post_id: str) -> Post:
    """Like a verified post (once per account; a second like changes nothing)."""
    post = get_post(caller, post_id)
    if post.status is not PostStatus.VERIFIED:
        raise ConflictError("Only a verified post is liked", details={"status": post.status.value})
    repository.get().like(post_id, caller.account_id)
    stored = repository.get().post(post_id)
    assert stored is not None
    return stored


def reply(caller: Caller, post_id: str, text: str) -> Post:
    """The shop's public reply to a verified post about it (replaces an earlier one)."""
    post = repository.get().post(post_id)
    if post is None or post.status is not PostStatus.VERIFIED:
        raise NotFoundError("No such verified post", details={"post_id": post_id})
    if not _is_shop_staff(caller, post):
        raise ForbiddenError("Only the post's shop replies to it")
    for _ in range(3):  # bounded: another writer (a like) may move the version meanwhile
        stored = repository.get().transition(
            replace(post, reply=text, reply_at=clock.iso(clock.now())),
            expected=(PostStatus.VERIFIED,),
        )
        if stored is not None:
            return stored
        fresh = repository.get().post(post_id)
        if fresh is None:
            break
        post = fresh
    raise ConflictError("The post changed while replying; try again")
