"""Stock for orders on the fakes: orders' stock use case and the catalog's inventory use
case run for real, one transaction across the fake orders and catalog repositories."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.catalog.errors import OutOfStockError
from chalicelib.core.events import DomainEvent
from chalicelib.orders.domain import StockState
from chalicelib.orders.service import stock as orders_stock
from tests.fakes.orders import InMemoryOrdersRepository, stored_checkout
from tests.unit.orders.conftest import Stock


def test_a_short_line_takes_nothing_and_names_the_product(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    stock["lamp"], stock["mug"] = 5, 1
    order = stored_checkout(repo, {"lamp": 2, "mug": 2}).orders[0]
    with pytest.raises(OutOfStockError) as short:
        orders_stock.reserve([order])
    assert short.value.details == {"product_ids": ["mug"]}
    assert (stock["lamp"], stock["mug"]) == (5, 1)
    assert repo.get_order(order.order_id).stock_state == StockState.NONE


def test_a_stale_retry_takes_nothing_more_and_a_stale_release_gives_back_nothing_more(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    stock["lamp"] = 5
    order = stored_checkout(repo, {"lamp": 3}).orders[0]
    assert orders_stock.reserve([order]) is True
    # A retried step holding a copy read before the first commit
    assert orders_stock.reserve([order]) is False
    assert stock["lamp"] == 2
    reserved = repo.get_order(order.order_id)
    assert orders_stock.release([reserved]) is True
    assert orders_stock.release([reserved]) is False  # a retried compensation
    assert stock["lamp"] == 5
    with pytest.raises(OutOfStockError, match="already released"):
        orders_stock.reserve([repo.get_order(order.order_id)])


def test_a_purged_product_does_not_block_a_release(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    stock["lamp"], stock["chair"] = 5, 5
    order = stored_checkout(repo, {"lamp": 1, "chair": 2}).orders[0]
    orders_stock.reserve([order])
    chair = stock.catalog.product("chair")
    assert chair is not None
    stock.catalog.purge_product(chair, only_if_deleted=False)  # purged while held
    assert orders_stock.release([repo.get_order(order.order_id)]) is True
    assert repo.get_order(order.order_id).stock_state == StockState.RELEASED
    assert stock["lamp"] == 5


def test_the_catalog_announces_what_moved(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    stock["lamp"] = 6  # the shop's low-stock threshold is 5
    order = stored_checkout(repo, {"lamp": 2}).orders[0]
    orders_stock.reserve([order])
    assert [(e.name, getattr(e, "stock", None)) for e in published] == [
        ("stock.updated", 4),
        ("product.updated", None),
        ("stock.low", 4),
    ]
    published.clear()
    orders_stock.release([replace(order, stock_state=StockState.RESERVED)])
    assert [e.name for e in published] == ["stock.updated", "product.updated"]


def test_a_sku_is_reserved_and_announced_on_its_own(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    from chalicelib.catalog.domain import Variant

    # Given a shirt in red/M (6 left; the shop's low-stock threshold is 5) and blue/L (9)
    stock["shirt"] = 15
    shirt = stock.catalog.product("shirt")
    assert shirt is not None
    variants = (Variant("red-m", 6, "red", "m"), Variant("blue-l", 9, "blue", "l"))
    stock.catalog.product_items["shirt"] = replace(shirt, variants=variants)
    order = stored_checkout(repo, {"shirt#red-m": 2}).orders[0]
    # When two red/M are reserved
    orders_stock.reserve([order])
    # Then only that SKU moved (and the product's total), and it alone is announced low
    after = stock.catalog.product("shirt")
    assert after is not None
    assert [(v.sku, v.stock) for v in after.variants] == [("red-m", 4), ("blue-l", 9)]
    assert after.stock == 13
    assert [(e.name, getattr(e, "sku", None), getattr(e, "stock", None)) for e in published] == [
        ("stock.updated", "red-m", 4),
        ("product.updated", None, None),
        ("stock.low", "red-m", 4),
    ]
