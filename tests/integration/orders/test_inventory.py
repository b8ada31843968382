"""Stock reservations on moto: all or nothing, retries change nothing, purged products."""

from __future__ import annotations

import pytest

from chalicelib.catalog.models import PRODUCT_SK, Product, product_pk
from chalicelib.core import clock
from chalicelib.orders import inventory
from chalicelib.orders.errors import OutOfStockError
from chalicelib.orders.models import ORDER_SK, Order, order_pk
from localcloud.deploy import Deployment
from tests.integration.orders.seed import pending_order, products_with_stock


def test_a_short_line_takes_nothing_and_names_the_product(aws_env: Deployment) -> None:
    plenty, short = products_with_stock(5, 1)
    order = pending_order({plenty: 2, short: 2})
    with pytest.raises(OutOfStockError) as raised:
        inventory.reserve([order])
    assert raised.value.details == {"product_ids": [short]}
    assert inventory.stock_of([plenty, short]) == {plenty: 5, short: 1}
    order.refresh(consistent_read=True)
    assert order.stock_state == inventory.NONE


def test_reserve_and_release_twice_move_stock_once(aws_env: Deployment) -> None:
    (lamp,) = products_with_stock(5)
    order = pending_order({lamp: 3})
    assert inventory.reserve([order]) is True
    stale = Order.get(order_pk(order.order_id), ORDER_SK, consistent_read=True)
    stale.stock_state = inventory.NONE  # a retried step that did not see the first commit
    assert inventory.reserve([stale]) is False
    assert inventory.stock_of([lamp]) == {lamp: 2}
    assert inventory.release([order]) is True
    assert inventory.release([Order.get(order_pk(order.order_id), ORDER_SK)]) is False
    stale = Order.get(order_pk(order.order_id), ORDER_SK, consistent_read=True)
    stale.stock_state = inventory.RESERVED  # a retried compensation
    assert inventory.release([stale]) is False
    assert inventory.stock_of([lamp]) == {lamp: 5}


def test_release_of_a_purged_product_frees_the_order(aws_env: Deployment) -> None:
    lamp, chair = products_with_stock(5, 5)
    order = pending_order({lamp: 1, chair: 2})
    inventory.reserve([order])
    Product.get(product_pk(chair), PRODUCT_SK).delete()  # purged while the order held it
    assert inventory.release([order]) is True
    assert (
        Order.get(order_pk(order.order_id), ORDER_SK, consistent_read=True).stock_state
        == "RELEASED"
    )
    assert inventory.stock_of([lamp]) == {lamp: 5}


def test_a_saga_started_for_a_checkout_already_given_up_takes_no_stock(
    aws_env: Deployment,
) -> None:
    from chalicelib.orders import saga
    from chalicelib.orders.errors import CheckoutClosedError
    from chalicelib.orders.models import Checkout, checkout_pk

    (lamp,) = products_with_stock(4)
    order = pending_order({lamp: 2})
    now = clock.now()
    Checkout(
        pk=checkout_pk(order.checkout_id),
        checkout_id=order.checkout_id,
        user_id="shopper",
        email="shopper@example.com",
        idempotency_key="key-00000001",
        order_ids=[order.order_id],
        payment_id="payment",
        amount=0,
        currency="USD",
        status="CANCELLED",  # its first request could not start the saga and gave up
        reason="CHECKOUT_FAILED",
        execution_name="checkout-" + order.checkout_id,
        created_at=now,
        updated_at=now,
    ).save()
    with pytest.raises(CheckoutClosedError):
        saga.reserve(order.checkout_id, attempt=0, faults_plan=None)
    assert inventory.stock_of([lamp]) == {lamp: 4}
