"""Response models of the recommendation routes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.catalog import service as catalog
from chalicelib.core.validation import ResponseModel
from chalicelib.recommendations.domain import Recommendations


class ReasonView(ResponseModel):
    kind: str = Field(description="view, wishlist, cart or purchase")
    product_id: str
    text: str = Field(description='e.g. "because you viewed “Glow Desk Lamp”"')


class RecommendationView(ResponseModel):
    product: catalog.ProductCard
    score: float
    reason: ReasonView | None = None


class RecommendationPage(ResponseModel):
    items: list[RecommendationView]
    next_cursor: str | None = None
    strategy: str = Field(
        description="personal, popular (no history yet), related (a product's neighbours "
        "in the model) or similar (a product the model does not know yet: its category's "
        "most popular listed products, score 0)"
    )
    model_version: str | None = Field(description="the model version that ranked the list")

    @classmethod
    def of(
        cls, result: Recommendations, cards: dict[str, catalog.ProductCard], next_cursor: str | None
    ) -> RecommendationPage:
        items: list[dict[str, Any]] = []
        for item in result.items:
            reason = None
            if item.reason is not None:
                reason = {
                    "kind": str(item.reason.kind),
                    "product_id": item.reason.product_id,
                    "text": item.reason.describe(
                        card.title if (card := cards.get(item.reason.product_id)) else None
                    ),
                }
            items.append(
                {"product": cards[item.product_id], "score": round(item.score, 6), "reason": reason}
            )
        return cls.model_validate(
            {
                "items": items,
                "next_cursor": next_cursor,
                "strategy": str(result.strategy),
                "model_version": result.model_version,
            }
        )
