"""The orders repository's contract, held by the in-memory fake and by DynamoDB alike (and
the stock transaction it runs with the catalog repository's items)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.catalog.repository import CatalogRepository
from chalicelib.core import clock
from chalicelib.core.dynamo import TransactionCancelledError, new_id
from chalicelib.core.errors import BadRequestError, NotFoundError
from chalicelib.orders.domain import (
    OPEN_PAYMENT,
    CancellationReason,
    CheckoutStatus,
    CodeState,
    Intent,
    OrderStatus,
    PaymentStatus,
    Refund,
    Return,
    ReturnLine,
    ReturnStatus,
    Shipment,
    StockState,
)
from chalicelib.orders.errors import (
    CheckoutKeyTakenError,
    IllegalTransitionError,
    ReturnsChangedError,
)
from chalicelib.orders.repository import DynamoOrdersRepository, OrdersRepository
from tests.fakes.catalog import InMemoryCatalogRepository, make_product, make_shop
from tests.fakes.orders import InMemoryOrdersRepository, new_checkout, stored_checkout


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> OrdersRepository:
    if request.param == "memory":
        return InMemoryOrdersRepository()
    request.getfixturevalue("aws_env")
    return DynamoOrdersRepository()


def test_a_stored_checkout_reads_back_whole(repo: OrdersRepository) -> None:
    # Given a checkout with two shops' orders and a code
    new = stored_checkout(repo, {"p1": 2, "p2": 1}, shops=("s1", "s2"), code="WELCOME10")
    # Then every part reads back as it was stored
    assert repo.get_checkout(new.checkout.checkout_id) == new.checkout
    assert repo.checkout_by_key("shopper", new.checkout.idempotency_key) == new.checkout
    assert repo.get_payment(new.payment.payment_id) == new.payment
    assert repo.orders_of(new.checkout) == list(new.orders)
    assert repo.get_order(new.orders[0].order_id) == new.orders[0]
    assert repo.checkout_by_key("shopper", "another-key") is None


def test_missing_things_are_not_found(repo: OrdersRepository) -> None:
    for read in (repo.get_checkout, repo.get_order, repo.get_payment):
        with pytest.raises(NotFoundError):
            read("nope")
    assert repo.get_intent("nope") is None


def test_an_idempotency_key_claims_one_checkout(repo: OrdersRepository) -> None:
    first = stored_checkout(repo, key="same-key-001")
    # When a second checkout claims the same key, nothing of it is stored
    second = new_checkout(key="same-key-001")
    with pytest.raises(CheckoutKeyTakenError):
        repo.add_checkout(second, redemption=None)
    assert repo.checkout_by_key("shopper", "same-key-001") == first.checkout
    with pytest.raises(NotFoundError):
        repo.get_checkout(second.checkout.checkout_id)
    with pytest.raises(NotFoundError):
        repo.get_order(second.orders[0].order_id)


def test_orders_move_once_along_the_lifecycle(repo: OrdersRepository) -> None:
    order = stored_checkout(repo).orders[0]
    paid, moved = repo.move_order(order, OrderStatus.PAID)
    assert (paid.status, moved) == (OrderStatus.PAID, True)
    assert repo.move_order(paid, OrderStatus.PAID) == (paid, False)
    # A stale copy (still PENDING) asked for PAID again: already there, nothing changes
    again, moved = repo.move_order(order, OrderStatus.PAID)
    assert (again.status, moved, len(again.history)) == (OrderStatus.PAID, False, 1)
    with pytest.raises(IllegalTransitionError):
        repo.move_order(paid, OrderStatus.DELIVERED)
    # A stale PENDING copy cancelled: the stored PAID order is cancelled from PAID
    cancelled, moved = repo.move_order(
        order, OrderStatus.CANCELLED, reason=CancellationReason.CANCELLED_BY_SHOPPER
    )
    assert moved
    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELLED, "CANCELLED_BY_SHOPPER")
    assert [(h["from"], h["to"], h["reason"]) for h in cancelled.history] == [
        ("PENDING", "PAID", None),
        ("PAID", "CANCELLED", "CANCELLED_BY_SHOPPER"),
    ]
    assert repo.get_order(order.order_id) == cancelled
    refunded = repo.set_refunded(order.order_id, Refund(700, by="seller-1"))
    assert (refunded.refunded, refunded.refunded_by) == (700, "seller-1")
    assert refunded.refunded_at is not None
    assert repo.get_order(order.order_id) == refunded


def test_a_refund_is_recorded_with_the_move_that_makes_it(repo: OrdersRepository) -> None:
    # Given a delivered order
    order = stored_checkout(repo).orders[0]
    for target in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order, _ = repo.move_order(order, target)
    # When it moves to REFUNDED with the refund, twice (a retried request)
    refunded, moved = repo.move_order(
        order, OrderStatus.REFUNDED, refund=Refund(order.total, by="admin-1")
    )
    again, moved_again = repo.move_order(
        order, OrderStatus.REFUNDED, refund=Refund(order.total, by="admin-2")
    )
    # Then the first move recorded amount, time and admin; the second changed nothing
    assert (moved, moved_again) == (True, False)
    assert (refunded.status, refunded.refunded, refunded.refunded_by) == (
        OrderStatus.REFUNDED,
        order.total,
        "admin-1",
    )
    assert refunded.refunded_at == refunded.updated_at
    assert again == refunded == repo.get_order(order.order_id)


def test_checkout_status_and_its_code_given_back_once(repo: OrdersRepository) -> None:
    new = stored_checkout(repo, code="WELCOME10")
    checkout_id = new.checkout.checkout_id
    repo.set_checkout_status(checkout_id, CheckoutStatus.CANCELLED, CancellationReason.OUT_OF_STOCK)
    stored = repo.get_checkout(checkout_id)
    assert (stored.status, stored.reason) == (CheckoutStatus.CANCELLED, "OUT_OF_STOCK")
    assert repo.release_code(checkout_id) is True
    assert repo.release_code(checkout_id) is False
    assert repo.get_checkout(checkout_id).code_state == CodeState.RELEASED


def test_stock_state_moves_all_or_nothing(repo: OrdersRepository) -> None:
    new = stored_checkout(repo, shops=("s1", "s2"))
    first, second = new.orders
    repo.hold_stock([first], expected=StockState.NONE, new=StockState.RESERVED)
    # When both are asked NONE → RESERVED, the first refuses and neither moves
    with pytest.raises(TransactionCancelledError) as refused:
        repo.hold_stock(new.orders, expected=StockState.NONE, new=StockState.RESERVED)
    assert refused.value.failed(0)
    assert not refused.value.failed(1)
    assert repo.get_order(second.order_id).stock_state == StockState.NONE
    repo.hold_stock([second], expected=StockState.NONE, new=StockState.RESERVED)
    repo.hold_stock(new.orders, expected=StockState.RESERVED, new=StockState.RELEASED)
    assert {o.stock_state for o in repo.orders_of(new.checkout)} == {StockState.RELEASED}


def test_lists_are_newest_first_and_paged(repo: OrdersRepository) -> None:
    start = clock.now() - timedelta(days=3)
    made = [
        stored_checkout(repo, user_id="u1", shops=("shop-a",), created_at=start + timedelta(days=n))
        for n in range(3)
    ]
    orders = [new.orders[0] for new in made]
    first = repo.user_orders("u1", limit=2, cursor=None)
    assert [o.order_id for o in first.items] == [orders[2].order_id, orders[1].order_id]
    assert first.next_cursor
    rest = repo.user_orders("u1", limit=2, cursor=first.next_cursor)
    assert [o.order_id for o in rest.items] == [orders[0].order_id]
    assert rest.next_cursor is None
    with pytest.raises(BadRequestError):
        repo.user_orders("u2", limit=2, cursor=first.next_cursor)
    shop = repo.shop_orders("shop-a", status=None, limit=10, cursor=None)
    assert [o.order_id for o in shop.items] == [o.order_id for o in reversed(orders)]
    repo.move_order(orders[1], OrderStatus.PAID)
    paid = repo.shop_orders("shop-a", status="PAID", limit=10, cursor=None)
    assert [o.order_id for o in paid.items] == [orders[1].order_id]
    by_status = repo.all_orders(status="PAID", since=None, until=None, limit=10, cursor=None)
    assert orders[1].order_id in {o.order_id for o in by_status.items}
    middle = repo.all_orders(
        status=None,
        since=start + timedelta(hours=12),
        until=start + timedelta(days=1, hours=12),
        limit=10,
        cursor=None,
    )
    assert [o.order_id for o in middle.items] == [orders[1].order_id]
    # The shopper's and the shop's lists by date too (the newest two, then only the middle)
    recent = repo.user_orders("u1", since=start + timedelta(hours=12), limit=10, cursor=None)
    assert [o.order_id for o in recent.items] == [orders[2].order_id, orders[1].order_id]
    window = repo.shop_orders(
        "shop-a",
        status=None,
        since=start + timedelta(hours=12),
        until=start + timedelta(days=1, hours=12),
        limit=10,
        cursor=None,
    )
    assert [o.order_id for o in window.items] == [orders[1].order_id]
    assert (
        repo.user_orders("u1", until=start - timedelta(days=1), limit=10, cursor=None).items == []
    )
    payments = repo.all_payments(status="PENDING", since=start, until=None, limit=10, cursor=None)
    assert {p.payment_id for p in payments.items} >= {new.payment.payment_id for new in made}


def test_lists_filter_by_status_and_shop_through_their_indexes(repo: OrdersRepository) -> None:
    # Given a shopper's orders at two shops, one of them paid, and another shopper's order
    start = clock.now() - timedelta(days=3)
    made = [
        stored_checkout(repo, user_id="u7", shops=(shop,), created_at=start + timedelta(days=n))
        for n, shop in enumerate(("shop-x", "shop-y", "shop-x"))
    ]
    stored_checkout(repo, user_id="u8", shops=("shop-x",), created_at=start)
    orders = [new.orders[0] for new in made]
    repo.move_order(orders[2], OrderStatus.PAID)
    # When the shopper lists their paid orders; Then only that one, paged on its own index
    paid = repo.user_orders("u7", status="PAID", limit=10, cursor=None)
    assert [o.order_id for o in paid.items] == [orders[2].order_id]
    first = repo.user_orders("u7", status="PENDING", limit=1, cursor=None)
    rest = repo.user_orders("u7", status="PENDING", limit=1, cursor=first.next_cursor)
    assert [o.order_id for o in first.items + rest.items] == [
        orders[1].order_id,
        orders[0].order_id,
    ]
    # When the admin lists one shop's orders, by status and date too
    shop_x = repo.all_orders(
        shop_id="shop-x", status=None, since=start, until=None, limit=10, cursor=None
    )
    assert {o.order_id for o in shop_x.items} >= {orders[0].order_id, orders[2].order_id}
    assert orders[1].order_id not in {o.order_id for o in shop_x.items}
    paid_x = repo.all_orders(
        shop_id="shop-x", status="PAID", since=None, until=None, limit=10, cursor=None
    )
    assert [o.order_id for o in paid_x.items] == [orders[2].order_id]
    assert not repo.all_orders(
        shop_id="shop-y", status="PAID", since=None, until=None, limit=10, cursor=None
    ).items


def test_payments_move_only_from_the_expected_statuses(repo: OrdersRepository) -> None:
    payment_id = stored_checkout(repo).payment.payment_id
    assert repo.set_task_token(payment_id, "token-1").task_token == "token-1"
    assert repo.count_provider_attempt(payment_id).provider_attempt == 1
    action = {"type": "confirm", "url": "/payments/x/confirm"}
    waiting, moved = repo.move_payment(
        payment_id, PaymentStatus.REQUIRES_ACTION, expected=OPEN_PAYMENT, next_action=action
    )
    assert (waiting.status, waiting.next_action, moved) == (
        PaymentStatus.REQUIRES_ACTION,
        action,
        True,
    )
    assert repo.set_intent(payment_id, "pi_1").intent_id == "pi_1"
    paid, moved = repo.move_payment(
        payment_id, PaymentStatus.SUCCEEDED, expected=OPEN_PAYMENT, next_action=None
    )
    assert (paid.status, paid.next_action, moved) == (PaymentStatus.SUCCEEDED, None, True)
    again, moved = repo.move_payment(payment_id, PaymentStatus.CANCELLED, expected=OPEN_PAYMENT)
    assert (again.status, moved) == (PaymentStatus.SUCCEEDED, False)
    part, counted = repo.add_refund(payment_id, 300, "order-a")
    assert (part.refunded, part.refund_keys, counted) == (300, ("order-a",), True)
    assert repo.get_payment(payment_id) == replace(
        paid, refunded=300, refund_keys=("order-a",), updated_at=part.updated_at
    )
    # The same key counts once
    same, counted = repo.add_refund(payment_id, 300, "order-a")
    assert (same.refunded, counted) == (300, False)
    other, counted = repo.add_refund(payment_id, 200, "order-b")
    assert (other.refunded, other.refund_keys, counted) == (500, ("order-a", "order-b"), True)


def test_a_webhook_event_is_claimed_once(repo: OrdersRepository) -> None:
    assert repo.claim_webhook("evt_1", "payment_intent.succeeded") is True
    assert repo.claim_webhook("evt_1", "payment_intent.succeeded") is False
    repo.forget_webhook("evt_1")
    assert repo.claim_webhook("evt_1", "payment_intent.succeeded") is True


def test_simulated_intents(repo: OrdersRepository) -> None:
    intent = Intent(
        intent_id="pi_sim_1",
        amount=2500,
        currency="USD",
        status="requires_action",
        created_at=clock.now(),
        metadata={"payment_id": "p1"},
    )
    assert repo.add_intent(intent) == intent
    assert repo.add_intent(replace(intent, amount=1)) == intent  # the first one stays
    done, moved = repo.move_intent("pi_sim_1", "succeeded", captured=2500, failure_code=None)
    assert moved
    assert done is not None
    assert (done.status, done.captured) == ("succeeded", 2500)
    assert repo.move_intent("pi_sim_1", "canceled") == (done, False)
    assert repo.refund_intent("pi_sim_1", 1000, "refund:a") is True
    assert repo.refund_intent("pi_sim_1", 1000, "refund:a") is False
    stored = repo.get_intent("pi_sim_1")
    assert stored is not None
    assert (stored.refunded, stored.refund_keys) == (1000, ("refund:a",))
    assert [repo.count_processing_error("p1") for _ in range(3)] == [0, 1, 2]


Products = Callable[..., list[str]]


@pytest.fixture(params=["memory", "dynamodb"])
def both(
    request: pytest.FixtureRequest,
) -> tuple[OrdersRepository, CatalogRepository, Products]:
    """The orders and catalog repositories of one kind, and a way to stock products."""
    if request.param == "memory":
        catalog = InMemoryCatalogRepository()

        def stocked(*stocks: int) -> list[str]:
            shop = make_shop(f"shop-{new_id()}")
            catalog.add_shop(shop)
            made = [make_product(new_id(), shop, stock=stock) for stock in stocks]
            return [catalog.add_product(product).product_id for product in made]

        return InMemoryOrdersRepository(), catalog, stocked
    request.getfixturevalue("aws_env")
    from chalicelib.catalog.repository.dynamodb import DynamoCatalogRepository
    from tests.integration.orders.seed import products_with_stock

    return DynamoOrdersRepository(), DynamoCatalogRepository(), products_with_stock


def test_stock_is_held_across_both_tables_all_or_nothing(
    both: tuple[OrdersRepository, CatalogRepository, Products],
) -> None:
    orders, catalog, stocked = both
    lamp, mug = stocked(5, 1)
    versions = {pid: p.version for pid, p in catalog.products([lamp, mug]).items()}
    order = stored_checkout(orders, {lamp: 2, mug: 2}).orders[0]
    # When a reservation asks for more mugs than there are, nothing moves on either side
    take = catalog.stock_moves({lamp: 2, mug: 2}, take=True)
    with pytest.raises(TransactionCancelledError) as refused:
        orders.hold_stock(
            [order], expected=StockState.NONE, new=StockState.RESERVED, with_items=take.items
        )
    assert take.refused(refused.value.reasons[1:]) == [mug]
    assert {pid: p.stock for pid, p in catalog.products([lamp, mug]).items()} == {lamp: 5, mug: 1}
    assert orders.get_order(order.order_id).stock_state == StockState.NONE
    # When the lamps alone are taken, both sides move together (the product's version too)
    take = catalog.stock_moves({lamp: 2}, take=True)
    orders.hold_stock(
        [order], expected=StockState.NONE, new=StockState.RESERVED, with_items=take.items
    )
    taken = catalog.product(lamp)
    assert taken is not None
    assert (taken.stock, taken.version) == (3, versions[lamp] + 1)
    assert orders.get_order(order.order_id).stock_state == StockState.RESERVED
    # A product purged meanwhile refuses its give-back (and names itself)
    catalog.purge_product(taken, only_if_deleted=False)
    give = catalog.stock_moves({lamp: 2}, take=False)
    with pytest.raises(TransactionCancelledError) as refused:
        orders.hold_stock(
            [order], expected=StockState.RESERVED, new=StockState.RELEASED, with_items=give.items
        )
    assert give.refused(refused.value.reasons[1:]) == [lamp]
    assert orders.get_order(order.order_id).stock_state == StockState.RESERVED


def test_shipping_records_the_shipment_and_delivery_the_time(repo: OrdersRepository) -> None:
    order = stored_checkout(repo).orders[0]
    order, _ = repo.move_order(order, OrderStatus.PAID)
    shipment = Shipment(
        carrier="DHL",
        tracking_number="JD014600003303",
        tracking_url="https://www.dhl.com/track?id=JD014600003303",
        shipped_at=clock.now(),
    )
    shipped, moved = repo.move_order(order, OrderStatus.SHIPPED, shipment=shipment)
    assert moved
    assert (shipped.shipment, shipped.delivered_at) == (shipment, None)
    delivered, _ = repo.move_order(shipped, OrderStatus.DELIVERED)
    assert delivered.shipment == shipment
    assert delivered.delivered_at is not None
    assert repo.get_order(order.order_id) == delivered


def test_a_refund_is_recorded_once_per_key_and_refunded_in_full_ends_it(
    repo: OrdersRepository,
) -> None:
    order = stored_checkout(repo, {"p1": 2}).orders[0]  # 20.00
    for target in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order, _ = repo.move_order(order, target)
    partly, recorded = repo.record_refund(order, key="ret-1", refund=Refund(500, "seller"))
    assert recorded
    assert (partly.status, partly.refunded, partly.refund_keys) == (
        OrderStatus.PARTIALLY_REFUNDED,
        500,
        ("ret-1",),
    )
    # The same key again (even from a stale copy) records nothing more
    same, again = repo.record_refund(order, key="ret-1", refund=Refund(500, "seller"))
    assert (again, same) == (False, partly)
    # A stale copy with a new key re-reads and adds to what is there
    whole, recorded = repo.record_refund(order, key="ret-2", refund=Refund(1500, "admin"))
    assert recorded
    assert (whole.status, whole.refunded, whole.refunded_by) == (
        OrderStatus.REFUNDED,
        2000,
        "admin",
    )
    assert repo.get_order(order.order_id) == whole
    with pytest.raises(IllegalTransitionError):
        repo.record_refund(whole, key="ret-3", refund=Refund(1, "admin"))


def test_returns_read_back_move_once_and_restock_once(repo: OrdersRepository) -> None:
    order = stored_checkout(repo, {"p1": 2}).orders[0]
    now = clock.now()
    ret = Return(
        return_id=new_id(),
        order_id=order.order_id,
        shop_id=order.shop_id,
        user_id=order.user_id,
        lines=(ReturnLine("p1", 1),),
        reason="Broken",
        amount=1000,
        currency="USD",
        status=ReturnStatus.REQUESTED,
        created_at=now,
        updated_at=now,
    )
    repo.add_return(ret, returns_version=0)
    assert repo.get_return(order.order_id, ret.return_id) == ret
    assert repo.returns_of(order.order_id) == [ret]
    assert repo.get_order(order.order_id) == replace(order, returns_version=1)
    # A return checked against the returns as they were before is refused, nothing stored
    late = replace(ret, return_id=new_id())
    with pytest.raises(ReturnsChangedError):
        repo.add_return(late, returns_version=0)
    assert repo.returns_of(order.order_id) == [ret]
    with pytest.raises(NotFoundError):
        repo.get_return(order.order_id, "nope")
    approved, moved = repo.move_return(
        ret, ReturnStatus.APPROVED, decided_by="seller", restock=True
    )
    assert moved
    assert (approved.status, approved.decided_by, approved.restock) == ("APPROVED", "seller", True)
    # A stale decision does not move it
    refused, moved = repo.move_return(ret, ReturnStatus.REFUSED)
    assert (moved, refused) == (False, approved)
    repo.restock_return(approved, with_items=[])
    assert repo.get_return(order.order_id, ret.return_id).restocked
    with pytest.raises(TransactionCancelledError):
        repo.restock_return(approved, with_items=[])
