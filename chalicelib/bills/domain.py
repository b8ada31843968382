"""Bills' domain values: what OCR read off a bill, and a post's status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class OcrLine:
    """One line of text the OCR found: its box (x0, y0, x1, y1) in pixels, its confidence,
    and, when the engine gives them, each character's left and right edge and the widest
    run of blank pixel columns between it and the character before (``ink_gaps``, pixels;
    measured on the image, ``spacing.ink_gaps``) — both for spacing; and ``second``, the
    words a second engine read on the same stretch of paper, left to right, each with its
    confidence (0..1): where both engines read the same letters, the second one's word
    boundaries (``spacing.second_opinion``)."""

    text: str
    score: float
    box: tuple[float, float, float, float]
    char_edges: tuple[tuple[float, float], ...] = ()
    ink_gaps: tuple[float, ...] = ()
    second: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class LineItem:
    """One bought line: what it says and its amount in minor units."""

    description: str
    amount: int


@dataclass(frozen=True)
class Extraction:
    """The fields read off a bill, the same whichever engine read it.

    ``date`` is ISO (YYYY-MM-DD), ``total`` in minor units of ``currency``;
    ``confidence`` holds a 0..1 score per field (company, date, total), 0 for a field
    not found; ``raw_text`` is every line, top to bottom.
    """

    company: str | None
    date: str | None
    total: int | None
    currency: str
    line_items: tuple[LineItem, ...] = ()
    confidence: dict[str, float] = field(default_factory=dict)
    raw_text: str = ""
    engine: str = ""


class PostStatus(StrEnum):
    """Where a bill post stands. UPLOADING until the bill arrives; PROCESSING while it is
    checked; FAILED when a step broke (an admin can retry); then the decision."""

    UPLOADING = "UPLOADING"
    PROCESSING = "PROCESSING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    NEEDS_REVIEW = "NEEDS_REVIEW"
    FAILED = "FAILED"


DECIDABLE = (PostStatus.VERIFIED, PostStatus.REJECTED)


@dataclass(frozen=True)
class Check:
    """One check of a bill: its name, a score, whether it passed, what it saw."""

    name: str
    passed: bool
    score: float
    detail: str = ""


@dataclass(frozen=True)
class Post:
    """A shopper's post about a purchase, with the bill that proves it."""

    post_id: str
    author_id: str
    status: PostStatus
    bill_key: str
    content_type: str
    created_at: str
    updated_at: str
    shop_id: str | None = None
    product_id: str | None = None
    text: str | None = None
    rating: int | None = None
    extraction: Extraction | None = None
    checks: tuple[Check, ...] = ()
    edit_probability: float | None = None
    phash: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    verified_at: str | None = None
    decided_by: str | None = None
    public_key: str | None = None
    likes: int = 0
    reply: str | None = None
    reply_at: str | None = None
    attempts: int = 0
    version: int = 0

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


@dataclass(frozen=True)
class Verdict:
    """What the checks decided, and why."""

    status: PostStatus
    checks: tuple[Check, ...]
    reason: str
