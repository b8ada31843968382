"""The checkout saga's steps (``infra/statemachines/checkout_saga.asl.json``).

Forward: reserve stock → pay (waits for the provider through a task token) → confirm
orders PAID → notify (events, clear the cart; the confirmation email follows from
``order.paid``). Compensations, chained in the state machine's Catch in reverse:
cancel or refund the payment → release stock → cancel orders with a reason.
Every step is idempotent: the state machine retries transient failures, and a step may
have done its work before failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.cart import service as cart_service
from chalicelib.catalog import service as catalog
from chalicelib.core import events as bus
from chalicelib.core.errors import NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.core.observability import logger, metrics
from chalicelib.orders import repository
from chalicelib.orders.domain import (
    SYSTEM_ACTOR,
    CheckoutStatus,
    CodeState,
    OrderStatus,
    Refund,
    reason_for,
)
from chalicelib.orders.errors import CheckoutClosedError
from chalicelib.orders.events import OrderCancelled, OrderPaid, OrderStatusChanged
from chalicelib.orders.service import payments, stock


@dataclass(frozen=True)
class Task:
    """One state machine task payload: which step, for which checkout, which attempt."""

    step: str
    checkout_id: str
    attempt: int = 0
    faults: dict[str, Any] | None = None
    task_token: str | None = None
    failure: dict[str, Any] | None = None

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Task:
        return cls(
            step=str(event["step"]),
            checkout_id=str(event["checkout_id"]),
            attempt=int(event.get("attempt") or 0),
            faults=event.get("faults") or None,
            task_token=event.get("task_token"),
            failure=event.get("failure"),
        )


Step = Callable[[Task], dict[str, Any]]


def reserve(task: Task) -> dict[str, Any]:
    """Take stock for every line of every order of the checkout, all or nothing."""
    repo = repository.get()
    checkout = repo.get_checkout(task.checkout_id)
    if checkout.status != CheckoutStatus.PENDING:
        # A checkout given up before its saga started (a start that failed, then a retried
        # request started it): hold no stock for it; the compensations change nothing.
        raise CheckoutClosedError(f"Checkout {task.checkout_id} is {checkout.status}")
    taken = stock.reserve(repo.orders_of(checkout))
    return {"reserved": True, "now": taken}


def pay(task: Task) -> dict[str, Any]:
    """Ask for the payment; the outcome resumes the saga through the task token."""
    checkout = repository.get().get_checkout(task.checkout_id)
    return payments.request(checkout.payment_id, str(task.task_token))


def confirm(task: Task) -> dict[str, Any]:
    """Every order PENDING → PAID, and the checkout PAID."""
    repo = repository.get()
    checkout = repo.get_checkout(task.checkout_id)
    for order in repo.orders_of(checkout):
        repo.move_order(order, OrderStatus.PAID)
    repo.set_checkout_status(checkout.checkout_id, CheckoutStatus.PAID)
    return {"confirmed": True}


def notify(task: Task) -> dict[str, Any]:
    """Announce the paid orders and take what was bought out of the cart (safe to repeat)."""
    repo = repository.get()
    checkout = repo.get_checkout(task.checkout_id)
    orders = repo.orders_of(checkout)
    events: list[DomainEvent] = []
    for order in orders:
        events.append(OrderStatusChanged.of(order, previous=OrderStatus.PENDING))
        events.append(OrderPaid.of(order))
    bus.publish(*events)  # the step's purpose: a failure raises and the step is retried
    bought: dict[str, int] = {}
    for order in orders:
        for product_id, quantity in order.units().items():
            bought[product_id] = bought.get(product_id, 0) + quantity
    cart_service.remove_bought(checkout.user_id, checkout.checkout_id, bought, checkout.code)
    metrics.add_metric(name="CheckoutsPaid", unit="Count", value=1)
    return {"notified": True}


def cancel_payment(task: Task) -> dict[str, Any]:
    """Compensation: void the payment, or refund it if it was captured."""
    checkout = repository.get().get_checkout(task.checkout_id)
    return {"payment": payments.cancel_or_refund(checkout.payment_id)}


def release(task: Task) -> dict[str, Any]:
    """Compensation: give back the stock the orders hold (nothing if they hold none)."""
    repo = repository.get()
    try:
        checkout = repo.get_checkout(task.checkout_id)
    except NotFoundError:
        return {"released": False}  # no checkout holds anything
    return {"released": stock.release(repo.orders_of(checkout))}


def cancel_orders(task: Task) -> dict[str, Any]:
    """Compensation: every order CANCELLED with the failure's reason; the code given back."""
    reason = reason_for(str((task.failure or {}).get("Error") or ""))
    repo = repository.get()
    checkout = repo.get_checkout(task.checkout_id)
    events: list[DomainEvent] = []
    for order in repo.orders_of(checkout):
        previous = order.status
        # A PAID order's money was refunded by the payment compensation: record it.
        refund = Refund(order.total, by=SYSTEM_ACTOR) if previous == OrderStatus.PAID else None
        cancelled, moved = repo.move_order(
            order, OrderStatus.CANCELLED, reason=reason, refund=refund
        )
        if moved:
            refunded = cancelled.total if previous == OrderStatus.PAID else 0
            events.append(OrderStatusChanged.of(cancelled, previous=previous, reason=reason))
            events.append(OrderCancelled.of(cancelled, reason=reason, refunded=refunded))
    if checkout.status != CheckoutStatus.CANCELLED:  # given up before the saga: keep that reason
        repo.set_checkout_status(checkout.checkout_id, CheckoutStatus.CANCELLED, reason)
    redeemed = checkout.code_state == CodeState.REDEEMED and checkout.code
    if redeemed and repo.release_code(checkout.checkout_id):  # once, even when retried
        catalog.release_code(str(checkout.code), user_id=checkout.user_id)
    bus.publish(*events, best_effort=True)
    logger.info("Checkout cancelled", extra={"checkout_id": task.checkout_id, "reason": reason})
    metrics.add_metric(name="CheckoutsCancelled", unit="Count", value=1)
    return {"cancelled": True, "reason": str(reason)}


STEPS: dict[str, Step] = {
    "reserve": reserve,
    "pay": pay,
    "confirm": confirm,
    "notify": notify,
    "cancel_payment": cancel_payment,
    "release": release,
    "cancel_orders": cancel_orders,
}


def runner(steps: Mapping[str, Step] = STEPS) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The task handler over a step table: each payload dispatched to its step."""

    def run(event: Mapping[str, Any]) -> dict[str, Any]:
        task = Task.of(event)
        step = steps.get(task.step)
        if step is None:
            raise ValueError(f"unknown saga step {task.step!r}")
        return step(task)

    return run


run = runner()
