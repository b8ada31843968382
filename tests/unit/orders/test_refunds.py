"""An admin refund of a delivered order (finding #5), on the fakes: recorded on the order
(amount, time, admin), the payment and checkout moved, the provider asked once however
often the request comes, ``order.refunded`` announced, and the shopper's email."""

from __future__ import annotations

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.events import DomainEvent
from chalicelib.orders import notifications
from chalicelib.orders.domain import (
    CheckoutStatus,
    NewCheckout,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from chalicelib.orders.errors import IllegalTransitionError
from chalicelib.orders.events import OrderRefunded, OrderStatusChanged
from chalicelib.orders.service import orders, saga
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository, stored_checkout
from tests.unit.orders.conftest import Stock

SELLER = Caller("seller-a", Role.SELLER, shop_id="shop-a")
ADMIN = Caller("admin-1", Role.ADMIN)


def paid(repo: InMemoryOrdersRepository, stock: Stock, shops: tuple[str, ...]) -> NewCheckout:
    """Given a checkout the saga took to PAID (2 lamps at 10.00 from each shop)."""
    stock["lamp"] = 10
    new = stored_checkout(repo, {"lamp": 2}, shops=shops)
    for name in ("reserve", "pay", "confirm"):
        saga.run({"step": name, "checkout_id": new.checkout.checkout_id, "task_token": "t"})
    return new


def delivered(order_id: str) -> Order:
    for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order = orders.update_status(
            SELLER, order_id, target, carrier="DHL", tracking_number="JD0146000033"
        )
    return order


def payment_of(repo: InMemoryOrdersRepository, new: NewCheckout) -> Payment:
    return repo.get_payment(new.checkout.payment_id)


@pytest.fixture(autouse=True)
def saga_runs(flow: FakeWorkflow) -> None:
    """The saga's waiting task answers go to the fake workflow."""


def test_an_admin_refund_is_recorded_on_the_order_payment_and_checkout(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    # Given a delivered order, the checkout's only one
    new = paid(repo, stock, ("shop-a",))
    order = delivered(new.orders[0].order_id)
    published.clear()
    # When an admin refunds it
    refunded = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    # Then the order records what, when and who
    assert (refunded.status, refunded.refunded, refunded.refunded_by) == (
        OrderStatus.REFUNDED,
        2000,
        "admin-1",
    )
    assert refunded.refunded_at == refunded.updated_at
    assert repo.get_order(order.order_id) == refunded
    # And the payment and the checkout are REFUNDED; the provider gave back 20.00 once
    payment = payment_of(repo, new)
    assert (payment.status, payment.refunded, payment.refund_keys) == (
        PaymentStatus.REFUNDED,
        2000,
        (order.order_id,),
    )
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.REFUNDED
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert (intent.refunded, len(intent.refund_keys)) == (2000, 1)
    # And the change and the refund were announced
    assert published == [
        OrderStatusChanged.of(refunded, previous="DELIVERED"),
        OrderRefunded(
            order_id=order.order_id,
            checkout_id=order.checkout_id,
            user_id=order.user_id,
            shop_id="shop-a",
            amount=2000,
            currency=order.currency,
            refunded_by="admin-1",
            status="REFUNDED",
            total_refunded=2000,
            refund_key=order.order_id,
        ),
    ]


def test_a_repeated_refund_request_refunds_once(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    # Given an order an admin refunded
    new = paid(repo, stock, ("shop-a",))
    order = delivered(new.orders[0].order_id)
    first = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    published.clear()
    # When the request comes again (a retry, a double click)
    again = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    # Then it answers the refunded order; nothing more is refunded or announced
    assert again == first
    payment = payment_of(repo, new)
    assert payment.refunded == 2000
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert intent.refunded == 2000
    assert published == []


def test_a_refund_interrupted_after_the_provider_refunds_once_when_retried(
    repo: InMemoryOrdersRepository, stock: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a delivered order, and a first request that dies after the provider refunded
    new = paid(repo, stock, ("shop-a",))
    order = delivered(new.orders[0].order_id)
    real_record = repo.record_refund

    def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(repo, "record_refund", crash)
    with pytest.raises(RuntimeError):
        orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    assert repo.get_order(order.order_id).status == OrderStatus.DELIVERED
    # When the admin retries
    monkeypatch.setattr(repo, "record_refund", real_record)
    refunded = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    # Then the order is refunded and the provider gave the money back once
    assert (refunded.status, refunded.refunded) == (OrderStatus.REFUNDED, 2000)
    payment = payment_of(repo, new)
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert (payment.refunded, intent.refunded, len(intent.refund_keys)) == (2000, 2000, 1)


def test_refunding_one_order_of_a_multi_shop_checkout_refunds_only_its_amount(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    # Given a checkout of two shops (20.00 each), shop A's order delivered
    new = paid(repo, stock, ("shop-a", "shop-b"))
    order_a, order_b = new.orders
    delivered(order_a.order_id)
    # When an admin refunds shop A's order in full
    refunded = orders.update_status(ADMIN, order_a.order_id, OrderStatus.REFUNDED)
    # Then only its 20.00 went back; the payment keeps the rest; the checkout stays PAID
    assert refunded.refunded == 2000
    payment = payment_of(repo, new)
    assert (payment.amount, payment.refunded, payment.status) == (
        4000,
        2000,
        PaymentStatus.SUCCEEDED,
    )
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert intent.refunded == 2000
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.PAID
    assert repo.get_order(order_b.order_id).refunded == 0
    # When shop B's order is cancelled too, nothing is left: payment and checkout REFUNDED
    orders.update_status(
        Caller("seller-b", Role.SELLER, shop_id="shop-b"), order_b.order_id, OrderStatus.CANCELLED
    )
    payment = payment_of(repo, new)
    assert (payment.refunded, payment.status) == (4000, PaymentStatus.REFUNDED)
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.REFUNDED


def test_only_a_delivered_order_is_refunded(repo: InMemoryOrdersRepository, stock: Stock) -> None:
    # Given a PAID order (not delivered); When an admin refunds it: 409, nothing refunded
    new = paid(repo, stock, ("shop-a",))
    with pytest.raises(IllegalTransitionError):
        orders.update_status(ADMIN, new.orders[0].order_id, OrderStatus.REFUNDED)
    assert payment_of(repo, new).refunded == 0


def test_the_refund_email_names_the_amount(repo: InMemoryOrdersRepository, stock: Stock) -> None:
    # Given a refunded order
    new = paid(repo, stock, ("shop-a",))
    order = delivered(new.orders[0].order_id)
    refunded = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    event = OrderRefunded.of(refunded, amount=2000, key=refunded.order_id)
    # When its email is rendered from the event
    email = notifications.render(event.name, event.model_dump(), "shopper@example.com")
    # Then it says what was refunded
    assert email.subject == f"Bazaar: order {order.order_id[:8]} was refunded"
    assert "We refunded 20.00" in email.text
