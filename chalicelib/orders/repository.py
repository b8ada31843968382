"""Reads and conditional writes of checkouts and orders (the one place that knows the keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock
from chalicelib.core.errors import BadRequestError, NotFoundError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.orders.lifecycle import check_transition
from chalicelib.orders.models import (
    ALL_ORDERS,
    ALL_PAYMENTS,
    CHECKOUT_SK,
    ORDER_SK,
    Checkout,
    Order,
    Payment,
    checkout_pk,
    order_pk,
    orders_by_status_pk,
    payments_by_status_pk,
    shop_orders_pk,
    user_orders_pk,
)


def sort_key(moment: datetime, item_id: str) -> str:
    return f"{clock.iso(moment)}#{item_id}"


def get_checkout(checkout_id: str) -> Checkout:
    try:
        return Checkout.get(checkout_pk(checkout_id), CHECKOUT_SK, consistent_read=True)
    except Checkout.DoesNotExist:
        raise NotFoundError("No such checkout", details={"checkout_id": checkout_id}) from None


def get_order(order_id: str) -> Order:
    try:
        return Order.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except Order.DoesNotExist:
        raise NotFoundError("No such order", details={"order_id": order_id}) from None


def orders_of(checkout: Checkout) -> list[Order]:
    keys = [(order_pk(order_id), ORDER_SK) for order_id in checkout.order_ids]
    found = {o.order_id: o for o in Order.batch_get(keys, consistent_read=True)}
    return [found[order_id] for order_id in checkout.order_ids if order_id in found]


def transition(order: Order, target: str, *, reason: str | None = None) -> bool:
    """Move ``order`` to ``target`` (rules in ``lifecycle``), conditional on its status.

    Returns False when it is already ``target`` (a retried step); raises
    IllegalTransitionError when the move is not allowed from the stored status.
    """
    if order.status == target:
        return False
    check_transition(order.status, target)
    now = clock.now()
    entry = {"from": order.status, "to": target, "at": clock.iso(now), "reason": reason}
    actions: list[Any] = [
        Order.status.set(target),
        Order.gsi3pk.set(orders_by_status_pk(target)),
        Order.updated_at.set(now),
        Order.history.set(Order.history.append([entry])),
    ]
    if reason is not None:
        actions.append(Order.reason.set(reason))
    previous = order.status
    try:
        order.update(actions=actions, condition=Order.status == previous)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        order.refresh(consistent_read=True)
        if order.status == target:
            return False
        check_transition(order.status, target)
        return transition(order, target, reason=reason)
    return True


def set_checkout_status(checkout: Checkout, status: str, reason: str | None = None) -> None:
    actions: list[Any] = [Checkout.status.set(status), Checkout.updated_at.set(clock.now())]
    if reason is not None:
        actions.append(Checkout.reason.set(reason))
    checkout.update(actions=actions)


def _page(results: Any, limit: int) -> Page[Any]:
    items = list(results)
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


def _start(cursor: str | None, key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def _range(index: Any, attribute: Any, since: datetime | None, until: datetime | None) -> Any:
    if since and until:
        return attribute.between(clock.iso(since), clock.iso(until) + "~")
    if since:
        return attribute >= clock.iso(since)
    if until:
        return attribute <= clock.iso(until) + "~"
    return None


def list_user_orders(user_id: str, *, limit: int, cursor: str | None) -> Page[Order]:
    """A shopper's orders, newest first (Query on gsi1)."""
    partition = user_orders_pk(user_id)
    return _page(
        Order.by_user.query(
            partition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_start(cursor, "gsi1pk", partition),
        ),
        limit,
    )


def list_shop_orders(
    shop_id: str, *, status: str | None, limit: int, cursor: str | None
) -> Page[Order]:
    """A shop's orders, newest first, optionally of one status (Query on gsi2)."""
    partition = shop_orders_pk(shop_id)
    return _page(
        Order.by_shop.query(
            partition,
            scan_index_forward=False,
            limit=limit,
            filter_condition=(Order.status == status) if status else None,
            last_evaluated_key=_start(cursor, "gsi2pk", partition),
        ),
        limit,
    )


def list_all_orders(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Order]:
    """Every order (admin), newest first, by status (gsi3) or all (gsi4), in a date range."""
    status_pk = orders_by_status_pk(status) if status else None
    page: Page[Order] = _list_all(Order, status_pk, ALL_ORDERS, since, until, limit, cursor)
    return page


def list_all_payments(
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[Payment]:
    """Every payment (admin), newest first, by status (gsi3) or all (gsi4), in a date range."""
    status_pk = payments_by_status_pk(status) if status else None
    page: Page[Payment] = _list_all(Payment, status_pk, ALL_PAYMENTS, since, until, limit, cursor)
    return page


def _list_all(
    model: Any,
    status_pk: str | None,
    all_pk: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Any:
    """One status partition (gsi3) or everything (gsi4) of a model, newest first."""
    if status_pk:
        partition, index, key = status_pk, model.by_status, "gsi3pk"
        condition = _range(index, model.gsi3sk, since, until)
    else:
        partition, index, key = all_pk, model.everything, "gsi4pk"
        condition = _range(index, model.gsi4sk, since, until)
    return _page(
        index.query(
            partition,
            condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_start(cursor, key, partition),
        ),
        limit,
    )
