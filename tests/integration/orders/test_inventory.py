"""Stock reservations on moto, one transaction across the catalog's products and the
orders: all or nothing, retries change nothing, purged products."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.catalog import repository as catalog_repository
from chalicelib.catalog.errors import OutOfStockError
from chalicelib.catalog.service import inventory as catalog_inventory
from chalicelib.orders import repository
from chalicelib.orders.domain import CheckoutStatus, StockState
from chalicelib.orders.errors import TransientStockError
from chalicelib.orders.service import stock as inventory
from localcloud.deploy import Deployment
from tests.fakes.orders import stored_checkout
from tests.integration.orders.seed import pending_order, products_with_stock, variant_product


def _stored(order_id: str) -> StockState:
    return repository.get().get_order(order_id).stock_state


def test_a_short_line_takes_nothing_and_names_the_product(aws_env: Deployment) -> None:
    plenty, short = products_with_stock(5, 1)
    order = pending_order({plenty: 2, short: 2})
    with pytest.raises(OutOfStockError) as raised:
        inventory.reserve([order])
    assert raised.value.details == {"product_ids": [short]}
    assert catalog_inventory.stock_of([plenty, short]) == {plenty: 5, short: 1}
    assert _stored(order.order_id) == StockState.NONE


def test_reserve_and_release_twice_move_stock_once(aws_env: Deployment) -> None:
    (lamp,) = products_with_stock(5)
    order = pending_order({lamp: 3})
    assert inventory.reserve([order]) is True
    # a retried step that did not see the first commit
    stale = replace(order, stock_state=StockState.NONE)
    assert inventory.reserve([stale]) is False
    assert catalog_inventory.stock_of([lamp]) == {lamp: 2}
    reserved = repository.get().get_order(order.order_id)
    assert inventory.release([reserved]) is True
    assert inventory.release([repository.get().get_order(order.order_id)]) is False
    assert inventory.release([reserved]) is False  # a retried compensation
    assert catalog_inventory.stock_of([lamp]) == {lamp: 5}


def test_release_of_a_purged_product_frees_the_order(aws_env: Deployment) -> None:
    lamp, chair = products_with_stock(5, 5)
    order = pending_order({lamp: 1, chair: 2})
    inventory.reserve([order])
    purged = catalog_repository.get().product(chair)
    assert purged is not None
    catalog_repository.get().purge_product(purged, only_if_deleted=False)  # while held
    assert inventory.release([repository.get().get_order(order.order_id)]) is True
    assert _stored(order.order_id) == StockState.RELEASED
    assert catalog_inventory.stock_of([lamp]) == {lamp: 5}


def test_a_saga_started_for_a_checkout_already_given_up_takes_no_stock(
    aws_env: Deployment,
) -> None:
    from chalicelib.orders.errors import CheckoutClosedError
    from chalicelib.orders.service import saga

    (lamp,) = products_with_stock(4)
    # its first request could not start the saga and gave up
    given_up = stored_checkout(
        repository.get(), {lamp: 2}, status=CheckoutStatus.CANCELLED, reason="CHECKOUT_FAILED"
    )
    with pytest.raises(CheckoutClosedError):
        saga.reserve(saga.Task("reserve", given_up.checkout.checkout_id))
    assert catalog_inventory.stock_of([lamp]) == {lamp: 4}


def test_the_catalog_announces_stock_moves_and_low_stock(
    aws_env: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core import events

    sent: list[events.DomainEvent] = []
    monkeypatch.setattr(events, "publish", lambda *e, best_effort=False: sent.extend(e) or [])
    # Given a product with 6 units in a shop whose low-stock threshold is 5
    (lamp,) = products_with_stock(6)
    before = catalog_repository.get().product(lamp)
    assert before is not None
    order = pending_order({lamp: 2})
    sent.clear()  # what the seeding announced
    # When 2 are reserved, then released
    inventory.reserve([order])
    taken = [(e.name, e.model_dump()) for e in sent]
    sent.clear()
    inventory.release([repository.get().get_order(order.order_id)])
    # Then stock.updated and product.updated each time, stock.low when it fell to 4
    assert [name for name, _ in taken] == ["stock.updated", "product.updated", "stock.low"]
    assert taken[0][1] | {"shop_id": None} == {
        "product_id": lamp,
        "shop_id": None,
        "stock": 4,
        "delta": -2,
        "reason": "reserved",
        "sku": None,
        "product_stock": 4,
    }
    assert taken[1][1]["version"] == before.version + 1
    assert (taken[2][1]["stock"], taken[2][1]["threshold"]) == (4, 5)
    assert [(e.name, getattr(e, "delta", None)) for e in sent] == [
        ("stock.updated", 2),
        ("product.updated", None),
    ]


def test_two_shoppers_race_for_the_last_unit_of_one_sku(aws_env: Deployment) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.catalog.domain import stock_key

    # Given a shirt in red/M (1 left) and blue/L (3 left)
    shirt = variant_product({"red-m": 1, "blue-l": 3})
    red, blue = stock_key(shirt, "red-m"), stock_key(shirt, "blue-l")
    first, second = pending_order({red: 1}), pending_order({red: 1})

    # When two checkouts reserve the last red/M at once
    def take(order: object) -> str:
        for _ in range(20):  # bounded: a conflicting transaction is retried, as the saga does
            try:
                inventory.reserve([order])  # type: ignore[list-item]
                return "taken"
            except OutOfStockError:
                return "out of stock"
            except TransientStockError:
                continue
        return "gave up"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(take, [first, second]))
    # Then exactly one gets it; the other SKU is untouched, the product's total follows
    assert outcomes == ["out of stock", "taken"]
    assert catalog_inventory.stock_of([red, blue, shirt]) == {red: 0, blue: 3, shirt: 3}
    # And a release gives that SKU back
    winner = next(o for o in (first, second) if _stored(o.order_id) == StockState.RESERVED)
    assert inventory.release([repository.get().get_order(winner.order_id)]) is True
    assert catalog_inventory.stock_of([red, blue, shirt]) == {red: 1, blue: 3, shirt: 4}


def test_a_short_sku_names_itself_and_takes_nothing(aws_env: Deployment) -> None:
    from chalicelib.catalog.domain import stock_key

    shirt = variant_product({"red-m": 1, "blue-l": 3})
    red, blue = stock_key(shirt, "red-m"), stock_key(shirt, "blue-l")
    order = pending_order({red: 2, blue: 1})
    with pytest.raises(OutOfStockError) as raised:
        inventory.reserve([order])
    assert set(raised.value.details["product_ids"]) == {red, blue}  # one item per product
    assert catalog_inventory.stock_of([red, blue]) == {red: 1, blue: 3}
    fits = pending_order({red: 1, blue: 2})
    assert inventory.reserve([fits]) is True
    assert catalog_inventory.stock_of([red, blue, shirt]) == {red: 0, blue: 1, shirt: 1}
