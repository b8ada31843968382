"""Serving: a user's recommendations, a product's related products, and the model in use.

The model is the version named current in the models bucket (``recs/current.json``,
looked up at most every ``recs_model_check_seconds``), else ``recs_model_version``; its
onnxruntime session is cached per container and replaced when another version is
published, without a restart. Every candidate is checked with the catalog (listed, in
stock; deleted products and banned sellers' never come back) and nothing the user bought
is recommended back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.catalog import service as catalog
from chalicelib.core import clock, model_store
from chalicelib.core.caller import Caller
from chalicelib.core.errors import BadRequestError, NotFoundError
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.orders.service import orders
from chalicelib.recommendations import repository
from chalicelib.recommendations.domain import (
    Engagement,
    Reason,
    Recommendations,
    Recommended,
    Strategy,
)

if TYPE_CHECKING:
    from chalicelib.recommendations.ranking import RecsModel

MAX_HISTORY = 50  # the strongest engagements scored per request
MAX_ROUNDS = 4  # candidate rounds (each asks the model for 4x more) before giving up
CATALOG_CHUNK = 100
MARGIN = 4  # candidates asked about beyond what the page still needs


def _load(directory: Path, version: str) -> RecsModel:
    from chalicelib.recommendations.ranking import RecsModel  # onnxruntime: on first use

    return RecsModel(directory)


_published: model_store.Published[RecsModel] = model_store.Published(
    lambda: get_settings().recs_model_name,
    lambda: get_settings().recs_model_version,
    _load,
    lambda: get_settings().recs_model_check_seconds,
)


def current_model() -> RecsModel | None:
    """The model in use (None when none can be loaded), reloaded when a newer version is
    published as current (``core.model_store.Published``)."""
    try:
        return _published.get()[1]
    except model_store.ModelUnavailableError:  # logged by the check that failed
        return None


def forget_model() -> None:
    """Drop the cached model (tests)."""
    _published.forget()


def engagement_weight(kind: Engagement) -> float:
    """The weight of ``kind`` relative to a purchase (settings)."""
    settings = get_settings()
    weights = {
        Engagement.VIEW: settings.recs_weight_view,
        Engagement.WISHLIST: settings.recs_weight_wishlist,
        Engagement.CART: settings.recs_weight_cart,
        Engagement.PURCHASE: settings.recs_weight_purchase,
    }
    return weights[kind] / settings.recs_weight_purchase


def _recent_purchases(caller: Caller) -> set[str]:
    """Products in the caller's recent orders (live: what they just bought)."""
    page = orders.my_orders(
        caller,
        since=clock.now() - timedelta(days=365),
        limit=get_settings().recs_recent_orders,
        cursor=None,
    )
    return {line.product_id for order in page.items for line in order.lines}


def for_user(
    caller: Caller, *, offset: int, limit: int, category: str | None = None
) -> tuple[Recommendations, dict[str, catalog.ProductCard]]:
    """The caller's recommendations from ``offset`` (a page of ``limit``) and the cards of
    the products shown and of their reasons. Cold users (no history the model knows) get
    popular products (in ``category`` when given)."""
    model = current_model()
    profile = repository.get().profile(caller.account_id)
    bought = set(profile.bought if profile else ()) | _recent_purchases(caller)
    weights = dict(profile.weights) if profile else {}
    kinds = dict(profile.kinds) if profile else {}
    for product_id in bought:
        weights[product_id] = max(weights.get(product_id, 0.0), 1.0)
        kinds[product_id] = Engagement.PURCHASE
    if model is None:
        return Recommendations([], Strategy.POPULAR, None), {}
    known = sorted(
        ((pid, w) for pid, w in weights.items() if pid in model.index), key=lambda e: -e[1]
    )[:MAX_HISTORY]
    history = [(model.index[pid], w) for pid, w in known]
    exclude = sorted(model.index[pid] for pid in bought if pid in model.index)
    strategy = Strategy.PERSONAL if history else Strategy.POPULAR

    def rank(k: int) -> list[Recommended]:
        ranked = model.rank(history, exclude, k)
        out = []
        for item, score, reason in zip(ranked.items, ranked.scores, ranked.reasons, strict=True):
            product_id = model.keys[int(item)]
            because = None
            if int(reason) >= 0:
                source = known[int(reason)][0]
                because = Reason(kinds.get(source, Engagement.VIEW), source)
            out.append(Recommended(product_id, float(score), because))
        return out

    wanted = category if strategy is Strategy.POPULAR else None
    items, cards, _ = _filtered(rank, model.size, offset + limit, skip=bought, category=wanted)
    page = items[offset : offset + limit]
    next_offset = offset + limit if len(items) > offset + limit else None
    return Recommendations(page, strategy, model.version, next_offset), _with_reasons(page, cards)


def related(
    product_id: str, *, offset: int, limit: int
) -> tuple[Recommendations, dict[str, catalog.ProductCard]]:
    """Products related to ``product_id`` (bought and viewed together), then popular ones
    of its category; NotFoundError for a product shoppers cannot see.

    The one related list there is (the catalog's product view links here). A product the
    model does not know (newer than the last training run, or no model yet) gets the
    catalog's similar products (its (sub)category's most popular, strategy ``similar``)
    instead of neighbours.
    """
    product = catalog.cards([product_id]).get(product_id)
    if product is None:
        raise NotFoundError("No such product", details={"product_id": product_id})
    model = current_model()
    index = model.index.get(product_id) if model is not None else None
    want = offset + limit
    items: list[Recommended]
    if model is not None and index is not None:
        strategy = Strategy.RELATED

        def neighbours(k: int) -> list[Recommended]:
            ranked = model.rank([(index, 1.0)], [index], k, prior_scale=0.0)
            return [
                Recommended(model.keys[int(i)], float(s))
                for i, s in zip(ranked.items, ranked.scores, strict=True)
                if float(s) > 0
            ]

        items, cards, _ = _filtered(neighbours, model.size, want, skip={product_id})
    else:
        strategy = Strategy.SIMILAR

        def similar(k: int) -> list[Recommended]:
            return [Recommended(pid, 0.0) for pid in catalog.similar(product_id, limit=k)]

        most = get_settings().recs_max_results + 1
        items, cards, _ = _filtered(similar, most, want, skip={product_id})
    if model is not None and len(items) < want + 1:

        def popular(k: int) -> list[Recommended]:
            ranked = model.rank([], [], k)
            return [
                Recommended(model.keys[int(i)], float(s))
                for i, s in zip(ranked.items, ranked.scores, strict=True)
            ]

        seen = {product_id, *(r.product_id for r in items)}
        rest, more_cards, _ = _filtered(
            popular, model.size, want + 1 - len(items), skip=seen, category=product.category
        )
        items += rest
        cards.update(more_cards)
    page = items[offset : offset + limit]
    next_offset = offset + limit if len(items) > offset + limit else None
    version = model.version if model is not None else None
    return Recommendations(page, strategy, version, next_offset), _with_reasons(page, cards)


def _filtered(
    rank: Callable[[int], list[Recommended]],
    size: int,
    want: int,
    *,
    skip: Iterable[str],
    category: str | None = None,
) -> tuple[list[Recommended], dict[str, catalog.ProductCard], bool]:
    """The first ``want`` + 1 ranked products the catalog still offers (listed, in stock,
    of ``category`` if given), not in ``skip``; their cards; whether more may follow.

    The catalog is asked about as few candidates as can fill the page (what is missing,
    plus a small margin, per batch read): its product reads are the request's main cost.
    """
    skipped = set(skip)
    k = min(size, max(2 * want + 20, 40))
    kept: list[Recommended] = []
    cards: dict[str, catalog.ProductCard] = {}
    checked: set[str] = set()
    for _ in range(MAX_ROUNDS):
        ranked = [r for r in rank(k) if r.product_id not in skipped | checked]
        start = 0
        while start < len(ranked):
            batch = min(CATALOG_CHUNK, max(want + 1 - len(kept) + MARGIN, MARGIN))
            chunk = ranked[start : start + batch]
            start += batch
            found = catalog.recommendable(r.product_id for r in chunk)
            for r in chunk:
                checked.add(r.product_id)
                card = found.get(r.product_id)
                if card is not None and (category is None or card.category == category):
                    kept.append(r)
                    cards[r.product_id] = card
            if len(kept) > want:
                return kept, cards, True
        if k >= size:
            break
        k = min(size, k * 4)
    return kept, cards, False


def _with_reasons(
    page: list[Recommended], cards: dict[str, catalog.ProductCard]
) -> dict[str, catalog.ProductCard]:
    """The page's cards plus the (active) cards of the products its reasons name."""
    shown = {r.product_id: cards[r.product_id] for r in page}
    reasons = {r.reason.product_id for r in page if r.reason} - set(shown)
    known = {pid: cards[pid] for pid in reasons if pid in cards}
    missing = reasons - set(known)
    return {**shown, **known, **(catalog.cards(missing) if missing else {})}


def offset_of(cursor: str | None) -> int:
    """The list position a cursor stands for (0 without one); BadRequestError if invalid
    or beyond the longest list served."""
    key = decode_cursor(cursor)
    if key is None:
        return 0
    offset = key.get("offset")
    if not isinstance(offset, int) or not 0 <= offset < get_settings().recs_max_results:
        raise BadRequestError("Invalid pagination cursor")
    return offset


def cursor_of(next_offset: int | None) -> str | None:
    """The cursor of the next page (None at the end or past the longest list served)."""
    if next_offset is None or next_offset >= get_settings().recs_max_results:
        return None
    return encode_cursor({"offset": next_offset})
