"""The order lifecycle for shoppers, sellers and admins (the saga's part is in ``saga``).

Who sees an order: its shopper, its shop's seller, an admin; to anyone else it does not
exist (404). Sellers move their shop's orders along (SHIPPED, DELIVERED) or cancel them;
shoppers cancel before shipping; admins may also refund a delivered order.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.core import clock
from chalicelib.core import events as bus
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.core.events import DomainEvent
from chalicelib.core.pagination import Page
from chalicelib.orders import repository
from chalicelib.orders.domain import (
    SELLER_TARGETS,
    CancellationReason,
    Order,
    OrderStatus,
    Payment,
    Refund,
    Shipment,
    allowed_targets,
    can_move,
)
from chalicelib.orders.errors import IllegalTransitionError, TrackingRequiredError
from chalicelib.orders.events import (
    OrderCancelled,
    OrderDelivered,
    OrderShipped,
    OrderStatusChanged,
)
from chalicelib.orders.service import payments, returns, stock


def check_transition(current: str, target: str) -> None:
    """Raise IllegalTransitionError unless ``current → target`` is allowed."""
    if not can_move(current, target):
        raise IllegalTransitionError.between(current, target, allowed_targets(current))


def _visible(order: Order, caller: Caller) -> bool:
    if caller.role == Role.ADMIN:
        return True
    if caller.role == Role.SELLER and caller.shop_id and order.shop_id == caller.shop_id:
        return True
    return order.user_id == caller.account_id


def order_for(caller: Caller, order_id: str) -> Order:
    """An order the caller may see (its shopper, its shop's seller, an admin); else 404."""
    order = repository.get().get_order(order_id)
    if not _visible(order, caller):
        raise NotFoundError("No such order", details={"order_id": order_id})
    return order


def my_orders(
    caller: Caller,
    *,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Order]:
    """The caller's orders, newest first (only those in ``status`` and created within
    ``since``..``until`` if given)."""
    return repository.get().user_orders(
        caller.account_id, status=status, since=since, until=until, limit=limit, cursor=cursor
    )


def shop_orders(
    caller: Caller,
    *,
    status: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    cursor: str | None,
) -> Page[Order]:
    """The seller's shop's orders, newest first, by status and creation time;
    ForbiddenError before the shop exists."""
    if not caller.shop_id:
        raise ForbiddenError("Create your shop first")
    return repository.get().shop_orders(
        caller.shop_id, status=status, since=since, until=until, limit=limit, cursor=cursor
    )


def all_orders(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    shop_id: str | None = None,
) -> Page[Order]:
    """Every order (admin), newest first, by status, creation time and shop."""
    return repository.get().all_orders(
        status=status, since=since, until=until, limit=limit, cursor=cursor, shop_id=shop_id
    )


def all_payments(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Payment]:
    """Every payment (admin), newest first, by status and creation time."""
    return repository.get().all_payments(
        status=status, since=since, until=until, limit=limit, cursor=cursor
    )


def _announce_change(order: Order, previous: str, reason: str | None = None) -> None:
    events: list[DomainEvent] = [OrderStatusChanged.of(order, previous=previous, reason=reason)]
    if order.status == OrderStatus.CANCELLED:
        events.append(OrderCancelled.of(order, reason=str(reason), refunded=order.total))
    elif order.status == OrderStatus.SHIPPED:
        events.append(OrderShipped.of(order))
    elif order.status == OrderStatus.DELIVERED:
        events.append(OrderDelivered.of(order))
    bus.publish(*events, best_effort=True)


def _cancel_paid(caller: Caller, order: Order, reason: CancellationReason) -> Order:
    """PAID → CANCELLED: the order's part of the payment refunded, its stock restocked."""
    if order.status == OrderStatus.PENDING:
        raise ConflictError("This checkout is still being processed; try again in a moment")
    previous = order.status
    check_transition(order.status, OrderStatus.CANCELLED)
    repo = repository.get()
    order, moved = repo.move_order(order, OrderStatus.CANCELLED, reason=reason)
    if moved:
        stock.release([order])
        checkout = repo.get_checkout(order.checkout_id)
        payments.refund_part(checkout.payment_id, order.total, key=order.order_id)
        order = repo.set_refunded(order.order_id, Refund(order.total, by=caller.account_id))
        _announce_change(order, previous, reason)
    return order


def _refund_delivered(caller: Caller, order: Order) -> Order:
    """DELIVERED or PARTIALLY_REFUNDED → REFUNDED (admin): what is left of this order's
    part of the payment given back once, through the returns' refund path (provider
    refund keyed on the order, then the order's conditional record; only the request that
    recorded it announces ``order.status_changed`` and ``order.refunded``, the shopper's
    email). A request for an order already REFUNDED answers it as it is.
    """
    if order.status == OrderStatus.REFUNDED:
        return order
    check_transition(order.status, OrderStatus.REFUNDED)
    return returns.refund_rest(caller, order)


def cancel_as_shopper(caller: Caller, order_id: str) -> Order:
    """The shopper cancels their order before shipping: refund + restock. 409 once shipped."""
    order = repository.get().get_order(order_id)
    if order.user_id != caller.account_id:
        raise NotFoundError("No such order", details={"order_id": order_id})
    return _cancel_paid(caller, order, CancellationReason.CANCELLED_BY_SHOPPER)


def _shipment(
    carrier: str | None, tracking_number: str | None, tracking_url: str | None
) -> Shipment:
    if not carrier or not tracking_number:
        raise TrackingRequiredError(
            "Shipping an order takes the carrier and its tracking number",
            details=[
                {"field": name, "message": "required to ship", "type": "missing"}
                for name, value in (("carrier", carrier), ("tracking_number", tracking_number))
                if not value
            ],
        )
    return Shipment(
        carrier=carrier,
        tracking_number=tracking_number,
        tracking_url=tracking_url,
        shipped_at=clock.now(),
    )


def update_status(
    caller: Caller,
    order_id: str,
    target: OrderStatus,
    *,
    carrier: str | None = None,
    tracking_number: str | None = None,
    tracking_url: str | None = None,
) -> Order:
    """A seller (their shop's orders) or an admin moves an order along; illegal → 409.

    SHIPPED takes the carrier and tracking number (TrackingRequiredError, 422, without);
    DELIVERED records the time; both are announced (``order.shipped``/``order.delivered``,
    emailed to the shopper). REFUNDED (admins, delivered orders) is idempotent: asked
    again, it answers the order.
    """
    order = order_for(caller, order_id)
    is_shop_seller = caller.role == Role.SELLER and order.shop_id == caller.shop_id
    if caller.role != Role.ADMIN and not is_shop_seller:
        raise NotFoundError("No such order", details={"order_id": order_id})
    if target == OrderStatus.CANCELLED:
        return _cancel_paid(caller, order, CancellationReason.CANCELLED_BY_SELLER)
    if caller.role == Role.SELLER and target not in SELLER_TARGETS:
        raise ForbiddenError("Sellers set SHIPPED, DELIVERED or CANCELLED")
    if target == OrderStatus.REFUNDED:
        return _refund_delivered(caller, order)
    previous = order.status
    check_transition(previous, target)
    shipment = None
    if target == OrderStatus.SHIPPED:
        shipment = _shipment(carrier, tracking_number, tracking_url)
    repo = repository.get()
    order, moved = repo.move_order(order, target, shipment=shipment)
    if moved:
        _announce_change(order, previous)
    return order


# ---------- what reviews use ----------
REVIEWABLE = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED})
PURCHASE_PAGES = 20  # of 100 orders: the newest 2,000 orders of a shopper are looked at


def purchase_of(user_id: str, product_id: str) -> Order | None:
    """The shopper's newest PAID, SHIPPED or DELIVERED order with a line of ``product_id``
    (what entitles them to review it); None if there is none."""
    cursor: str | None = None
    for _ in range(PURCHASE_PAGES):
        page = repository.get().user_orders(user_id, limit=100, cursor=cursor)
        for order in page.items:
            if order.status in REVIEWABLE and any(
                line.product_id == product_id for line in order.lines
            ):
                return order
        cursor = page.next_cursor
        if cursor is None:
            return None
    return None
