"""Stock reservations on the catalog's products: all-or-nothing, never below zero.

A reservation is one DynamoDB transaction: for every line, ``stock -= qty`` on the
catalog's product item conditional on ``stock >= qty`` (and the product being active),
plus each order's ``stock_state NONE → RESERVED``. Either every line is taken or none.
A release is the mirror transaction ``RESERVED → RELEASED``. Because the order records
what it holds, a retried reservation or release changes nothing the second time.
Both bump the product's ``version`` so a seller editing a stale copy is told to reload.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog.events import ProductUpdated
from chalicelib.catalog.models import PRODUCT_SK, Product, product_pk
from chalicelib.catalog.service import shops
from chalicelib.core import events as bus
from chalicelib.core.dynamo import TransactionCancelledError
from chalicelib.core.settings import get_settings
from chalicelib.orders import repository
from chalicelib.orders.domain import Order, StockState, units_of
from chalicelib.orders.errors import OutOfStockError, TransientStockError
from chalicelib.orders.events import StockLow, StockUpdated

MAX_TRANSACTION_ITEMS = 100
NONE, RESERVED, RELEASED = StockState.NONE, StockState.RESERVED, StockState.RELEASED


def _product_update(product_id: str, delta: int, *, guard: bool) -> dict[str, Any]:
    values: dict[str, Any] = {":delta": {"N": str(delta)}, ":one": {"N": "1"}}
    update: dict[str, Any] = {
        "TableName": get_settings().catalog_table,
        "Key": {"pk": {"S": product_pk(product_id)}, "sk": {"S": PRODUCT_SK}},
        "UpdateExpression": "ADD stock :delta, version :one",
        "ExpressionAttributeValues": values,
    }
    if guard:
        values[":need"] = {"N": str(-delta)}
        values[":active"] = {"S": "ACTIVE"}
        update["ConditionExpression"] = "stock >= :need AND #status = :active"
        update["ExpressionAttributeNames"] = {"#status": "status"}
    else:
        update["ConditionExpression"] = "attribute_exists(pk)"
    return {"Update": update}


def _hold(
    orders: list[Order], expected: StockState, new: StockState, products: list[dict[str, Any]]
) -> TransactionCancelledError | None:
    """Run the transaction; None when committed, else why it was cancelled."""
    if len(orders) + len(products) > MAX_TRANSACTION_ITEMS:
        raise OutOfStockError(
            f"A checkout may hold at most {MAX_TRANSACTION_ITEMS} items in one reservation"
        )
    try:
        repository.get().hold_stock(orders, expected=expected, new=new, with_items=products)
    except TransactionCancelledError as cancelled:
        if cancelled.conflicted:
            raise TransientStockError(
                "Another checkout is writing the same stock; try again"
            ) from None
        return cancelled
    return None


def _fresh(orders: list[Order]) -> list[Order]:
    repo = repository.get()
    return [repo.get_order(order.order_id) for order in orders]


def reserve(orders: list[Order]) -> bool:
    """Take every line's units, all or nothing; True if taken now, False if already held.

    Raises OutOfStockError naming the short products, TransientStockError on conflicts.
    """
    states = {order.stock_state for order in orders}
    if states == {RESERVED}:
        return False
    if states & {RESERVED, RELEASED}:
        raise OutOfStockError("These orders' stock was already released")
    units = units_of(orders)
    products = [_product_update(pid, -qty, guard=True) for pid, (_, qty) in units.items()]
    failed = _hold(orders, NONE, RESERVED, products)
    if failed is None:
        _announce(units, sign=-1, reason="reserved")
        return True
    if any(failed.failed(i) for i in range(len(orders))):
        if {order.stock_state for order in _fresh(orders)} == {RESERVED}:
            return False  # an earlier attempt committed; nothing more to take
        raise OutOfStockError("These orders' stock was already released")
    short = [pid for i, pid in enumerate(units) if failed.failed(len(orders) + i)]
    raise OutOfStockError(
        "Not enough stock for: " + ", ".join(short), details={"product_ids": short}
    )


def release(orders: list[Order]) -> bool:
    """Give back what ``orders`` hold (only orders still RESERVED); True if anything moved."""
    held = [order for order in orders if order.stock_state == RESERVED]
    if not held:
        return False
    restock = units_of(held)
    while True:  # bounded: each pass drops a vanished product or an already released order
        products = [_product_update(pid, qty, guard=False) for pid, (_, qty) in restock.items()]
        failed = _hold(held, RESERVED, RELEASED, products)
        if failed is None:
            break
        if any(failed.failed(i) for i in range(len(held))):
            # An earlier attempt released some of them: re-read and release the rest.
            return release(_fresh(held))
        # The rest failed on products that no longer exist (purged): nothing to give back.
        gone = {pid for i, pid in enumerate(restock) if failed.failed(len(held) + i)}
        if not gone:
            raise TransientStockError("Could not release stock; try again")
        restock = {pid: held_units for pid, held_units in restock.items() if pid not in gone}
    _announce(restock, sign=1, reason="released")
    return True


def _announce(units: dict[str, tuple[str, int]], *, sign: int, reason: str) -> None:
    """stock.updated per product, stock.low when it crossed its shop's threshold."""
    keys = [(product_pk(pid), PRODUCT_SK) for pid in units]
    found = {p.product_id: p for p in Product.batch_get(keys, consistent_read=True)}
    thresholds: dict[str, int] = {}
    events: list[Any] = []
    for pid, (shop_id, qty) in units.items():
        product = found.get(pid)
        if product is None:
            continue
        stock = int(product.stock)
        events.append(
            StockUpdated(
                product_id=pid, shop_id=shop_id, stock=stock, delta=sign * qty, reason=reason
            )
        )
        events.append(
            ProductUpdated(
                product_id=pid,
                shop_id=shop_id,
                version=int(product.version or 0),
                change="stock",
            )
        )
        if sign < 0:
            if shop_id not in thresholds:
                shop = shops.get_shop(shop_id)
                settings = (shop.settings if shop else None) or {}
                thresholds[shop_id] = int(
                    settings.get(
                        "low_stock_threshold", shops.DEFAULT_SETTINGS["low_stock_threshold"]
                    )
                )
            threshold = thresholds[shop_id]
            if stock <= threshold < stock + qty:
                events.append(
                    StockLow(product_id=pid, shop_id=shop_id, stock=stock, threshold=threshold)
                )
    bus.publish(*events, best_effort=True)


def stock_of(product_ids: list[str]) -> dict[str, int]:
    """Current stock of products (strongly consistent), for checks and tests."""
    keys = [(product_pk(pid), PRODUCT_SK) for pid in product_ids]
    return {p.product_id: int(p.stock) for p in Product.batch_get(keys, consistent_read=True)}
