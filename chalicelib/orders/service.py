"""Order use cases for shoppers, sellers and admins (the saga is in ``saga``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.core.pagination import Page
from chalicelib.orders import inventory, payments, publishing, repository
from chalicelib.orders.events import OrderCancelled, OrderStatusChanged
from chalicelib.orders.lifecycle import (
    CANCELLED_BY_SELLER,
    CANCELLED_BY_SHOPPER,
    SELLER_TARGETS,
    check_transition,
)
from chalicelib.orders.models import Order, Payment


def _visible(order: Order, *, user_id: str, role: str, shop_id: str | None) -> bool:
    if role == "admin":
        return True
    if role == "seller" and shop_id and order.shop_id == shop_id:
        return True
    return order.user_id == user_id


def order_for(order_id: str, *, user_id: str, role: str, shop_id: str | None) -> Order:
    """An order the caller may see (its shopper, its shop's seller, an admin); else 404."""
    order = repository.get_order(order_id)
    if not _visible(order, user_id=user_id, role=role, shop_id=shop_id):
        raise NotFoundError("No such order", details={"order_id": order_id})
    return order


def my_orders(user_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
    return repository.list_user_orders(user_id, limit=limit, cursor=cursor)


def shop_orders(
    shop_id: str | None, *, status: str | None, limit: int, cursor: str | None
) -> Page[Order]:
    if not shop_id:
        raise ForbiddenError("Create your shop first")
    return repository.list_shop_orders(shop_id, status=status, limit=limit, cursor=cursor)


def all_orders(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Order]:
    return repository.list_all_orders(
        status=status, since=since, until=until, limit=limit, cursor=cursor
    )


def all_payments(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Payment]:
    return repository.list_all_payments(
        status=status, since=since, until=until, limit=limit, cursor=cursor
    )


def _announce_change(order: Order, previous: str, reason: str | None = None) -> None:
    events: list[Any] = [
        OrderStatusChanged(
            order_id=order.order_id,
            user_id=order.user_id,
            shop_id=order.shop_id,
            previous=previous,
            status=order.status,
            reason=reason,
        )
    ]
    if order.status == "CANCELLED":
        events.append(
            OrderCancelled(
                order_id=order.order_id,
                checkout_id=order.checkout_id,
                user_id=order.user_id,
                shop_id=order.shop_id,
                reason=str(reason),
                refunded=int(order.total),
            )
        )
    publishing.announce(*events)


def _cancel_paid(order: Order, reason: str) -> Order:
    """PAID → CANCELLED: the order's part of the payment refunded, its stock restocked."""
    if order.status == "PENDING":
        raise ConflictError("This checkout is still being processed; try again in a moment")
    previous = order.status
    check_transition(order.status, "CANCELLED")
    if repository.transition(order, "CANCELLED", reason=reason):
        inventory.release([order])
        checkout = repository.get_checkout(order.checkout_id)
        payments.refund_part(checkout.payment_id, int(order.total), key=order.order_id)
        order.update(actions=[Order.refunded.set(int(order.total))])
        _announce_change(order, previous, reason)
    return order


def cancel_as_shopper(order_id: str, user_id: str) -> Order:
    """The shopper cancels before shipping: refund + restock. 409 once shipped."""
    order = order_for(order_id, user_id=user_id, role="user", shop_id=None)
    if order.user_id != user_id:
        raise NotFoundError("No such order", details={"order_id": order_id})
    return _cancel_paid(order, CANCELLED_BY_SHOPPER)


def update_status(
    order_id: str, target: str, *, user_id: str, role: str, shop_id: str | None
) -> Order:
    """A seller (their shop's orders) or an admin moves an order along; illegal → 409."""
    order = order_for(order_id, user_id=user_id, role=role, shop_id=shop_id)
    if role != "admin" and (role != "seller" or order.shop_id != shop_id):
        raise NotFoundError("No such order", details={"order_id": order_id})
    if target == "CANCELLED":
        return _cancel_paid(order, CANCELLED_BY_SELLER)
    if role == "seller" and target not in SELLER_TARGETS:
        raise ForbiddenError("Sellers set SHIPPED, DELIVERED or CANCELLED")
    previous = order.status
    check_transition(previous, target)
    if target == "REFUNDED":
        checkout = repository.get_checkout(order.checkout_id)
        payments.refund_part(checkout.payment_id, int(order.total), key=order.order_id)
    if repository.transition(order, target):
        _announce_change(order, previous)
    return order
