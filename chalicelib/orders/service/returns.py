"""Returns and refunds of delivered orders.

A shopper asks to send back some lines of a DELIVERED (or PARTIALLY_REFUNDED) order
within the return window (``return_window_days``), with a reason; the shop's seller (or
an admin) approves or refuses it with a reason. Approving refunds those lines' share of
the order's total (the discount shared proportionally) exactly once:

1. the return moves REQUESTED → APPROVED with its amount (a conditional write: one
   decision wins; a retried approval finds it APPROVED and finishes the steps below);
2. the payment is refunded through ``payments.refund_part`` keyed on the return (the
   provider call carries ``refund:<payment id>:<return id>`` as its idempotency key, and
   the payment counts each key once);
3. the order records the amount once per key (``record_refund``: conditional on what was
   read) and becomes PARTIALLY_REFUNDED, or REFUNDED when nothing is left; the payment and
   the checkout become REFUNDED when all of it was given back;
4. the units go back in stock if the seller asked (once: the return's ``restocked`` flag
   is written in the stock transaction);
5. the return moves APPROVED → REFUNDED; only the request that moved it announces
   ``return.decided``, only the one that recorded the refund announces ``order.refunded``
   (the shopper's email). An admin's refund of the rest takes steps 2-3 (key: the order).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core import events as bus
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.core.observability import metrics
from chalicelib.core.settings import get_settings
from chalicelib.orders import repository
from chalicelib.orders.domain import (
    REFUNDABLE,
    Order,
    OrderStatus,
    Refund,
    Return,
    ReturnLine,
    ReturnStatus,
    allowed_targets,
    refund_share,
)
from chalicelib.orders.errors import (
    IllegalTransitionError,
    NotReturnableError,
    ReturnDecidedError,
    ReturnLinesError,
    ReturnsChangedError,
    ReturnWindowClosedError,
)
from chalicelib.orders.events import (
    OrderRefunded,
    OrderStatusChanged,
    ReturnDecided,
    ReturnRequested,
)
from chalicelib.orders.service import payments, stock

ATTEMPTS = 5
# Returns that hold their units (not refused).
_HOLDING = frozenset({ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.REFUNDED})
_REFUNDING = frozenset({ReturnStatus.APPROVED, ReturnStatus.REFUNDED})


def _units(returns: list[Return], statuses: frozenset[ReturnStatus]) -> dict[str, int]:
    units: dict[str, int] = {}
    for ret in returns:
        if ret.status in statuses:
            for key, quantity in ret.units().items():
                units[key] = units.get(key, 0) + quantity
    return units


def _is_shop_side(caller: Caller, order: Order) -> bool:
    if caller.role == Role.ADMIN:
        return True
    return caller.role == Role.SELLER and bool(caller.shop_id) and caller.shop_id == order.shop_id


def _visible_order(caller: Caller, order_id: str) -> Order:
    order = repository.get().get_order(order_id)
    if order.user_id != caller.account_id and not _is_shop_side(caller, order):
        raise NotFoundError("No such order", details={"order_id": order_id})
    return order


def returns_for(caller: Caller, order_id: str) -> list[Return]:
    """The order's returns, oldest first (its shopper, its shop's seller, an admin)."""
    _visible_order(caller, order_id)
    return repository.get().returns_of(order_id)


def request_return(caller: Caller, order_id: str, lines: list[ReturnLine], reason: str) -> Return:
    """The shopper asks to send back ``lines`` of their delivered order.

    Raises NotFoundError (not their order), NotReturnableError (not delivered, or all
    refunded), ReturnWindowClosedError, ReturnLinesError (lines the order does not have
    or more units than are left to return), ReturnsChangedError (409) when other returns
    kept landing meanwhile.
    """
    for _ in range(ATTEMPTS):  # bounded: each pass lost to another return of the order
        try:
            return _request_once(caller, order_id, lines, reason)
        except ReturnsChangedError:
            continue  # another return landed: check against it
    raise ReturnsChangedError("The order's returns keep changing; try again")


def _request_once(caller: Caller, order_id: str, lines: list[ReturnLine], reason: str) -> Return:
    repo = repository.get()
    order = repo.get_order(order_id)
    if order.user_id != caller.account_id:
        raise NotFoundError("No such order", details={"order_id": order_id})
    if order.status not in REFUNDABLE or order.delivered_at is None:
        raise NotReturnableError(
            f"Only delivered lines can be returned; this order is {order.status}",
            details={"status": str(order.status)},
        )
    window = get_settings().return_window_days
    now = clock.now()
    if now > order.delivered_at + timedelta(days=window):
        raise ReturnWindowClosedError(
            f"Returns are accepted within {window} days of delivery",
            details={"delivered_at": clock.iso(order.delivered_at), "window_days": window},
        )
    asked: dict[str, int] = {}
    named: dict[str, ReturnLine] = {}
    for line in lines:
        asked[line.key] = asked.get(line.key, 0) + line.quantity
        named[line.key] = line
    existing = repo.returns_of(order_id)
    held = _units(existing, _HOLDING)
    ordered = order.units()
    problems = [
        {
            "product_id": named[key].product_id,
            **({"sku": named[key].sku} if named[key].sku else {}),
            "asked": quantity,
            "returnable": max(0, ordered.get(key, 0) - held.get(key, 0)),
        }
        for key, quantity in sorted(asked.items())
        if quantity > ordered.get(key, 0) - held.get(key, 0)
    ]
    if problems:
        raise ReturnLinesError(
            "Some lines are not in this order or have fewer units left to return",
            details=problems,
        )
    ret = Return(
        return_id=new_id(),
        order_id=order.order_id,
        shop_id=order.shop_id,
        user_id=order.user_id,
        lines=tuple(
            ReturnLine(named[key].product_id, qty, named[key].sku)
            for key, qty in sorted(asked.items())
        ),
        reason=reason,
        amount=refund_share(order, asked, _units(existing, _REFUNDING)),
        currency=order.currency,
        status=ReturnStatus.REQUESTED,
        created_at=now,
        updated_at=now,
    )
    repo.add_return(ret, returns_version=order.returns_version)
    bus.publish(ReturnRequested.of(ret), best_effort=True)
    return ret


def decide(
    caller: Caller,
    order_id: str,
    return_id: str,
    *,
    approve: bool,
    reason: str,
    restock: bool = False,
) -> Return:
    """The shop's seller (or an admin) approves or refuses a return. Approving refunds
    its amount once (see the module); asked again, a decision answers the return as it is.

    Raises NotFoundError (another shop's order: it does not exist for them),
    ReturnDecidedError when it was decided the other way.
    """
    repo = repository.get()
    order = repo.get_order(order_id)
    if not _is_shop_side(caller, order):
        raise NotFoundError("No such return", details={"return_id": return_id})
    ret = repo.get_return(order_id, return_id)
    decided: dict[str, Any] = {
        "decision_reason": reason,
        "decided_by": caller.account_id,
        "decided_at": clock.now(),
    }
    if not approve:
        if ret.status == ReturnStatus.REQUESTED:
            ret, moved = repo.move_return(ret, ReturnStatus.REFUSED, **decided)
            if moved:
                bus.publish(ReturnDecided.of(ret), best_effort=True)
        if ret.status != ReturnStatus.REFUSED:
            raise ReturnDecidedError("This return was approved already")
        return ret
    if ret.status == ReturnStatus.REQUESTED:
        amount = refund_share(order, ret.units(), _units(repo.returns_of(order_id), _REFUNDING))
        ret, _ = repo.move_return(
            ret, ReturnStatus.APPROVED, amount=amount, restock=restock, **decided
        )
    if ret.status == ReturnStatus.REFUSED:
        raise ReturnDecidedError("This return was refused already")
    if ret.status == ReturnStatus.APPROVED:
        ret = _refund_return(caller, ret)
    return ret


def _refund_return(caller: Caller, ret: Return) -> Return:
    """Steps 2-5 of an approved return (each repeatable)."""
    repo = repository.get()
    if ret.amount > 0:  # nothing left to give back (an admin refunded the rest meanwhile)
        refund_order(caller, repo.get_order(ret.order_id), ret.amount, key=ret.return_id, ret=ret)
    if ret.restock:
        stock.restock_return(ret)
    ret, moved = repo.move_return(ret, ReturnStatus.REFUNDED)
    if moved:
        bus.publish(ReturnDecided.of(ret), best_effort=True)
        metrics.add_metric(name="ReturnsRefunded", unit="Count", value=1)
    return ret


def refund_order(
    caller: Caller, order: Order, amount: int, *, key: str, ret: Return | None = None
) -> Order:
    """Give back ``amount`` of a delivered order once per ``key``: the payment first
    (provider idempotency key + counted once per key), then the order (recorded once per
    key); announced by the request that recorded it. The order as it is now."""
    if order.status not in REFUNDABLE and key not in order.refund_keys:
        raise IllegalTransitionError.between(
            order.status, OrderStatus.REFUNDED, allowed_targets(order.status)
        )
    repo = repository.get()
    checkout = repo.get_checkout(order.checkout_id)
    payments.refund_part(checkout.payment_id, amount, key=key)
    previous = order.status
    order, recorded = repo.record_refund(order, key=key, refund=Refund(amount, caller.account_id))
    if recorded:
        events: list[DomainEvent] = []
        if order.status != previous:
            events.append(OrderStatusChanged.of(order, previous=previous))
        events.append(
            OrderRefunded.of(
                order, amount=amount, key=key, return_id=ret.return_id if ret else None
            )
        )
        bus.publish(*events, best_effort=True)
    return order


def refund_rest(caller: Caller, order: Order) -> Order:
    """An admin refunds what is left of a delivered order (key: the order id); an order
    already REFUNDED is answered as it is."""
    if order.status == OrderStatus.REFUNDED:
        return order
    return refund_order(caller, order, max(0, order.total - order.refunded), key=order.order_id)
