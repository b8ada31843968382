"""Recommendation values: engagement kinds, a user's weighted history, ranked products."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Engagement(StrEnum):
    """What a user did with a product, weakest first (weights in settings)."""

    VIEW = "view"
    WISHLIST = "wishlist"
    CART = "cart"
    PURCHASE = "purchase"


class Strategy(StrEnum):
    """How a list was made: the model on the user's history, or popularity (cold start);
    for a product, its neighbours in the model, or the catalog's similar products when
    the model does not know it yet (cold item)."""

    PERSONAL = "personal"
    POPULAR = "popular"
    RELATED = "related"
    SIMILAR = "similar"


@dataclass(frozen=True)
class Profile:
    """A user's weighted engagement per product, as of the last training run, and what
    the user bought (never recommended back)."""

    user_id: str
    weights: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, Engagement] = field(default_factory=dict)
    bought: frozenset[str] = frozenset()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Reason:
    """Why a product is recommended: the product of the history that led to it."""

    kind: Engagement
    product_id: str

    def describe(self, title: str | None) -> str:
        """ "because you viewed “…”" (the product's title when it is still listed)."""
        verbs = {
            Engagement.VIEW: "viewed",
            Engagement.WISHLIST: "saved",
            Engagement.CART: "added to your cart",
            Engagement.PURCHASE: "bought",
        }
        name = f"“{title}”" if title else "a product"
        return f"because you {verbs[self.kind]} {name}"


@dataclass(frozen=True)
class Recommended:
    product_id: str
    score: float
    reason: Reason | None = None


@dataclass(frozen=True)
class Recommendations:
    """One page of a computed list, with how it was made and by which model version."""

    items: list[Recommended]
    strategy: Strategy
    model_version: str | None
    next_offset: int | None = None
