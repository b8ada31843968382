"""Recommendations for a user and related products: what the catalog no longer offers and
what the user bought never come back; cold users get popular products."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import NotFoundError
from chalicelib.recommendations.domain import Engagement, Profile, Recommendations, Strategy
from chalicelib.recommendations.ranking import RecsModel
from chalicelib.recommendations.service import serving
from tests.fakes.catalog import InMemoryCatalogRepository, make_product, make_shop
from tests.fakes.orders import InMemoryOrdersRepository, new_checkout
from tests.fakes.recommendations import FakeRecsRepository

ANN = Caller(account_id="ann", role=Role.USER)


def _stock(catalog: InMemoryCatalogRepository, **overrides: Any) -> None:
    """p-1..p-9 listed in two shops (p-6..p-9 in the second, category home)."""
    first, second = make_shop("shop-1", "seller-1"), make_shop("shop-2", "seller-2")
    catalog.shop_items.update({first.shop_id: first, second.shop_id: second})
    for n in range(1, 10):
        shop = first if n <= 5 else second
        values = {"category": "shoes" if n <= 5 else "home", **overrides.get(f"p-{n}", {})}
        catalog.product_items[f"p-{n}"] = make_product(f"p-{n}", shop, **values)


def _ids(result: Recommendations) -> list[str]:
    return [item.product_id for item in result.items]


def test_a_cold_user_gets_popular_products(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
) -> None:
    # Given a user with no history at all
    _stock(catalog_repo)
    # When they ask for recommendations
    result, cards = serving.for_user(ANN, offset=0, limit=3)
    # Then they get the most popular products, without reasons
    assert result.strategy is Strategy.POPULAR
    assert _ids(result)[0] == "p-1"
    assert all(item.reason is None for item in result.items)
    assert set(cards) == set(_ids(result))
    # and popular products of one category when they ask for it
    home, _ = serving.for_user(ANN, offset=0, limit=3, category="home")
    assert _ids(home)
    assert all(cards_id.startswith("p-") for cards_id in _ids(home))
    assert all(int(pid[2:]) >= 6 for pid in _ids(home))


def test_recommendations_follow_the_history_with_a_reason(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
) -> None:
    # Given a user who viewed p-7
    _stock(catalog_repo)
    recs_repo.profiles["ann"] = Profile("ann", {"p-7": 1.0}, {"p-7": Engagement.VIEW})
    # When they ask for recommendations
    result, cards = serving.for_user(ANN, offset=0, limit=3)
    # Then what was bought with p-7 comes first, because they viewed it
    assert result.strategy is Strategy.PERSONAL
    assert set(_ids(result)[:2]) == {"p-6", "p-8"}
    first = result.items[0]
    assert first.reason is not None
    assert first.reason.product_id == "p-7"
    assert first.reason.describe(cards["p-7"].title) == "because you viewed “Product p-7”"


def test_bought_out_of_stock_deleted_and_banned_products_are_never_recommended(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
) -> None:
    # Given a user who bought p-2 (training) and p-3 (just now, live), with p-4 out of
    # stock, p-5 deleted, and the second shop's seller banned
    _stock(catalog_repo, **{"p-4": {"stock": 0}})
    catalog_repo.product_items["p-5"] = replace(
        catalog_repo.product_items["p-5"],
        status=type(catalog_repo.product_items["p-5"].status)("DELETED"),
    )
    catalog_repo.shop_items["shop-2"] = replace(
        catalog_repo.shop_items["shop-2"], seller_banned=True
    )
    recs_repo.profiles["ann"] = Profile(
        "ann", {"p-2": 1.0}, {"p-2": Engagement.PURCHASE}, frozenset({"p-2"})
    )
    orders_repo.add_checkout(
        new_checkout({"p-3": 1}, user_id="ann", shops=("shop-1",)), redemption=None
    )
    # When they page through every recommendation
    result, _ = serving.for_user(ANN, offset=0, limit=20)
    # Then only p-1 is left of the nine
    assert _ids(result) == ["p-1"]
    assert result.next_offset is None


def test_pages_do_not_repeat(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
    orders_repo: InMemoryOrdersRepository,
) -> None:
    _stock(catalog_repo)
    first, _ = serving.for_user(ANN, offset=0, limit=4)
    assert first.next_offset == 4
    second, _ = serving.for_user(ANN, offset=4, limit=4)
    assert not set(_ids(first)) & set(_ids(second))
    cursor = serving.cursor_of(first.next_offset)
    assert serving.offset_of(cursor) == 4


def test_related_products_are_bought_together_then_popular_in_the_category(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
) -> None:
    _stock(catalog_repo)
    result, _ = serving.related("p-9", offset=0, limit=4)
    ids = _ids(result)
    assert ids[0] == "p-6"
    assert "p-9" not in ids
    assert all(int(pid[2:]) >= 6 for pid in ids)  # its neighbours, then its category
    assert result.strategy is Strategy.RELATED


def test_a_product_the_model_does_not_know_gets_its_categorys_popular_listed_products(
    model: RecsModel,
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
) -> None:
    # Given a new shoe (p-new, unknown to the model) beside p-1..p-5, p-3 the most popular
    # shoe in the catalog, p-2 out of stock and p-4 deleted
    _stock(catalog_repo, **{"p-2": {"stock": 0}})
    catalog_repo.product_items["p-3"] = replace(catalog_repo.product_items["p-3"], popularity=50)
    catalog_repo.product_items["p-4"] = replace(
        catalog_repo.product_items["p-4"],
        status=type(catalog_repo.product_items["p-4"].status)("DELETED"),
    )
    shop = catalog_repo.shop_items["shop-1"]
    catalog_repo.product_items["p-new"] = make_product("p-new", shop, category="shoes")
    catalog_repo.post_many(catalog_repo.product_items.values())  # p-4 still in the index
    # When its related products are asked for
    result, cards = serving.related("p-new", offset=0, limit=3)
    # Then the catalog's similar products stand in for neighbours: its category's listed,
    # in-stock products, the most popular first, never itself
    ids = _ids(result)
    assert result.strategy is Strategy.SIMILAR
    assert ids[0] == "p-3"
    assert set(ids) <= {"p-1", "p-3", "p-5"}
    assert len(ids) == 3
    assert set(cards) == set(ids)
    assert result.model_version == model.version


def test_without_a_model_related_products_are_the_catalogs_similar_ones(
    catalog_repo: InMemoryCatalogRepository,
    recs_repo: FakeRecsRepository,
    monkeypatch: Any,
) -> None:
    # Given no model can be loaded
    monkeypatch.setattr(serving, "current_model", lambda: None)
    _stock(catalog_repo)
    catalog_repo.post_many(catalog_repo.product_items.values())
    # When a product's related products are paged through
    first, _ = serving.related("p-7", offset=0, limit=2)
    second, _ = serving.related("p-7", offset=2, limit=2)
    # Then they are the other home products, each once, and the list still ends
    assert first.strategy is Strategy.SIMILAR
    assert first.model_version is None
    assert first.next_offset == 2
    assert set(_ids(first)) | set(_ids(second)) == {"p-6", "p-8", "p-9"}
    assert second.next_offset is None
    # and a product shoppers cannot see is still not found
    with pytest.raises(NotFoundError):
        serving.related("p-nope", offset=0, limit=2)
