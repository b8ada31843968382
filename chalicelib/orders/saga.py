"""The checkout saga's steps (``infra/statemachines/checkout_saga.asl.json``).

Forward: reserve stock → pay (waits for the provider through a task token) → confirm
orders PAID → notify (events, clear the cart; the confirmation email follows from
``order.paid``). Compensations, chained in the state machine's Catch in reverse:
cancel or refund the payment → release stock → cancel orders with a reason.
Every step is idempotent: the state machine retries transient failures, and a step may
have done its work before failing.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.cart import service as cart_service
from chalicelib.catalog.service import discounts
from chalicelib.core.errors import NotFoundError
from chalicelib.core.observability import logger, metrics
from chalicelib.orders import faults, inventory, payments, publishing, repository
from chalicelib.orders.errors import CheckoutClosedError
from chalicelib.orders.events import OrderCancelled, OrderPaid, OrderStatusChanged
from chalicelib.orders.lifecycle import reason_for
from chalicelib.orders.models import Checkout

Plan = dict[str, Any] | None


def reserve(checkout_id: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Take stock for every line of every order of the checkout, all or nothing."""
    faults.before("reserve", faults_plan, attempt)
    checkout = repository.get_checkout(checkout_id)
    if checkout.status != "PENDING":
        # A checkout given up before its saga started (a start that failed, then a retried
        # request started it): hold no stock for it; the compensations change nothing.
        raise CheckoutClosedError(f"Checkout {checkout_id} is {checkout.status}")
    taken = inventory.reserve(repository.orders_of(checkout))
    faults.after("reserve", faults_plan, attempt)
    return {"reserved": True, "now": taken}


def pay(checkout_id: str, task_token: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Ask for the payment; the outcome resumes the saga through ``task_token``."""
    faults.before("pay", faults_plan, attempt)
    checkout = repository.get_checkout(checkout_id)
    result = payments.request(checkout.payment_id, task_token)
    faults.after("pay", faults_plan, attempt)
    return result


def confirm(checkout_id: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Every order PENDING → PAID, and the checkout PAID."""
    faults.before("confirm", faults_plan, attempt)
    checkout = repository.get_checkout(checkout_id)
    for order in repository.orders_of(checkout):
        repository.transition(order, "PAID")
    repository.set_checkout_status(checkout, "PAID")
    faults.after("confirm", faults_plan, attempt)
    return {"confirmed": True}


def notify(checkout_id: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Announce the paid orders and take what was bought out of the cart (safe to repeat)."""
    faults.before("notify", faults_plan, attempt)
    checkout = repository.get_checkout(checkout_id)
    events: list[Any] = []
    orders = repository.orders_of(checkout)
    for order in orders:
        events.append(
            OrderStatusChanged(
                order_id=order.order_id,
                user_id=order.user_id,
                shop_id=order.shop_id,
                previous="PENDING",
                status="PAID",
            )
        )
        events.append(
            OrderPaid(
                order_id=order.order_id,
                checkout_id=checkout_id,
                user_id=order.user_id,
                shop_id=order.shop_id,
                total=int(order.total),
                currency=order.currency,
            )
        )
    publishing.announce(*events, required=True)
    bought: dict[str, int] = {}
    for order in orders:
        for line in order.lines:
            bought[line["product_id"]] = bought.get(line["product_id"], 0) + int(line["quantity"])
    cart_service.remove_bought(checkout.user_id, checkout_id, bought, checkout.code)
    faults.after("notify", faults_plan, attempt)
    metrics.add_metric(name="CheckoutsPaid", unit="Count", value=1)
    return {"notified": True}


def cancel_payment(checkout_id: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Compensation: void the payment, or refund it if it was captured."""
    faults.before("cancel_payment", faults_plan, attempt)
    checkout = repository.get_checkout(checkout_id)
    status = payments.cancel_or_refund(checkout.payment_id)
    faults.after("cancel_payment", faults_plan, attempt)
    return {"payment": status}


def release(checkout_id: str, *, attempt: int, faults_plan: Plan) -> dict[str, Any]:
    """Compensation: give back the stock the orders hold (nothing if they hold none)."""
    faults.before("release", faults_plan, attempt)
    try:
        checkout = repository.get_checkout(checkout_id)
    except NotFoundError:
        return {"released": False}  # no checkout holds anything
    moved = inventory.release(repository.orders_of(checkout))
    faults.after("release", faults_plan, attempt)
    return {"released": moved}


def cancel_orders(
    checkout_id: str, failure: dict[str, Any] | None, *, attempt: int, faults_plan: Plan
) -> dict[str, Any]:
    """Compensation: every order CANCELLED with the failure's reason; the code given back."""
    faults.before("cancel_orders", faults_plan, attempt)
    error = str((failure or {}).get("Error") or "")
    reason = reason_for(error)
    checkout = repository.get_checkout(checkout_id)
    events: list[Any] = []
    orders = repository.orders_of(checkout)
    for order in orders:
        previous = order.status
        if repository.transition(order, "CANCELLED", reason=reason):
            events.append(
                OrderStatusChanged(
                    order_id=order.order_id,
                    user_id=order.user_id,
                    shop_id=order.shop_id,
                    previous=previous,
                    status="CANCELLED",
                    reason=reason,
                )
            )
            events.append(
                OrderCancelled(
                    order_id=order.order_id,
                    checkout_id=checkout_id,
                    user_id=order.user_id,
                    shop_id=order.shop_id,
                    reason=reason,
                    refunded=int(order.total) if previous == "PAID" else 0,
                )
            )
    if checkout.status != "CANCELLED":  # given up before the saga: keep that reason
        repository.set_checkout_status(checkout, "CANCELLED", reason)
    _give_back_code(checkout)
    publishing.announce(*events)
    logger.info("Checkout cancelled", extra={"checkout_id": checkout_id, "reason": reason})
    metrics.add_metric(name="CheckoutsCancelled", unit="Count", value=1)
    faults.after("cancel_orders", faults_plan, attempt)
    return {"cancelled": True, "reason": reason}


def _give_back_code(checkout: Checkout) -> None:
    if checkout.code_state != "REDEEMED" or not checkout.code:
        return
    try:
        checkout.update(
            actions=[Checkout.code_state.set("RELEASED")],
            condition=Checkout.code_state == "REDEEMED",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return
    discounts.release(checkout.code, user_id=checkout.user_id)


STEPS = {
    "reserve": reserve,
    "confirm": confirm,
    "notify": notify,
    "cancel_payment": cancel_payment,
    "release": release,
}


def run(event: dict[str, Any]) -> dict[str, Any]:
    """Dispatch one state machine task payload to its step."""
    step = str(event["step"])
    checkout_id = str(event["checkout_id"])
    attempt = int(event.get("attempt") or 0)
    plan = event.get("faults") or None
    if step == "pay":
        return pay(checkout_id, str(event["task_token"]), attempt=attempt, faults_plan=plan)
    if step == "cancel_orders":
        return cancel_orders(checkout_id, event.get("failure"), attempt=attempt, faults_plan=plan)
    if step not in STEPS:
        raise ValueError(f"unknown saga step {step!r}")
    return STEPS[step](checkout_id, attempt=attempt, faults_plan=plan)
