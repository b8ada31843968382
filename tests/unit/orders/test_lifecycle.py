"""The order lifecycle on fakes: who sees an order, who moves it, and what a cancellation
after payment gives back (refund, stock, events)."""

from __future__ import annotations

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.orders.domain import NewCheckout, Order, OrderStatus, PaymentStatus, StockState
from chalicelib.orders.errors import IllegalTransitionError, TrackingRequiredError
from chalicelib.orders.events import (
    OrderCancelled,
    OrderDelivered,
    OrderShipped,
    OrderStatusChanged,
)
from chalicelib.orders.service import orders, saga
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository, stored_checkout
from tests.unit.orders.conftest import SHOPPER, FakeCart, Stock

SELLER = Caller("seller-a", Role.SELLER, shop_id="shop-a")
OTHER_SELLER = Caller("seller-b", Role.SELLER, shop_id="shop-b")
ADMIN = Caller("admin", Role.ADMIN)
STRANGER = Caller("stranger", Role.USER)
TRACKING = {"carrier": "DHL", "tracking_number": "JD0146000033"}


def paid_checkout(repo: InMemoryOrdersRepository, stock: Stock, **kw: object) -> NewCheckout:
    """Given a checkout the saga took to PAID: stock reserved, payment captured."""
    if stock.catalog.product("lamp") is None:
        stock["lamp"] = 10
    new = stored_checkout(repo, {"lamp": 2}, shops=("shop-a",), **kw)  # type: ignore[arg-type]
    for name in ("reserve", "pay", "confirm"):
        saga.run({"step": name, "checkout_id": new.checkout.checkout_id, "task_token": "t"})
    return new


@pytest.fixture
def order(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    stock: Stock,
    published: list[DomainEvent],
) -> Order:
    new = paid_checkout(repo, stock)
    published.clear()
    return repo.get_order(new.orders[0].order_id)


def test_an_order_is_seen_by_its_shopper_its_shops_seller_and_admins(order: Order) -> None:
    for caller in (SHOPPER, SELLER, ADMIN):
        assert orders.order_for(caller, order.order_id) == order
    for caller in (STRANGER, OTHER_SELLER):
        with pytest.raises(NotFoundError):
            orders.order_for(caller, order.order_id)
    assert [o.order_id for o in orders.my_orders(SHOPPER, limit=10, cursor=None).items] == [
        order.order_id
    ]
    assert orders.my_orders(STRANGER, limit=10, cursor=None).items == []
    assert len(orders.shop_orders(SELLER, status="PAID", limit=10, cursor=None).items) == 1
    with pytest.raises(ForbiddenError):
        orders.shop_orders(Caller("new-seller", Role.SELLER), status=None, limit=10, cursor=None)


def test_the_seller_ships_and_delivers_in_order(order: Order, published: list[DomainEvent]) -> None:
    with pytest.raises(IllegalTransitionError):
        orders.update_status(SELLER, order.order_id, OrderStatus.DELIVERED)
    with pytest.raises(NotFoundError):
        orders.update_status(OTHER_SELLER, order.order_id, OrderStatus.SHIPPED)
    with pytest.raises(ForbiddenError):
        orders.update_status(SELLER, order.order_id, OrderStatus.REFUNDED)
    # Shipping without tracking is refused, naming what is missing
    with pytest.raises(TrackingRequiredError) as untracked:
        orders.update_status(SELLER, order.order_id, OrderStatus.SHIPPED, carrier="DHL")
    assert [d["field"] for d in untracked.value.details] == ["tracking_number"]
    shipped = orders.update_status(
        SELLER,
        order.order_id,
        OrderStatus.SHIPPED,
        tracking_url="https://track.example.com/JD0146000033",
        **TRACKING,
    )
    delivered = orders.update_status(SELLER, order.order_id, OrderStatus.DELIVERED)
    assert (shipped.status, delivered.status) == (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    assert shipped.shipment is not None
    assert (shipped.shipment.carrier, shipped.shipment.tracking_number) == ("DHL", "JD0146000033")
    assert delivered.shipment == shipped.shipment
    assert delivered.delivered_at is not None
    assert [(e.previous, e.status) for e in published if isinstance(e, OrderStatusChanged)] == [
        ("PAID", "SHIPPED"),
        ("SHIPPED", "DELIVERED"),
    ]
    # The shopper's path: order.shipped and order.delivered, with exactly these fields
    (sent,) = [e for e in published if isinstance(e, OrderShipped)]
    assert sent.model_dump() == {
        "order_id": order.order_id,
        "shop_id": "shop-a",
        "shopper_id": SHOPPER.account_id,
        "carrier": "DHL",
        "tracking_number": "JD0146000033",
        "tracking_url": "https://track.example.com/JD0146000033",
        "shipped_at": shipped.shipment.shipped_at,
    }
    (arrived,) = [e for e in published if isinstance(e, OrderDelivered)]
    assert arrived.model_dump() == {
        "order_id": order.order_id,
        "shop_id": "shop-a",
        "shopper_id": SHOPPER.account_id,
        "delivered_at": delivered.delivered_at,
    }


def test_the_shopper_cancels_before_shipping_refunded_and_restocked(
    repo: InMemoryOrdersRepository, stock: Stock, order: Order, published: list[DomainEvent]
) -> None:
    cancelled = orders.cancel_as_shopper(SHOPPER, order.order_id)
    assert (cancelled.status, cancelled.reason, cancelled.refunded) == (
        OrderStatus.CANCELLED,
        "CANCELLED_BY_SHOPPER",
        2000,
    )
    assert (cancelled.stock_state, stock["lamp"]) == (StockState.RELEASED, 10)
    payment = repo.get_payment(repo.get_checkout(order.checkout_id).payment_id)
    assert (payment.status, payment.refunded) == (PaymentStatus.REFUNDED, 2000)
    assert [(e.reason, e.refunded) for e in published if isinstance(e, OrderCancelled)] == [
        ("CANCELLED_BY_SHOPPER", 2000)
    ]
    # Cancelling again is refused (409); someone else's order does not exist for them
    with pytest.raises(IllegalTransitionError):
        orders.cancel_as_shopper(SHOPPER, order.order_id)
    assert repo.get_order(order.order_id) == cancelled
    with pytest.raises(NotFoundError):
        orders.cancel_as_shopper(STRANGER, order.order_id)


def test_a_shipped_or_pending_order_cannot_be_cancelled(
    repo: InMemoryOrdersRepository, order: Order
) -> None:
    orders.update_status(SELLER, order.order_id, OrderStatus.SHIPPED, **TRACKING)
    with pytest.raises(IllegalTransitionError):
        orders.cancel_as_shopper(SHOPPER, order.order_id)
    pending = stored_checkout(repo).orders[0]
    with pytest.raises(ConflictError, match="still being processed"):
        orders.cancel_as_shopper(SHOPPER, pending.order_id)


def test_the_seller_cancels_and_an_admin_refunds_a_delivered_order(
    repo: InMemoryOrdersRepository, stock: Stock, cart: FakeCart, order: Order
) -> None:
    second = repo.get_order(paid_checkout(repo, stock).orders[0].order_id)
    by_seller = orders.update_status(SELLER, order.order_id, OrderStatus.CANCELLED)
    assert (by_seller.reason, by_seller.refunded) == ("CANCELLED_BY_SELLER", 2000)
    for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REFUNDED):
        orders.update_status(ADMIN, second.order_id, target, **TRACKING)
    payment = repo.get_payment(repo.get_checkout(second.checkout_id).payment_id)
    assert (payment.status, payment.refunded) == (PaymentStatus.REFUNDED, 2000)
