"""Returns and partial refunds on fakes: who may ask and decide, the window, the lines,
and an approval that refunds exactly the lines' share once, however often it is retried
or the provider is asked again; the order, payment and checkout always agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.orders.domain import (
    CheckoutStatus,
    NewCheckout,
    Order,
    OrderStatus,
    PaymentStatus,
    Return,
    ReturnLine,
    ReturnStatus,
)
from chalicelib.orders.errors import (
    NotReturnableError,
    ReturnDecidedError,
    ReturnLinesError,
    ReturnWindowClosedError,
)
from chalicelib.orders.events import OrderRefunded, ReturnDecided, ReturnRequested
from chalicelib.orders.service import orders, returns, saga
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository, new_checkout
from tests.unit.orders.conftest import SHOPPER, Stock

SELLER = Caller("seller-a", Role.SELLER, shop_id="shop-a")
OTHER_SELLER = Caller("seller-b", Role.SELLER, shop_id="shop-b")
ADMIN = Caller("admin-1", Role.ADMIN)
TRACKING = {"carrier": "DHL", "tracking_number": "JD014600003303"}


@pytest.fixture(autouse=True)
def saga_runs(flow: FakeWorkflow) -> None:
    """The saga's steps run here by hand; its workflow only records."""


def delivered_order(repo: InMemoryOrdersRepository, stock: Stock) -> tuple[NewCheckout, Order]:
    """Given a paid, delivered order of 2 lamps and 1 mug at 10.00 each, 3.00 off (27.00)."""
    stock["lamp"], stock["mug"] = 10, 10
    new = new_checkout({"lamp": 2, "mug": 1}, shops=("shop-a",))
    order = replace(new.orders[0], discount=300, total=2700)
    new = replace(
        new,
        orders=(order,),
        payment=replace(new.payment, amount=2700),
        checkout=replace(new.checkout, amount=2700),
    )
    repo.add_checkout(new, redemption=None)
    for name in ("reserve", "pay", "confirm"):
        saga.run({"step": name, "checkout_id": new.checkout.checkout_id, "task_token": "t"})
    for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        orders.update_status(SELLER, order.order_id, target, **TRACKING)
    return new, repo.get_order(order.order_id)


def agree(repo: InMemoryOrdersRepository, new: NewCheckout) -> tuple[int, int, int, str, str]:
    """(order refunded, payment refunded, provider refunded, payment status, checkout status)."""
    order = repo.get_order(new.orders[0].order_id)
    payment = repo.get_payment(new.payment.payment_id)
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    checkout = repo.get_checkout(new.checkout.checkout_id)
    return (order.refunded, payment.refunded, intent.refunded, payment.status, checkout.status)


def test_a_partial_return_refunds_the_lines_share_once_however_often_it_is_approved(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    new, order = delivered_order(repo, stock)
    published.clear()
    # When the shopper returns one lamp, with a reason
    asked = returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 1)], "Too dim")
    assert (asked.status, asked.amount) == (ReturnStatus.REQUESTED, 900)  # 10.00 less 10 %
    assert published == [ReturnRequested.of(asked)]
    # And the seller approves it, and the approval is retried
    approved = returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    again = returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    # Then exactly that share went back, once, and order, payment and checkout agree
    assert (approved.status, again) == (ReturnStatus.REFUNDED, approved)
    assert agree(repo, new) == (900, 900, 900, PaymentStatus.SUCCEEDED, CheckoutStatus.PAID)
    after = repo.get_order(order.order_id)
    assert (after.status, after.refund_keys) == (OrderStatus.PARTIALLY_REFUNDED, (asked.return_id,))
    refunds = [e for e in published if isinstance(e, OrderRefunded)]
    assert [(e.amount, e.total_refunded, e.return_id) for e in refunds] == [
        (900, 900, asked.return_id)
    ]
    (decided,) = [e for e in published if isinstance(e, ReturnDecided)]
    assert (decided.approved, decided.refund_amount, decided.reason) == (True, 900, "OK")
    # When the rest comes back too, everything is refunded: exactly the total, no more
    rest = returns.request_return(
        SHOPPER, order.order_id, [ReturnLine("lamp", 1), ReturnLine("mug", 1)], "Changed mind"
    )
    returns.decide(SELLER, order.order_id, rest.return_id, approve=True, reason="OK")
    assert agree(repo, new) == (
        2700,
        2700,
        2700,
        PaymentStatus.REFUNDED,
        CheckoutStatus.REFUNDED,
    )
    assert repo.get_order(order.order_id).status == OrderStatus.REFUNDED
    # And nothing is left to return
    with pytest.raises(NotReturnableError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 1)], "Again")


def test_an_approval_that_died_after_the_provider_refunded_refunds_once_when_retried(
    repo: InMemoryOrdersRepository, stock: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, order = delivered_order(repo, stock)
    asked = returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 1)], "Chipped")
    # Given a first approval that died between the provider's refund and counting it
    real_add = repo.add_refund

    def crash(*args: object, **kwargs: object) -> object:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(repo, "add_refund", crash)
    with pytest.raises(RuntimeError):
        returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    assert repo.get_return(order.order_id, asked.return_id).status == ReturnStatus.APPROVED
    # When the seller approves again (the provider is asked again, with the same key)
    monkeypatch.setattr(repo, "add_refund", real_add)
    done = returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    # Then the money went back once
    assert done.status == ReturnStatus.REFUNDED
    assert agree(repo, new) == (900, 900, 900, PaymentStatus.SUCCEEDED, CheckoutStatus.PAID)
    intent = repo.get_intent(str(repo.get_payment(new.payment.payment_id).intent_id))
    assert intent is not None
    assert len(intent.refund_keys) == 1


def test_restocking_an_approved_return_puts_the_units_back_once(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    _, order = delivered_order(repo, stock)
    assert stock["lamp"] == 8
    asked = returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 2)], "Broken")
    done = returns.decide(
        SELLER, order.order_id, asked.return_id, approve=True, reason="OK", restock=True
    )
    returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    assert (done.restocked, stock["lamp"], stock["mug"]) == (True, 10, 9)


def test_returns_outside_the_window_of_undelivered_or_unknown_lines_are_refused(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    _, order = delivered_order(repo, stock)
    with pytest.raises(ReturnLinesError) as unknown:
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("rug", 1)], "Why")
    assert unknown.value.details == [{"product_id": "rug", "asked": 1, "returnable": 0}]
    with pytest.raises(ReturnLinesError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 2)], "Too many")
    # A return asked for holds its units until it is decided
    returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 1)], "Chipped")
    with pytest.raises(ReturnLinesError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 1)], "Again")
    # Delivered 31 days ago: outside the 30-day window
    late = replace(order, delivered_at=clock.now() - timedelta(days=31))
    repo.orders[order.order_id] = late
    with pytest.raises(ReturnWindowClosedError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 1)], "Late")
    # Not delivered yet: nothing to return; someone else's order does not exist for them
    shipped = replace(order, status=OrderStatus.SHIPPED, delivered_at=None)
    repo.orders[order.order_id] = shipped
    with pytest.raises(NotReturnableError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 1)], "Early")
    with pytest.raises(NotFoundError):
        returns.request_return(Caller("x", Role.USER), order.order_id, [ReturnLine("lamp", 1)], "-")


def test_only_the_shops_seller_or_an_admin_decides_and_a_refusal_is_final(
    repo: InMemoryOrdersRepository, stock: Stock, published: list[DomainEvent]
) -> None:
    new, order = delivered_order(repo, stock)
    asked = returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 1)], "Dim")
    for stranger in (OTHER_SELLER, SHOPPER):
        with pytest.raises(NotFoundError):
            returns.decide(stranger, order.order_id, asked.return_id, approve=True, reason="x")
    published.clear()
    refused = returns.decide(
        SELLER, order.order_id, asked.return_id, approve=False, reason="Used, not faulty"
    )
    assert (refused.status, refused.decision_reason) == (ReturnStatus.REFUSED, "Used, not faulty")
    assert [(e.approved, e.refund_amount) for e in published if isinstance(e, ReturnDecided)] == [
        (False, 0)
    ]
    with pytest.raises(ReturnDecidedError):
        returns.decide(ADMIN, order.order_id, asked.return_id, approve=True, reason="x")
    assert agree(repo, new)[:3] == (0, 0, 0)
    assert [r.status for r in returns.returns_for(SELLER, order.order_id)] == ["REFUSED"]
    with pytest.raises(NotFoundError):
        returns.returns_for(OTHER_SELLER, order.order_id)


def test_an_admin_full_refund_after_a_partial_return_gives_back_the_rest(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    new, order = delivered_order(repo, stock)
    asked = returns.request_return(SHOPPER, order.order_id, [ReturnLine("lamp", 1)], "Dim")
    returns.decide(SELLER, order.order_id, asked.return_id, approve=True, reason="OK")
    refunded = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    again = orders.update_status(ADMIN, order.order_id, OrderStatus.REFUNDED)
    assert (refunded.status, refunded.refunded, again) == (OrderStatus.REFUNDED, 2700, refunded)
    assert agree(repo, new) == (
        2700,
        2700,
        2700,
        PaymentStatus.REFUNDED,
        CheckoutStatus.REFUNDED,
    )


def test_a_return_racing_another_for_the_same_units_is_checked_against_it(
    repo: InMemoryOrdersRepository, stock: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, order = delivered_order(repo, stock)
    # Given another request for the only mug that lands between this one's read and write
    real_returns_of = repo.returns_of
    raced: list[bool] = []

    def returns_of_then_race(order_id: str) -> list[Return]:
        seen = real_returns_of(order_id)
        if not raced:
            raced.append(True)
            monkeypatch.setattr(repo, "returns_of", real_returns_of)
            returns.request_return(SHOPPER, order_id, [ReturnLine("mug", 1)], "Twin request")
        return seen

    monkeypatch.setattr(repo, "returns_of", returns_of_then_race)
    # When this request is written, it finds the other and checks again: no mug is left
    with pytest.raises(ReturnLinesError):
        returns.request_return(SHOPPER, order.order_id, [ReturnLine("mug", 1)], "Chipped")
    assert [r.reason for r in repo.returns_of(order.order_id)] == ["Twin request"]
