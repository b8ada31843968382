"""The saga's steps on fakes: each one is safe to repeat, and the compensations undo
exactly what was done (stock, payment, code), once."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.catalog.errors import OutOfStockError
from chalicelib.core.events import DomainEvent
from chalicelib.orders import faults
from chalicelib.orders.domain import (
    CheckoutStatus,
    CodeState,
    NewCheckout,
    OrderStatus,
    PaymentStatus,
    StockState,
)
from chalicelib.orders.errors import (
    CheckoutClosedError,
    InjectedBusinessError,
    InjectedTransientError,
    PaymentProcessingError,
)
from chalicelib.orders.events import OrderCancelled, OrderPaid, OrderStatusChanged
from chalicelib.orders.service import saga
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository, stored_checkout
from tests.unit.orders.conftest import FakeCart, FakeCodes, Stock

DECLINE = "4000000000000002"
NO_FUNDS = "4000000000009995"
PROCESSING = "4000000000000119"
THREE_DS = "4000002500003155"


def step(name: str, new: NewCheckout, attempt: int = 0, **extra: Any) -> dict[str, Any]:
    return saga.run(
        {"step": name, "checkout_id": new.checkout.checkout_id, "attempt": attempt, **extra}
    )


def test_reserve_takes_stock_once_and_a_retry_takes_nothing_more(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    # Given a checkout of two shops' orders for 2 lamps each, and 5 lamps in stock
    stock["lamp"] = 5
    new = stored_checkout(repo, {"lamp": 2}, shops=("a", "b"))
    # When ReserveStock runs, then runs again (a retry after a timeout)
    assert step("reserve", new) == {"reserved": True, "now": True}
    assert step("reserve", new, attempt=1) == {"reserved": True, "now": False}
    # Then 4 lamps are taken, once, and both orders hold them
    assert stock["lamp"] == 1
    assert {o.stock_state for o in repo.orders.values()} == {StockState.RESERVED}


def test_reserve_is_all_or_nothing_and_refuses_a_closed_checkout(
    repo: InMemoryOrdersRepository, stock: Stock
) -> None:
    stock["lamp"], stock["mug"] = 5, 0
    short = stored_checkout(repo, {"lamp": 1, "mug": 1})
    with pytest.raises(OutOfStockError):
        step("reserve", short)
    assert (stock["lamp"], repo.get_order(short.orders[0].order_id).stock_state) == (
        5,
        StockState.NONE,
    )
    given_up = stored_checkout(repo, {"lamp": 1}, status=CheckoutStatus.CANCELLED)
    with pytest.raises(CheckoutClosedError):
        step("reserve", given_up)
    assert stock["lamp"] == 5


def test_pay_with_a_good_card_succeeds_once_and_resumes_the_saga(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, published: list[DomainEvent]
) -> None:
    new = stored_checkout(repo)
    payment_id = new.payment.payment_id
    assert step("pay", new, task_token="t1") == {"payment_id": payment_id, "status": "SUCCEEDED"}
    # A retried Pay step (new token) is answered the same way without a second charge
    assert step("pay", new, attempt=1, task_token="t2")["status"] == "SUCCEEDED"
    assert [(token, kind) for token, kind, _ in flow.answers] == [
        ("t1", "success"),
        ("t2", "success"),
    ]
    assert len(repo.intents) == 1
    assert [e.name for e in published] == ["payment.succeeded"]


@pytest.mark.parametrize(
    ("card", "error", "code"),
    [
        (DECLINE, "PaymentDeclinedError", "card_declined"),
        (NO_FUNDS, "InsufficientFundsError", "insufficient_funds"),
    ],
)
def test_refused_cards_fail_the_waiting_task_with_what_the_catch_matches(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    published: list[DomainEvent],
    card: str,
    error: str,
    code: str,
) -> None:
    new = stored_checkout(repo, method=card)
    assert step("pay", new, task_token="t1")["status"] == "FAILED"
    assert flow.answers == [("t1", "failure", error)]
    assert repo.get_payment(new.payment.payment_id).failure_code == code


def test_a_processing_error_is_retried_with_a_new_idempotency_key(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, published: list[DomainEvent]
) -> None:
    new = stored_checkout(repo, method=PROCESSING)
    for attempt in (0, 1):
        with pytest.raises(PaymentProcessingError):
            step("pay", new, attempt=attempt, task_token=f"t{attempt}")
    assert step("pay", new, attempt=2, task_token="t2")["status"] == "SUCCEEDED"
    assert repo.get_payment(new.payment.payment_id).provider_attempt == 2


def test_3ds_waits_for_the_shopper_then_the_webhook_settles_it(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, published: list[DomainEvent]
) -> None:
    from chalicelib.dev.payments import SimulatedProvider
    from chalicelib.orders.service import payments

    new = stored_checkout(repo, method=THREE_DS)
    assert step("pay", new, task_token="t1")["status"] == "REQUIRES_ACTION"
    waiting = repo.get_payment(new.payment.payment_id)
    assert waiting.next_action == {
        "type": "confirm",
        "url": f"/payments/{waiting.payment_id}/confirm",
    }
    assert flow.answers == []
    event = SimulatedProvider().complete_action(str(waiting.intent_id), succeed=True)
    assert event is not None
    assert payments.signed_webhook(event) == {"received": True, "duplicate": False}
    assert payments.signed_webhook(event) == {"received": True, "duplicate": True}
    assert repo.get_payment(waiting.payment_id).status == PaymentStatus.SUCCEEDED
    assert flow.answers == [
        ("t1", "success", {"payment_id": waiting.payment_id, "status": "SUCCEEDED"})
    ]


def test_confirm_and_notify_are_safe_to_repeat(
    repo: InMemoryOrdersRepository, cart: FakeCart, published: list[DomainEvent]
) -> None:
    new = stored_checkout(repo, {"lamp": 2, "mug": 1}, shops=("a", "b"))
    for attempt in (0, 1):
        assert step("confirm", new, attempt=attempt) == {"confirmed": True}
    assert {len(o.history) for o in repo.orders.values()} == {1}
    assert {o.status for o in repo.orders.values()} == {OrderStatus.PAID}
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.PAID
    for attempt in (0, 1):
        assert step("notify", new, attempt=attempt) == {"notified": True}
    # The events again (consumers deduplicate), what was bought taken out of the cart once
    assert [type(e) for e in published[:4]] == [OrderStatusChanged, OrderPaid] * 2
    assert len(cart.removed) == 1
    assert cart.removed[0][2] == {"lamp": 4, "mug": 2}


def test_compensations_undo_what_was_done_once(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    stock: Stock,
    codes: FakeCodes,
    published: list[DomainEvent],
) -> None:
    # Given a checkout with a code whose stock was taken and payment captured
    stock["lamp"] = 3
    new = stored_checkout(repo, {"lamp": 2}, code="WELCOME10")
    step("reserve", new)
    step("pay", new, task_token="t1")
    # When a failure after payment runs every compensation twice
    failure = {"Error": "InjectedBusinessError"}
    for attempt in (0, 1):
        assert step("cancel_payment", new, attempt=attempt) == {"payment": "REFUNDED"}
        assert step("release", new, attempt=attempt) == {"released": attempt == 0}
        assert step("cancel_orders", new, attempt=attempt, failure=failure) == {
            "cancelled": True,
            "reason": "CHECKOUT_FAILED",
        }
    # Then refunded once, restocked once, cancelled with the reason, the code given back once
    payment = repo.get_payment(new.payment.payment_id)
    intent = repo.intents[str(payment.intent_id)]
    assert (payment.status, payment.refunded) == (PaymentStatus.REFUNDED, 2000)
    assert (intent.captured, intent.refunded) == (2000, 2000)
    assert stock["lamp"] == 3
    (order,) = repo.orders.values()
    assert (order.status, order.reason, order.stock_state) == (
        OrderStatus.CANCELLED,
        "CHECKOUT_FAILED",
        StockState.RELEASED,
    )
    checkout = repo.get_checkout(new.checkout.checkout_id)
    assert (checkout.status, checkout.code_state) == (CheckoutStatus.CANCELLED, CodeState.RELEASED)
    assert codes.released == [("WELCOME10", "shopper")]
    cancelled = [e for e in published if isinstance(e, OrderCancelled)]
    assert [(e.reason, e.refunded) for e in cancelled] == [("CHECKOUT_FAILED", 0)]


def test_an_open_payment_is_voided_and_a_late_success_is_refunded(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, published: list[DomainEvent]
) -> None:
    from chalicelib.dev.payments import SimulatedProvider

    # Given a 3-D Secure payment the shopper confirmed at the provider as the saga gave up
    new = stored_checkout(repo, method=THREE_DS)
    step("pay", new, task_token="t1")
    intent_id = str(repo.get_payment(new.payment.payment_id).intent_id)
    late = SimulatedProvider().complete_action(intent_id, succeed=True)
    assert late is not None
    # When CancelPayment runs, voiding finds it paid: recorded, then refunded at once
    assert step("cancel_payment", new) == {"payment": "REFUNDED"}
    assert repo.intents[intent_id].refunded == 1000
    # And an open payment with nothing at the provider is simply cancelled
    other = stored_checkout(repo)
    assert step("cancel_payment", other) == {"payment": "CANCELLED"}


def test_cancel_keeps_the_reason_a_checkout_was_given_up_with(
    repo: InMemoryOrdersRepository, published: list[DomainEvent]
) -> None:
    new = stored_checkout(repo, status=CheckoutStatus.CANCELLED, reason="CHECKOUT_FAILED")
    step("cancel_orders", new, failure={"Error": "CheckoutClosedError"})
    assert repo.get_checkout(new.checkout.checkout_id).reason == "CHECKOUT_FAILED"


def test_an_unknown_step_is_refused(repo: InMemoryOrdersRepository) -> None:
    with pytest.raises(ValueError, match="unknown saga step"):
        saga.run({"step": "launch", "checkout_id": "c"})


def test_fault_plans_wrap_the_steps_from_outside(
    repo: InMemoryOrdersRepository, stock: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.core.settings import reset_settings

    monkeypatch.setenv("BAZAAR_FAULT_INJECTION", "true")
    reset_settings()
    stock["lamp"] = 5
    new = stored_checkout(repo, {"lamp": 1})
    run = saga.runner(faults.inject(saga.STEPS))
    plan = {"reserve": "after:1", "confirm": "business"}
    task = {"step": "reserve", "checkout_id": new.checkout.checkout_id, "faults": plan}
    # after:1 — the first attempt does its work, then fails; the retry changes nothing
    with pytest.raises(InjectedTransientError):
        run({**task, "attempt": 0})
    assert run({**task, "attempt": 1}) == {"reserved": True, "now": False}
    assert stock["lamp"] == 4
    with pytest.raises(InjectedBusinessError):
        run({**task, "step": "confirm"})
    assert repo.get_order(new.orders[0].order_id).status == OrderStatus.PENDING
    # The steps themselves know nothing of the plan
    assert saga.run({**task, "step": "confirm"}) == {"confirmed": True}
    reset_settings()
