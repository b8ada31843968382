"""Stock reservations on moto: all or nothing, retries change nothing, purged products."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.catalog.models import PRODUCT_SK, Product, product_pk
from chalicelib.orders import inventory, repository
from chalicelib.orders.domain import CheckoutStatus, StockState
from chalicelib.orders.errors import OutOfStockError
from localcloud.deploy import Deployment
from tests.fakes.orders import stored_checkout
from tests.integration.orders.seed import pending_order, products_with_stock


def _stored(order_id: str) -> StockState:
    return repository.get().get_order(order_id).stock_state


def test_a_short_line_takes_nothing_and_names_the_product(aws_env: Deployment) -> None:
    plenty, short = products_with_stock(5, 1)
    order = pending_order({plenty: 2, short: 2})
    with pytest.raises(OutOfStockError) as raised:
        inventory.reserve([order])
    assert raised.value.details == {"product_ids": [short]}
    assert inventory.stock_of([plenty, short]) == {plenty: 5, short: 1}
    assert _stored(order.order_id) == StockState.NONE


def test_reserve_and_release_twice_move_stock_once(aws_env: Deployment) -> None:
    (lamp,) = products_with_stock(5)
    order = pending_order({lamp: 3})
    assert inventory.reserve([order]) is True
    # a retried step that did not see the first commit
    stale = replace(order, stock_state=StockState.NONE)
    assert inventory.reserve([stale]) is False
    assert inventory.stock_of([lamp]) == {lamp: 2}
    reserved = repository.get().get_order(order.order_id)
    assert inventory.release([reserved]) is True
    assert inventory.release([repository.get().get_order(order.order_id)]) is False
    assert inventory.release([reserved]) is False  # a retried compensation
    assert inventory.stock_of([lamp]) == {lamp: 5}


def test_release_of_a_purged_product_frees_the_order(aws_env: Deployment) -> None:
    lamp, chair = products_with_stock(5, 5)
    order = pending_order({lamp: 1, chair: 2})
    inventory.reserve([order])
    Product.get(product_pk(chair), PRODUCT_SK).delete()  # purged while the order held it
    assert inventory.release([repository.get().get_order(order.order_id)]) is True
    assert _stored(order.order_id) == StockState.RELEASED
    assert inventory.stock_of([lamp]) == {lamp: 5}


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
    assert inventory.stock_of([lamp]) == {lamp: 4}
