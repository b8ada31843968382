"""Bill posts' request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.bills.domain import Check, Extraction, Post, PostStatus
from chalicelib.bills.storage import UploadGrant
from chalicelib.core.pagination import Page
from chalicelib.core.validation import RequestModel, ResponseModel


class NewPost(RequestModel):
    content_type: Literal["image/jpeg", "image/png"]
    shop_id: str | None = Field(default=None, min_length=1, max_length=64)
    product_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str | None = Field(default=None, max_length=2000)
    rating: int | None = Field(default=None, strict=True, ge=1, le=5)


class DecisionRequest(RequestModel):
    decision: Literal["VERIFIED", "REJECTED"]
    note: str | None = Field(default=None, max_length=500)


class ReplyRequest(RequestModel):
    text: str = Field(min_length=1, max_length=2000)


class UploadView(ResponseModel):
    """POST the file to ``url`` as multipart form data: every field, then ``file``."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_in: int

    @classmethod
    def of(cls, grant: UploadGrant) -> UploadView:
        return cls.model_validate(grant, from_attributes=True)


class LineItemView(ResponseModel):
    description: str
    amount: int


class ExtractionView(ResponseModel):
    company: str | None
    date: str | None
    total: int | None
    currency: str
    line_items: list[LineItemView]
    confidence: dict[str, float]
    engine: str

    @classmethod
    def of(cls, extraction: Extraction) -> ExtractionView:
        return cls(
            company=extraction.company,
            date=extraction.date,
            total=extraction.total,
            currency=extraction.currency,
            line_items=[
                LineItemView(description=i.description, amount=i.amount)
                for i in extraction.line_items
            ],
            confidence=dict(extraction.confidence),
            engine=extraction.engine,
        )


class CheckView(ResponseModel):
    name: str
    passed: bool
    score: float
    detail: str

    @classmethod
    def of(cls, check: Check) -> CheckView:
        return cls(name=check.name, passed=check.passed, score=check.score, detail=check.detail)


class PublicPost(ResponseModel):
    """A verified post as everyone sees it (no bill, no checks)."""

    post_id: str
    status: PostStatus
    shop_id: str | None = None
    product_id: str | None = None
    text: str | None = None
    rating: int | None = None
    verified_at: str | None = None
    likes: int = 0
    reply: str | None = None
    reply_at: str | None = None
    image_url: str | None = None

    @classmethod
    def of(cls, post: Post, image_url: str | None = None) -> PublicPost:
        return cls(
            post_id=post.post_id,
            status=post.status,
            shop_id=post.shop_id,
            product_id=post.product_id,
            text=post.text,
            rating=post.rating,
            verified_at=post.verified_at,
            likes=post.likes,
            reply=post.reply,
            reply_at=post.reply_at,
            image_url=image_url,
        )


class PostView(PublicPost):
    """A post as its author, its shop and admins see it: the checks and their reasons."""

    author_id: str
    created_at: str
    updated_at: str
    reason: str | None = None
    checks: list[CheckView] = []
    extraction: ExtractionView | None = None
    edit_probability: float | None = None
    duplicate_of: str | None = None
    decided_by: str | None = None
    attempts: int = 0

    @classmethod
    def of(cls, post: Post, image_url: str | None = None) -> PostView:
        base = PublicPost.of(post, image_url).model_dump()
        return cls(
            **base,
            author_id=post.author_id,
            created_at=post.created_at,
            updated_at=post.updated_at,
            reason=post.reason,
            checks=[CheckView.of(check) for check in post.checks],
            extraction=ExtractionView.of(post.extraction) if post.extraction else None,
            edit_probability=post.edit_probability,
            duplicate_of=post.duplicate_of,
            decided_by=post.decided_by,
            attempts=post.attempts,
        )


class PostCreated(ResponseModel):
    post: PostView
    upload: UploadView


class BillUrl(ResponseModel):
    url: str
    expires_in: int


class PostPage(ResponseModel):
    items: list[PostView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: Page[Post]) -> PostPage:
        return cls(items=[PostView.of(post) for post in page.items], next_cursor=page.next_cursor)


class FeedPage(ResponseModel):
    items: list[PublicPost]
    next_cursor: str | None = None
