"""Reviews routes: buyers review, shops reply, shoppers vote, admins moderate; summaries
and analytics. Each route parses, calls one use case and returns a schema."""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint, Response

from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.errors import BadRequestError
from chalicelib.reviews.domain import Report, SubjectKind, VoteKind
from chalicelib.reviews.schemas import (
    AnalyticsView,
    AuditList,
    ModeratedReviewView,
    ModerationPage,
    PhotoGrantView,
    PhotoUploadInput,
    ReasonInput,
    ReplyInput,
    ReportInput,
    ReviewInput,
    ReviewPage,
    ReviewPatch,
    ReviewView,
    ShopReviewInput,
    SummaryView,
)
from chalicelib.reviews.service import analytics, reviews
from chalicelib.web.access import PUBLIC, SIGNED_IN, roles
from chalicelib.web.routing import PAGE_QUERY, QueryParam, api_route, page_of, query_of

bp = Blueprint(__name__)
TAGS = ["reviews"]
ANALYTICS = (
    QueryParam("product_id", "Only this product (of your shop, for a seller)"),
    QueryParam("since", "Reviews created at or after (ISO 8601)"),
)
SELLER_OR_ADMIN = roles("seller", "admin")


def _query(name: str) -> str | None:
    return query_of(bp).get(name) or None


def _since() -> datetime | None:
    raw = _query("since")
    if raw is None:
        return None
    try:
        return clock.parse(raw)
    except ValueError:
        raise BadRequestError("since must be an ISO 8601 date or time") from None


@api_route(
    bp,
    "/products/{product_id}/reviews",
    methods=["POST"],
    summary="Review a product you bought (403 NOT_A_BUYER otherwise; one per product)",
    tags=TAGS,
    request_model=ReviewInput,
    response_model=ReviewView,
    access=SIGNED_IN,
    status=201,
    errors=[403, 404, 409, 422],
)
def write_review(product_id: str, body: ReviewInput, caller: Caller) -> ReviewView:
    return ReviewView.of(
        reviews.write(
            caller,
            product_id,
            rating=body.rating,
            title=body.title,
            text=body.text,
            photo_ids=body.photo_ids,
        )
    )


@api_route(
    bp,
    "/products/{product_id}/reviews",
    summary="A product's published reviews, newest first",
    tags=TAGS,
    response_model=ReviewPage,
    query=PAGE_QUERY,
    errors=[400],
)
def product_reviews(product_id: str) -> ReviewPage:
    limit, cursor = page_of(bp)
    page = reviews.product_reviews(product_id, limit=limit, cursor=cursor)
    return ReviewPage.of(page)


@api_route(
    bp,
    "/products/{product_id}/reviews/summary",
    summary="A product's rating: average, count, 1-5 distribution",
    tags=TAGS,
    response_model=SummaryView,
)
def product_summary(product_id: str) -> SummaryView:
    return SummaryView.of(reviews.summary(SubjectKind.PRODUCT, product_id))


@api_route(
    bp,
    "/shops/{shop_id}/reviews",
    methods=["POST"],
    summary="Review a shop with your VERIFIED bill post for it (403 NOT_A_BUYER otherwise; "
    "one per shop)",
    tags=TAGS,
    request_model=ShopReviewInput,
    response_model=ReviewView,
    access=SIGNED_IN,
    status=201,
    errors=[403, 404, 409, 422],
)
def write_shop_review(shop_id: str, body: ShopReviewInput, caller: Caller) -> ReviewView:
    return ReviewView.of(
        reviews.write_shop_review(
            caller,
            shop_id,
            post_id=body.post_id,
            rating=body.rating,
            title=body.title,
            text=body.text,
            photo_ids=body.photo_ids,
        )
    )


@api_route(
    bp,
    "/shops/{shop_id}/reviews",
    summary="The published reviews of a shop itself (by verified bills), newest first",
    tags=TAGS,
    response_model=ReviewPage,
    query=PAGE_QUERY,
    errors=[400],
)
def shop_own_reviews(shop_id: str) -> ReviewPage:
    limit, cursor = page_of(bp)
    page = reviews.reviews_of_shop(shop_id, limit=limit, cursor=cursor)
    return ReviewPage.of(page)


@api_route(
    bp,
    "/shops/{shop_id}/reviews/summary",
    summary="A shop's rating over its products' reviews and its own: average, count, distribution",
    tags=TAGS,
    response_model=SummaryView,
)
def shop_summary(shop_id: str) -> SummaryView:
    return SummaryView.of(reviews.summary(SubjectKind.SHOP, shop_id))


@api_route(
    bp,
    "/reviews/{review_id}",
    summary="One published review",
    tags=TAGS,
    response_model=ReviewView,
    access=PUBLIC,
    errors=[404],
)
def get_review(review_id: str) -> ReviewView:
    return ReviewView.of(reviews.get_review(None, review_id))


@api_route(
    bp,
    "/reviews/{review_id}",
    methods=["PATCH"],
    summary="Edit your review (the former version is kept; sentiment is scored again)",
    tags=TAGS,
    request_model=ReviewPatch,
    response_model=ReviewView,
    access=SIGNED_IN,
    errors=[404, 409, 422],
)
def edit_review(review_id: str, body: ReviewPatch, caller: Caller) -> ReviewView:
    return ReviewView.of(
        reviews.edit(
            caller,
            review_id,
            rating=body.rating,
            title=body.title,
            text=body.text,
            photo_ids=body.photo_ids,
        )
    )


@api_route(
    bp,
    "/reviews/photos",
    methods=["POST"],
    summary="Upload a photo for your review (a pre-signed POST; then name its image_id in "
    "photo_ids)",
    tags=TAGS,
    request_model=PhotoUploadInput,
    response_model=PhotoGrantView,
    access=SIGNED_IN,
    status=201,
    errors=[403],
)
def request_photo(body: PhotoUploadInput, caller: Caller) -> PhotoGrantView:
    grant = reviews.request_photo_upload(caller, body.content_type, body.size)
    return PhotoGrantView.model_validate(grant, from_attributes=True)


@api_route(
    bp,
    "/reviews/{review_id}",
    methods=["DELETE"],
    summary="Delete your review (it leaves the ratings)",
    tags=TAGS,
    access=SIGNED_IN,
    status=204,
    errors=[404, 409],
)
def delete_review(review_id: str, caller: Caller) -> None:
    reviews.delete(caller, review_id)


@api_route(
    bp,
    "/reviews/{review_id}/reply",
    methods=["PUT"],
    summary="The shop's public reply (one; a second call edits it); admins may reply too",
    tags=TAGS,
    request_model=ReplyInput,
    response_model=ReviewView,
    access=SELLER_OR_ADMIN,
    errors=[403, 404, 409],
)
def reply(review_id: str, body: ReplyInput, caller: Caller) -> ReviewView:
    return ReviewView.of(reviews.reply(caller, review_id, body.text))


@api_route(
    bp,
    "/reviews/{review_id}/helpful",
    methods=["POST"],
    summary="Mark a review helpful (once)",
    tags=TAGS,
    access=SIGNED_IN,
    status=204,
    errors=[404, 409],
)
def helpful(review_id: str, caller: Caller) -> None:
    reviews.vote(caller, review_id, VoteKind.HELPFUL)


@api_route(
    bp,
    "/reviews/{review_id}/report",
    methods=["POST"],
    summary="Report a review to the moderators (once)",
    tags=TAGS,
    request_model=ReportInput,
    access=SIGNED_IN,
    status=204,
    errors=[404, 409],
    body_optional=True,
)
def report(review_id: str, body: ReportInput, caller: Caller) -> None:
    reviews.vote(caller, review_id, VoteKind.REPORT, body.reason)


@api_route(
    bp,
    "/shop/reviews",
    summary="Your shop's reviews (every status, with sentiment and problems)",
    tags=TAGS,
    response_model=ReviewPage,
    access=roles("seller"),
    query=PAGE_QUERY,
    errors=[400],
)
def shop_reviews(caller: Caller) -> ReviewPage:
    limit, cursor = page_of(bp)
    page = reviews.shop_reviews(caller, limit=limit, cursor=cursor)
    return ReviewPage.of(page)


def _analytics(caller: Caller, shop_id: str | None) -> Report:
    scope = analytics.scope_for(caller, shop_id=shop_id, product_id=_query("product_id"))
    return analytics.report(caller, scope, since=_since())


@api_route(
    bp,
    "/shop/reviews/analytics",
    summary="Your shop's review analytics: ratings and sentiment by month, problems, advice",
    tags=TAGS,
    response_model=AnalyticsView,
    access=roles("seller"),
    query=ANALYTICS,
    errors=[400, 404],
)
def shop_analytics(caller: Caller) -> AnalyticsView:
    return AnalyticsView.of(_analytics(caller, None))


@api_route(
    bp,
    "/shop/reviews/analytics.csv",
    summary="Your shop's review analytics as CSV",
    tags=TAGS,
    access=roles("seller"),
    query=ANALYTICS,
    errors=[400, 404],
    content_type="text/csv",
)
def shop_analytics_csv(caller: Caller) -> Response:
    return _csv(_analytics(caller, None))


def _csv(result: Report) -> Response:
    return Response(
        body=analytics.to_csv(result),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="review-analytics.csv"',
        },
    )


ADMIN_ANALYTICS = (*ANALYTICS, QueryParam("shop_id", "Only this shop"))


@api_route(
    bp,
    "/admin/reviews/analytics",
    summary="Review analytics of the platform, a shop or a product (admin)",
    tags=TAGS,
    response_model=AnalyticsView,
    access=roles("admin"),
    query=ADMIN_ANALYTICS,
    errors=[400, 404],
)
def admin_analytics(caller: Caller) -> AnalyticsView:
    return AnalyticsView.of(_analytics(caller, _query("shop_id")))


@api_route(
    bp,
    "/admin/reviews/analytics.csv",
    summary="Review analytics of the platform, a shop or a product as CSV (admin)",
    tags=TAGS,
    access=roles("admin"),
    query=ADMIN_ANALYTICS,
    errors=[400, 404],
    content_type="text/csv",
)
def admin_analytics_csv(caller: Caller) -> Response:
    return _csv(_analytics(caller, _query("shop_id")))


@api_route(
    bp,
    "/admin/reviews/moderation",
    summary="Reviews waiting for a moderator: reported, low-confidence, negative and abusive",
    tags=TAGS,
    response_model=ModerationPage,
    access=roles("admin"),
    query=PAGE_QUERY,
    errors=[400],
)
def moderation_queue() -> ModerationPage:
    limit, cursor = page_of(bp)
    page = reviews.moderation_queue(limit=limit, cursor=cursor)
    return ModerationPage.of(page)


@api_route(
    bp,
    "/admin/reviews/{review_id}/hide",
    methods=["POST"],
    summary="Hide a review with a reason (audited; it leaves the ratings)",
    tags=TAGS,
    request_model=ReasonInput,
    response_model=ModeratedReviewView,
    access=roles("admin"),
    errors=[404, 409],
)
def hide(review_id: str, body: ReasonInput, caller: Caller) -> ModeratedReviewView:
    return ModeratedReviewView.of(
        reviews.moderate(caller, review_id, hide=True, reason=body.reason)
    )


@api_route(
    bp,
    "/admin/reviews/{review_id}/restore",
    methods=["POST"],
    summary="Restore a hidden review with a reason (audited; it counts again)",
    tags=TAGS,
    request_model=ReasonInput,
    response_model=ModeratedReviewView,
    access=roles("admin"),
    errors=[404, 409],
)
def restore(review_id: str, body: ReasonInput, caller: Caller) -> ModeratedReviewView:
    return ModeratedReviewView.of(
        reviews.moderate(caller, review_id, hide=False, reason=body.reason)
    )


@api_route(
    bp,
    "/admin/reviews/{review_id}/audit",
    summary="Who hid or restored a review, when and why (admin)",
    tags=TAGS,
    response_model=AuditList,
    access=roles("admin"),
    errors=[404],
)
def audit(review_id: str) -> AuditList:
    return AuditList.of(reviews.audit(review_id))
