"""Stock reservations: a checkout takes units of products, all or nothing, never below
zero, and gives them back when it is cancelled.

The products' side of a transaction another capability runs: orders calls ``reserve`` or
``release`` with a ``commit`` that writes its own items (the orders' ``stock_state``)
first and these products' stock moves after, in one DynamoDB transaction. Taking is
conditional on ``stock >= units`` and the product being active; every move bumps the
product's ``version`` (a seller editing a stale copy is told to reload). Once committed,
the catalog announces ``stock.updated`` (and ``stock.low`` when a product crossed its
shop's threshold) and ``product.updated`` (change ``stock``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import split_stock_key
from chalicelib.catalog.errors import OutOfStockError
from chalicelib.catalog.events import ProductUpdated, StockLow, StockUpdated
from chalicelib.catalog.service.shops import DEFAULT_SETTINGS
from chalicelib.core import events
from chalicelib.core.dynamo import TransactionCancelledError
from chalicelib.core.events import DomainEvent

MAX_TRANSACTION_ITEMS = 100
# Runs one transaction: the caller's own items first, then these product items.
Commit = Callable[[Sequence[dict[str, Any]]], None]


def reserve(units: Mapping[str, int], *, commit: Commit, first: int = 0) -> None:
    """Take ``units`` (product id → units) of each product in the transaction ``commit``
    runs after its own ``first`` items; all or nothing.

    Raises OutOfStockError naming the short products (details ``product_ids``); the
    TransactionCancelledError itself when the caller's items refused or the transaction
    conflicted with another (the caller decides: already done, or retry).
    """
    if first + len(units) > MAX_TRANSACTION_ITEMS:
        raise OutOfStockError(
            f"A checkout may hold at most {MAX_TRANSACTION_ITEMS} items in one reservation"
        )
    moves = repository.get().stock_moves(units, take=True)
    try:
        commit(moves.items)
    except TransactionCancelledError as refused:
        if refused.conflicted or any(refused.failed(i) for i in range(first)):
            raise
        short = moves.refused(refused.reasons[first:])
        if not short:
            raise
        raise OutOfStockError(
            "Not enough stock for: " + ", ".join(short), details={"product_ids": short}
        ) from None
    _announce(units, sign=-1, reason="reserved")


def release(units: Mapping[str, int], *, commit: Commit, first: int = 0) -> dict[str, int]:
    """Give back ``units`` in the transaction ``commit`` runs after its own ``first``
    items; products purged meanwhile are left out (nothing to give back to). Returns what
    was given back.

    Raises the TransactionCancelledError when the caller's items refused, the transaction
    conflicted, or it was refused for another reason (worth a retry).
    """
    restock = dict(units)
    while True:  # bounded: each pass leaves out at least one purged product
        moves = repository.get().stock_moves(restock, take=False)
        try:
            commit(moves.items)
            break
        except TransactionCancelledError as refused:
            if refused.conflicted or any(refused.failed(i) for i in range(first)):
                raise
            gone = set(moves.refused(refused.reasons[first:]))
            if not gone:
                raise
            restock = {pid: qty for pid, qty in restock.items() if pid not in gone}
    _announce(restock, sign=1, reason="released")
    return restock


def stock_of(keys: list[str]) -> dict[str, int]:
    """Current stock of products or SKUs (``stock_key``s; strongly consistent)."""
    found = repository.get().products(split_stock_key(key)[0] for key in keys)
    out: dict[str, int] = {}
    for key in keys:
        product_id, sku = split_stock_key(key)
        product = found.get(product_id)
        if product is None:
            continue
        variant = product.variant(sku) if sku else None
        out[key] = variant.stock if variant else product.stock
    return out


def _announce(units: Mapping[str, int], *, sign: int, reason: str) -> None:
    """stock.updated per product or SKU and product.updated per product, stock.low when a
    product or SKU crossed its shop's low-stock threshold (best effort: the stock itself
    is already committed)."""
    repo = repository.get()
    found = repo.products(split_stock_key(key)[0] for key in units)
    thresholds: dict[str, int] = {}
    announced: list[DomainEvent] = []
    updated: set[str] = set()
    for key, quantity in units.items():
        product_id, sku = split_stock_key(key)
        product = found.get(product_id)
        if product is None:
            continue
        announced.append(StockUpdated.of(product, delta=sign * quantity, reason=reason, sku=sku))
        if product_id not in updated:
            updated.add(product_id)
            announced.append(ProductUpdated.of(product, change="stock"))
        if sign < 0:
            if product.shop_id not in thresholds:
                shop = repo.shop(product.shop_id)
                settings = (shop.settings if shop else None) or {}
                thresholds[product.shop_id] = int(
                    settings.get("low_stock_threshold", DEFAULT_SETTINGS["low_stock_threshold"])
                )
            threshold = thresholds[product.shop_id]
            variant = product.variant(sku) if sku else None
            left = variant.stock if variant else product.stock
            if left <= threshold < left + quantity:
                announced.append(StockLow.of(product, threshold=threshold, sku=sku))
    events.publish(*announced, best_effort=True)
