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

from botocore.exceptions import ClientError

from chalicelib.catalog.events import ProductUpdated
from chalicelib.catalog.models import PRODUCT_SK, Product, product_pk
from chalicelib.catalog.service import shops
from chalicelib.core import aws
from chalicelib.core.settings import get_settings
from chalicelib.orders import publishing
from chalicelib.orders.errors import OutOfStockError, TransientStockError
from chalicelib.orders.events import StockLow, StockUpdated
from chalicelib.orders.models import ORDER_SK, Order, order_pk

MAX_TRANSACTION_ITEMS = 100
NONE, RESERVED, RELEASED = "NONE", "RESERVED", "RELEASED"


def _units(orders: list[Order]) -> dict[str, tuple[str, int]]:
    """product id → (shop id, units) over every line of ``orders``."""
    units: dict[str, tuple[str, int]] = {}
    for order in orders:
        for line in order.lines:
            shop, held = units.get(line["product_id"], (order.shop_id, 0))
            units[line["product_id"]] = (shop, held + int(line["quantity"]))
    return units


def _order_update(order: Order, expected: str, new: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": get_settings().orders_table,
            "Key": {"pk": {"S": order_pk(order.order_id)}, "sk": {"S": ORDER_SK}},
            "UpdateExpression": "SET stock_state = :new",
            "ConditionExpression": "stock_state = :expected",
            "ExpressionAttributeValues": {":new": {"S": new}, ":expected": {"S": expected}},
        }
    }


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


def _transact(items: list[dict[str, Any]]) -> list[str] | None:
    """Run a transaction; None when committed, else the cancellation reason codes."""
    if len(items) > MAX_TRANSACTION_ITEMS:
        raise OutOfStockError(
            f"A checkout may hold at most {MAX_TRANSACTION_ITEMS} items in one reservation"
        )
    try:
        aws.client("dynamodb").transact_write_items(TransactItems=items)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code != "TransactionCanceledException":
            if code in ("ThrottlingException", "ProvisionedThroughputExceededException"):
                raise TransientStockError("Stock is busy; try again") from None
            raise
        reasons = error.response.get("CancellationReasons") or []
        return [str(reason.get("Code") or "None") for reason in reasons]
    return None


def reserve(orders: list[Order]) -> bool:
    """Take every line's units, all or nothing; True if taken now, False if already held.

    Raises OutOfStockError naming the short products, TransientStockError on conflicts.
    """
    states = {order.stock_state for order in orders}
    if states == {RESERVED}:
        return False
    if states & {RESERVED, RELEASED}:
        raise OutOfStockError("These orders' stock was already released")
    units = _units(orders)
    items = [_order_update(order, NONE, RESERVED) for order in orders]
    items += [_product_update(pid, -qty, guard=True) for pid, (_, qty) in units.items()]
    reasons = _transact(items)
    if reasons is None:
        for order in orders:
            order.stock_state = RESERVED
        _announce(units, sign=-1, reason="reserved")
        return True
    if any(code == "TransactionConflict" for code in reasons):
        raise TransientStockError("Another checkout is writing the same stock; try again")
    order_reasons, product_reasons = reasons[: len(orders)], reasons[len(orders) :]
    if any(code == "ConditionalCheckFailed" for code in order_reasons):
        for order in orders:
            order.refresh(consistent_read=True)
        if {order.stock_state for order in orders} == {RESERVED}:
            return False  # an earlier attempt committed; nothing more to take
        raise OutOfStockError("These orders' stock was already released")
    short = [
        pid
        for (pid, _), code in zip(units.items(), product_reasons, strict=False)
        if code == "ConditionalCheckFailed"
    ]
    raise OutOfStockError(
        "Not enough stock for: " + ", ".join(short), details={"product_ids": short}
    )


def release(orders: list[Order]) -> bool:
    """Give back what ``orders`` hold (only orders still RESERVED); True if anything moved."""
    held = [order for order in orders if order.stock_state == RESERVED]
    if not held:
        return False
    restock = _units(held)
    while True:  # bounded: each pass drops a vanished product or an already released order
        items = [_order_update(order, RESERVED, RELEASED) for order in held]
        items += [_product_update(pid, qty, guard=False) for pid, (_, qty) in restock.items()]
        reasons = _transact(items)
        if reasons is None:
            break
        if any(code == "TransactionConflict" for code in reasons):
            raise TransientStockError("Another checkout is writing the same stock; try again")
        order_reasons, product_reasons = reasons[: len(held)], reasons[len(held) :]
        if any(code == "ConditionalCheckFailed" for code in order_reasons):
            # An earlier attempt released some of them: re-read and release the rest.
            for order in held:
                order.refresh(consistent_read=True)
            return release(held)
        # The rest failed on products that no longer exist (purged): nothing to give back.
        gone = {
            pid
            for pid, code in zip(restock, product_reasons, strict=False)
            if code == "ConditionalCheckFailed"
        }
        if not gone:
            raise TransientStockError("Could not release stock; try again")
        restock = {pid: held_units for pid, held_units in restock.items() if pid not in gone}
    for order in held:
        order.stock_state = RELEASED
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
    publishing.announce(*events)


def stock_of(product_ids: list[str]) -> dict[str, int]:
    """Current stock of products (strongly consistent), for checks and tests."""
    keys = [(product_pk(pid), PRODUCT_SK) for pid in product_ids]
    return {p.product_id: int(p.stock) for p in Product.batch_get(keys, consistent_read=True)}
