"""Bill post routes: post a bill, follow its verification, decide, the feed, likes, replies."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.bills import storage
from chalicelib.bills.domain import PostStatus
from chalicelib.bills.schemas import (
    BillUrl,
    DecisionRequest,
    FeedPage,
    NewPost,
    PostCreated,
    PostPage,
    PostView,
    PublicPost,
    ReplyRequest,
    UploadView,
)
from chalicelib.bills.service import posts
from chalicelib.core.caller import Caller
from chalicelib.core.errors import ValidationFailedError
from chalicelib.web.access import SIGNED_IN, roles
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["bills"]


def _query() -> dict[str, str]:
    return query_of(bp)


@api_route(
    bp,
    "/bills/posts",
    methods=["POST"],
    summary="Post a bill: the post (UPLOADING) and a pre-signed upload for the image",
    tags=TAGS,
    request_model=NewPost,
    response_model=PostCreated,
    status=201,
    access=SIGNED_IN,
    errors=[404],
)
def create_post(body: NewPost, caller: Caller) -> PostCreated:
    post, grant = posts.create_post(
        caller,
        content_type=body.content_type,
        shop_id=body.shop_id,
        product_id=body.product_id,
        text=body.text,
        rating=body.rating,
    )
    return PostCreated(post=PostView.of(post), upload=UploadView.of(grant))


@api_route(
    bp,
    "/bills/posts/{post_id}",
    summary="A post: its status, checks and reasons (author, shop, admin; others: verified)",
    tags=TAGS,
    response_model=PostView,
    access=SIGNED_IN,
    errors=[404],
)
def get_post(post_id: str, caller: Caller) -> PostView:
    post = posts.get_post(caller, post_id)
    if posts.may_see_bill(caller, post):
        return PostView.of(post, posts.public_url(post))
    return PostView.of(post, posts.public_url(post)).model_copy(
        update={"checks": [], "extraction": None, "edit_probability": None, "reason": None}
    )


@api_route(
    bp,
    "/bills/posts/{post_id}/bill",
    summary="A short-lived URL of the private bill image (author, shop, admin only)",
    tags=TAGS,
    response_model=BillUrl,
    access=SIGNED_IN,
    errors=[403, 404],
)
def bill_url(post_id: str, caller: Caller) -> BillUrl:
    return BillUrl(url=posts.bill_url(caller, post_id), expires_in=storage.READ_TTL_SECONDS)


@api_route(
    bp,
    "/bills/posts/{post_id}/decision",
    methods=["POST"],
    summary="Decide a post NEEDS_REVIEW: VERIFIED or REJECTED (the post's shop or an admin)",
    tags=TAGS,
    request_model=DecisionRequest,
    response_model=PostView,
    access=roles("seller", "admin"),
    errors=[404, 409],
)
def decide(post_id: str, body: DecisionRequest, caller: Caller) -> PostView:
    return PostView.of(posts.decide(caller, post_id, PostStatus(body.decision), body.note))


@api_route(
    bp,
    "/bills/posts/{post_id}/retry",
    methods=["POST"],
    summary="Run a FAILED post's verification again (admins)",
    tags=TAGS,
    response_model=PostView,
    status=202,
    access=roles("admin"),
    errors=[404, 409],
)
def retry(post_id: str, caller: Caller) -> PostView:
    return PostView.of(posts.retry(caller, post_id))


@api_route(
    bp,
    "/bills/review",
    summary="Posts waiting for a decision (NEEDS_REVIEW) or a retry (FAILED): an admin's "
    "every shop's, a seller's their shop's",
    tags=TAGS,
    response_model=PostPage,
    access=roles("seller", "admin"),
    query=(
        QueryParam(
            "status",
            "NEEDS_REVIEW (default) or FAILED",
            schema={"type": "string", "enum": ["NEEDS_REVIEW", "FAILED"]},
        ),
        *PAGE_QUERY,
    ),
)
def for_review(caller: Caller) -> PostPage:
    query = _query()
    status = query.get("status") or "NEEDS_REVIEW"
    if status not in ("NEEDS_REVIEW", "FAILED"):
        raise ValidationFailedError("status must be NEEDS_REVIEW or FAILED")
    limit, cursor = page_of(bp)
    return PostPage.of(posts.for_review(caller, PostStatus(status), limit=limit, cursor=cursor))


@api_route(
    bp,
    "/bills/feed",
    summary="Verified posts: recent (newest first, paged) or trending (engagement with time "
    "decay), of every shop or one",
    tags=TAGS,
    response_model=FeedPage,
    query=(
        QueryParam(
            "sort",
            "recent (default) or trending",
            schema={"type": "string", "enum": ["recent", "trending"]},
        ),
        QueryParam("shop_id", "only this shop's posts"),
        *PAGE_QUERY,
    ),
)
def feed() -> FeedPage:
    query = _query()
    sort = query.get("sort") or "recent"
    if sort not in ("recent", "trending"):
        raise ValidationFailedError("sort must be recent or trending")
    limit, cursor = page_of(bp)
    shop_id = query.get("shop_id") or None
    if sort == "trending":
        items = posts.feed_trending(shop_id, limit=limit)
        return FeedPage(items=[PublicPost.of(p, posts.public_url(p)) for p in items])
    page = posts.feed_recent(shop_id, limit=limit, cursor=cursor)
    return FeedPage(
        items=[PublicPost.of(p, posts.public_url(p)) for p in page.items],
        next_cursor=page.next_cursor,
    )


@api_route(
    bp,
    "/bills/posts/{post_id}/like",
    methods=["POST"],
    summary="Like a verified post (once per account; again changes nothing)",
    tags=TAGS,
    response_model=PublicPost,
    access=SIGNED_IN,
    errors=[404, 409],
)
def like(post_id: str, caller: Caller) -> PublicPost:
    post = posts.like(caller, post_id)
    return PublicPost.of(post, posts.public_url(post))


@api_route(
    bp,
    "/bills/posts/{post_id}/reply",
    methods=["PUT"],
    summary="The shop's public reply to a verified post about it",
    tags=TAGS,
    request_model=ReplyRequest,
    response_model=PublicPost,
    access=roles("seller"),
    errors=[404, 409],
)
def reply_to_post(post_id: str, body: ReplyRequest, caller: Caller) -> PublicPost:
    post = posts.reply(caller, post_id, body.text)
    return PublicPost.of(post, posts.public_url(post))
