"""The stock orders hold, asked of the catalog (``chalicelib.catalog.service.inventory``).

A reservation is one DynamoDB transaction across both tables: each order's
``stock_state NONE → RESERVED`` (the orders repository's items, first) and the catalog's
product stock moves (its items, after). Either every line is taken or none. A release is
the mirror ``RESERVED → RELEASED``. Because each order records what it holds, a retried
reservation or release changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.catalog.errors import OutOfStockError
from chalicelib.catalog.service import inventory as catalog_inventory
from chalicelib.core.dynamo import TransactionCancelledError
from chalicelib.orders import repository
from chalicelib.orders.domain import Order, Return, StockState, units_of
from chalicelib.orders.errors import TransientStockError

NONE, RESERVED, RELEASED = StockState.NONE, StockState.RESERVED, StockState.RELEASED


def _fresh(orders: list[Order]) -> list[Order]:
    repo = repository.get()
    return [repo.get_order(order.order_id) for order in orders]


def reserve(orders: list[Order]) -> bool:
    """Take every line's units, all or nothing; True if taken now, False if already held.

    Raises the catalog's OutOfStockError naming the short products, TransientStockError
    when another checkout was writing the same stock (the saga retries).
    """
    states = {order.stock_state for order in orders}
    if states == {RESERVED}:
        return False
    if states & {RESERVED, RELEASED}:
        raise OutOfStockError("These orders' stock was already released")
    repo = repository.get()

    def commit(product_items: Sequence[dict[str, Any]]) -> None:
        repo.hold_stock(orders, expected=NONE, new=RESERVED, with_items=product_items)

    try:
        catalog_inventory.reserve(units_of(orders), commit=commit, first=len(orders))
    except TransactionCancelledError as refused:
        if refused.conflicted:
            raise TransientStockError(
                "Another checkout is writing the same stock; try again"
            ) from None
        if any(refused.failed(i) for i in range(len(orders))):
            if {order.stock_state for order in _fresh(orders)} == {RESERVED}:
                return False  # an earlier attempt committed; nothing more to take
            raise OutOfStockError("These orders' stock was already released") from None
        raise TransientStockError("Could not reserve stock; try again") from None
    return True


def release(orders: list[Order]) -> bool:
    """Give back what ``orders`` hold (only orders still RESERVED); True if anything moved."""
    held = [order for order in orders if order.stock_state == RESERVED]
    if not held:
        return False
    repo = repository.get()

    def commit(product_items: Sequence[dict[str, Any]]) -> None:
        repo.hold_stock(held, expected=RESERVED, new=RELEASED, with_items=product_items)

    try:
        catalog_inventory.release(units_of(held), commit=commit, first=len(held))
    except TransactionCancelledError as refused:
        if refused.conflicted:
            raise TransientStockError(
                "Another checkout is writing the same stock; try again"
            ) from None
        if any(refused.failed(i) for i in range(len(held))):
            # An earlier attempt released some of them: re-read and release the rest.
            return release(_fresh(held))
        raise TransientStockError("Could not release stock; try again") from None
    return True


def restock_return(ret: Return) -> bool:
    """Put an approved return's units back in stock, once (the return records it in the
    same transaction); True if restocked now."""
    if ret.restocked:
        return False
    repo = repository.get()

    def commit(product_items: Sequence[dict[str, Any]]) -> None:
        repo.restock_return(ret, with_items=product_items)

    try:
        catalog_inventory.release(ret.units(), commit=commit, first=1)
    except TransactionCancelledError as refused:
        if refused.conflicted:
            raise TransientStockError(
                "Another checkout is writing the same stock; try again"
            ) from None
        if refused.failed(0):
            return False  # an earlier attempt restocked it
        raise TransientStockError("Could not restock; try again") from None
    return True
