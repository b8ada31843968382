"""The orders repository in memory (passes the same contract tests as DynamoDB), a
recording stand-in for the saga's state machine, and data factories that store through a
repository (tests never spell keys).

``hold_stock`` runs another fake's items with its own, all or nothing (``{"Fake":
(condition, apply)}``, as ``tests/fakes/catalog.py`` offers for stock); raw DynamoDB items
are accepted and ignored. A discount code's counters are not simulated (the redemption
passed to ``add_checkout`` is recorded, not written).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import (
    ITEM_CONDITION_FAILED,
    TransactionCancelledError,
    new_id,
    time_key,
)
from chalicelib.core.errors import BadRequestError, DependencyUnavailableError, NotFoundError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.orders.domain import (
    REFUNDABLE,
    Checkout,
    CheckoutStatus,
    CodeState,
    Intent,
    NewCheckout,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    Return,
    ReturnStatus,
    Shipment,
    ShippingAddress,
    StockState,
    allowed_targets,
    can_move,
    execution_name,
    status_after_refund,
)
from chalicelib.orders.errors import (
    CheckoutKeyTakenError,
    IllegalTransitionError,
    ReturnsChangedError,
)
from chalicelib.orders.repository import CodeRedemption, OrdersRepository

SHIP_TO = ShippingAddress(
    name="Ada Shopper",
    line1="1 Market St",
    line2="Floor 2",
    city="Berlin",
    postal_code="10115",
    country="DE",
    phone="+49 30 123456",
)


def _newest_first(items: list[Any], key: Any) -> list[Any]:
    return sorted(items, key=key, reverse=True)


class InMemoryOrdersRepository:
    """Checkouts, orders, payments, webhook receipts and intents in dictionaries."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.checkouts: dict[str, Checkout] = {}
        self.keys: dict[tuple[str, str], str] = {}
        self.orders: dict[str, Order] = {}
        self.payments: dict[str, Payment] = {}
        self.webhooks: dict[str, str] = {}
        self.intents: dict[str, Intent] = {}
        self.processing_errors: dict[str, int] = {}
        self.redemptions: list[CodeRedemption] = []
        self.returns: dict[tuple[str, str], Return] = {}

    # ---------- checkouts ----------
    def checkout_by_key(self, user_id: str, key: str) -> Checkout | None:
        checkout_id = self.keys.get((user_id, key))
        return None if checkout_id is None else self.get_checkout(checkout_id)

    def get_checkout(self, checkout_id: str) -> Checkout:
        found = self.checkouts.get(checkout_id)
        if found is None:
            raise NotFoundError("No such checkout", details={"checkout_id": checkout_id})
        return found

    def add_checkout(self, new: NewCheckout, *, redemption: CodeRedemption | None) -> None:
        checkout = new.checkout
        claim = (checkout.user_id, checkout.idempotency_key)
        with self._lock:
            if claim in self.keys:
                raise CheckoutKeyTakenError("This Idempotency-Key claims a checkout")
            self.keys[claim] = checkout.checkout_id
            self.checkouts[checkout.checkout_id] = checkout
            self.payments[new.payment.payment_id] = new.payment
            for order in new.orders:
                self.orders[order.order_id] = order
            if redemption is not None:
                self.redemptions.append(redemption)

    def set_checkout_status(
        self, checkout_id: str, status: CheckoutStatus, reason: str | None = None
    ) -> None:
        with self._lock:
            checkout = self.get_checkout(checkout_id)
            changes: dict[str, Any] = {"status": status, "updated_at": clock.now()}
            if reason is not None:
                changes["reason"] = str(reason)
            self.checkouts[checkout_id] = replace(checkout, **changes)

    def release_code(self, checkout_id: str) -> bool:
        with self._lock:
            checkout = self.checkouts.get(checkout_id)
            if checkout is None or checkout.code_state != CodeState.REDEEMED:
                return False
            self.checkouts[checkout_id] = replace(checkout, code_state=CodeState.RELEASED)
            return True

    # ---------- orders ----------
    def get_order(self, order_id: str) -> Order:
        found = self.orders.get(order_id)
        if found is None:
            raise NotFoundError("No such order", details={"order_id": order_id})
        return found

    def orders_of(self, checkout: Checkout) -> list[Order]:
        return [self.orders[i] for i in checkout.order_ids if i in self.orders]

    def move_order(
        self,
        order: Order,
        target: OrderStatus,
        *,
        reason: str | None = None,
        refund: Refund | None = None,
        shipment: Shipment | None = None,
    ) -> tuple[Order, bool]:
        if order.status == target:
            return order, False
        if not can_move(order.status, target):
            raise IllegalTransitionError.between(
                order.status, target, allowed_targets(order.status)
            )
        with self._lock:
            stored = self.get_order(order.order_id)
            if stored.status != order.status:  # the condition on the status read fails
                if stored.status == target:
                    return stored, False
                return self.move_order(
                    stored, target, reason=reason, refund=refund, shipment=shipment
                )
            now = clock.now()
            reason = None if reason is None else str(reason)
            entry = {"from": str(order.status), "to": str(target), "at": clock.iso(now)}
            changes: dict[str, Any] = {
                "status": target,
                "updated_at": now,
                "history": (*stored.history, {**entry, "reason": reason}),
            }
            if reason is not None:
                changes["reason"] = reason
            if refund is not None:
                changes.update(refunded=refund.amount, refunded_at=now, refunded_by=refund.by)
            if shipment is not None:
                changes["shipment"] = shipment
            if target == OrderStatus.DELIVERED:
                changes["delivered_at"] = now
            moved = replace(stored, **changes)
            self.orders[order.order_id] = moved
            return moved, True

    def set_refunded(self, order_id: str, refund: Refund) -> Order:
        with self._lock:
            order = replace(
                self.get_order(order_id),
                refunded=refund.amount,
                refunded_at=clock.now(),
                refunded_by=refund.by,
            )
            self.orders[order_id] = order
            return order

    def record_refund(self, order: Order, *, key: str, refund: Refund) -> tuple[Order, bool]:
        with self._lock:
            stored = self.get_order(order.order_id)
            if key in stored.refund_keys:
                return stored, False
            if stored.status not in REFUNDABLE:
                raise IllegalTransitionError.between(
                    stored.status, OrderStatus.REFUNDED, allowed_targets(stored.status)
                )
            target = status_after_refund(stored, refund.amount)
            now = clock.now()
            entry = {"from": str(stored.status), "to": str(target), "at": clock.iso(now)}
            changed = replace(
                stored,
                refunded=stored.refunded + refund.amount,
                refunded_at=now,
                refunded_by=refund.by,
                refund_keys=(*stored.refund_keys, key),
                status=target,
                updated_at=now,
                history=(*stored.history, {**entry, "reason": f"refund:{key}"}),
            )
            self.orders[order.order_id] = changed
            return changed, True

    # ---------- returns ----------
    def add_return(self, ret: Return, *, returns_version: int) -> None:
        with self._lock:
            order = self.get_order(ret.order_id)
            if order.returns_version != returns_version:
                raise ReturnsChangedError("Another return of this order was stored meanwhile")
            self.orders[ret.order_id] = replace(order, returns_version=returns_version + 1)
            self.returns[(ret.order_id, ret.return_id)] = ret

    def get_return(self, order_id: str, return_id: str) -> Return:
        found = self.returns.get((order_id, return_id))
        if found is None:
            raise NotFoundError("No such return", details={"return_id": return_id})
        return found

    def returns_of(self, order_id: str) -> list[Return]:
        mine = [r for (oid, _), r in self.returns.items() if oid == order_id]
        return sorted(mine, key=lambda r: r.created_at)

    def move_return(self, ret: Return, target: ReturnStatus, **values: Any) -> tuple[Return, bool]:
        with self._lock:
            stored = self.get_return(ret.order_id, ret.return_id)
            if stored.status != ret.status:
                return stored, False
            moved = replace(stored, status=target, updated_at=clock.now(), **values)
            self.returns[(ret.order_id, ret.return_id)] = moved
            return moved, True

    def restock_return(self, ret: Return, *, with_items: Sequence[dict[str, Any]]) -> None:
        others = [item["Fake"] for item in with_items if "Fake" in item]
        with self._lock:
            stored = self.get_return(ret.order_id, ret.return_id)
            reasons = ["None" if not stored.restocked else ITEM_CONDITION_FAILED]
            reasons += [
                ("None" if "Fake" not in item or item["Fake"][0]() else ITEM_CONDITION_FAILED)
                for item in with_items
            ]
            if ITEM_CONDITION_FAILED in reasons:
                raise TransactionCancelledError(reasons)
            self.returns[(ret.order_id, ret.return_id)] = replace(stored, restocked=True)
            for _, apply in others:
                apply()

    def hold_stock(
        self,
        orders: Sequence[Order],
        *,
        expected: StockState,
        new: StockState,
        with_items: Sequence[dict[str, Any]] = (),
    ) -> None:
        others = [item["Fake"] for item in with_items if "Fake" in item]
        with self._lock:
            reasons = [
                "None"
                if order.order_id in self.orders
                and self.orders[order.order_id].stock_state == expected
                else ITEM_CONDITION_FAILED
                for order in orders
            ]
            reasons += [
                ("None" if "Fake" not in item or item["Fake"][0]() else ITEM_CONDITION_FAILED)
                for item in with_items
            ]
            if ITEM_CONDITION_FAILED in reasons:
                raise TransactionCancelledError(reasons)
            for order in orders:
                self.orders[order.order_id] = replace(self.orders[order.order_id], stock_state=new)
            for _, apply in others:
                apply()

    def _page(
        self, items: list[Any], key: Any, partition: str, limit: int, cursor: str | None
    ) -> Page[Any]:
        start = decode_cursor(cursor)
        if start is not None:
            if start.get("list", {}).get("S") != partition:
                raise BadRequestError("Pagination cursor belongs to another list")
            after = start["after"]["S"]
            items = [item for item in items if key(item) < after]
        page = items[:limit]
        more = None
        if len(page) == limit:
            more = {"list": {"S": partition}, "after": {"S": key(page[-1])}}
        return Page(items=page, next_cursor=encode_cursor(more))

    def user_orders(
        self,
        user_id: str,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Order]:
        mine = [
            o
            for o in self.orders.values()
            if o.user_id == user_id
            and (status is None or o.status == status)
            and _within(_order_key(o), since, until)
        ]
        return self._page(
            _newest_first(mine, _order_key), _order_key, f"USER#{user_id}", limit, cursor
        )

    def shop_orders(
        self,
        shop_id: str,
        *,
        status: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int,
        cursor: str | None,
    ) -> Page[Order]:
        theirs = [
            o
            for o in self.orders.values()
            if o.shop_id == shop_id
            and (status is None or o.status == status)
            and _within(_order_key(o), since, until)
        ]
        return self._page(
            _newest_first(theirs, _order_key), _order_key, f"SHOP#{shop_id}", limit, cursor
        )

    def all_orders(
        self,
        *,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
        shop_id: str | None = None,
    ) -> Page[Order]:
        found = [
            o
            for o in self.orders.values()
            if (status is None or o.status == status)
            and (shop_id is None or o.shop_id == shop_id)
            and _within(_order_key(o), since, until)
        ]
        by_status = f"ORDERS#{status}" if status else "ORDERS"
        partition = f"SHOP#{shop_id}" if shop_id else by_status
        return self._page(_newest_first(found, _order_key), _order_key, partition, limit, cursor)

    # ---------- payments ----------
    def get_payment(self, payment_id: str) -> Payment:
        found = self.payments.get(payment_id)
        if found is None:
            raise NotFoundError("No such payment", details={"payment_id": payment_id})
        return found

    def _change_payment(self, payment_id: str, **changes: Any) -> Payment:
        with self._lock:
            payment = replace(self.get_payment(payment_id), **changes)
            self.payments[payment_id] = payment
            return payment

    def set_task_token(self, payment_id: str, task_token: str) -> Payment:
        return self._change_payment(payment_id, task_token=task_token)

    def set_intent(self, payment_id: str, intent_id: str) -> Payment:
        return self._change_payment(payment_id, intent_id=intent_id)

    def count_provider_attempt(self, payment_id: str) -> Payment:
        with self._lock:
            attempts = self.get_payment(payment_id).provider_attempt + 1
            return self._change_payment(payment_id, provider_attempt=attempts)

    def add_refund(self, payment_id: str, amount: int, key: str) -> tuple[Payment, bool]:
        with self._lock:
            payment = self.get_payment(payment_id)
            if payment.status != PaymentStatus.SUCCEEDED or key in payment.refund_keys:
                return payment, False
            changed = self._change_payment(
                payment_id,
                refunded=payment.refunded + amount,
                refund_keys=(*payment.refund_keys, key),
                updated_at=clock.now(),
            )
            return changed, True

    def move_payment(
        self,
        payment_id: str,
        status: PaymentStatus,
        *,
        expected: frozenset[PaymentStatus],
        **values: Any,
    ) -> tuple[Payment, bool]:
        with self._lock:
            payment = self.get_payment(payment_id)
            if payment.status not in expected:
                return payment, False
            return self._change_payment(
                payment_id, status=status, updated_at=clock.now(), **values
            ), True

    def all_payments(
        self,
        *,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Payment]:
        found = [
            p
            for p in self.payments.values()
            if (status is None or p.status == status) and _within(_payment_key(p), since, until)
        ]
        partition = f"PAYMENTS#{status}" if status else "PAYMENTS"
        return self._page(
            _newest_first(found, _payment_key), _payment_key, partition, limit, cursor
        )

    # ---------- webhook receipts ----------
    def claim_webhook(self, event_id: str, event_type: str) -> bool:
        with self._lock:
            if event_id in self.webhooks:
                return False
            self.webhooks[event_id] = event_type
            return True

    def forget_webhook(self, event_id: str) -> None:
        self.webhooks.pop(event_id, None)

    # ---------- the simulated provider's intents ----------
    def get_intent(self, intent_id: str) -> Intent | None:
        return self.intents.get(intent_id)

    def add_intent(self, intent: Intent) -> Intent:
        with self._lock:
            return self.intents.setdefault(intent.intent_id, intent)

    def move_intent(self, intent_id: str, status: str, **values: Any) -> tuple[Intent | None, bool]:
        with self._lock:
            intent = self.intents.get(intent_id)
            if intent is None or intent.status != "requires_action":
                return intent, False
            moved = replace(intent, status=status, **values)
            self.intents[intent_id] = moved
            return moved, True

    def refund_intent(self, intent_id: str, amount: int, key: str) -> bool:
        with self._lock:
            intent = self.intents.get(intent_id)
            if intent is None or intent.status != "succeeded" or key in intent.refund_keys:
                return False
            self.intents[intent_id] = replace(
                intent, refunded=intent.refunded + amount, refund_keys=(*intent.refund_keys, key)
            )
            return True

    def count_processing_error(self, payment_id: str) -> int:
        with self._lock:
            before = self.processing_errors.get(payment_id, 0)
            self.processing_errors[payment_id] = before + 1
            return before


def _order_key(order: Order) -> str:
    return time_key(order.created_at, order.order_id)


def _payment_key(payment: Payment) -> str:
    return time_key(payment.created_at, payment.payment_id)


def _within(key: str, since: datetime | None, until: datetime | None) -> bool:
    if since and key < clock.iso(since):
        return False
    return not (until and key > clock.iso(until) + "~")


def _typecheck(repository: InMemoryOrdersRepository) -> OrdersRepository:
    return repository  # mypy: the fake is an OrdersRepository


@dataclass
class FakeWorkflow:
    """Executions started, and the answers given to waiting tasks."""

    started: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[str, str, Any]] = field(default_factory=list)
    unavailable: bool = False

    def start(self, name: str, saga_input: dict[str, Any]) -> None:
        if self.unavailable:
            raise DependencyUnavailableError("Checkout is unavailable; try again shortly")
        if name not in {started for started, _ in self.started}:
            self.started.append((name, saga_input))

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        self.answers.append((task_token, "success", output))

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self.answers.append((task_token, "failure", error))


# ---------- factories ----------
def new_checkout(
    lines: dict[str, int] | None = None,
    *,
    user_id: str = "shopper",
    email: str = "shopper@example.com",
    shops: Sequence[str] = ("shop",),
    unit_price: int = 1000,
    status: CheckoutStatus = CheckoutStatus.PENDING,
    reason: str | None = None,
    code: str | None = None,
    key: str | None = None,
    provider: str = "simulated",
    method: str = "4242424242424242",
    created_at: datetime | None = None,
) -> NewCheckout:
    """A checkout, its payment and one PENDING order per shop, each holding ``lines``
    (``{product id: units}``), not stored yet."""
    now = created_at or clock.now()
    checkout_id = new_id()
    orders = []
    for shop_id in shops:
        order_lines = tuple(
            OrderLine(product_id=pid, quantity=qty, title=f"Item {pid}", unit_price=unit_price)
            for pid, qty in (lines or {"p1": 1}).items()
        )
        subtotal = sum(line.quantity * line.unit_price for line in order_lines)
        orders.append(
            Order(
                order_id=new_id(),
                checkout_id=checkout_id,
                user_id=user_id,
                shop_id=shop_id,
                lines=order_lines,
                subtotal=subtotal,
                discount=0,
                total=subtotal,
                currency="USD",
                status=OrderStatus.PENDING,
                created_at=now,
                updated_at=now,
                shipping_address=SHIP_TO,
                contact_email=email,
            )
        )
    amount = sum(order.total for order in orders)
    payment = Payment(
        payment_id=new_id(),
        checkout_id=checkout_id,
        user_id=user_id,
        provider=provider,
        method=method,
        amount=amount,
        currency="USD",
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    checkout = Checkout(
        checkout_id=checkout_id,
        user_id=user_id,
        email=email,
        idempotency_key=key or f"key-{checkout_id}",
        order_ids=tuple(order.order_id for order in orders),
        payment_id=payment.payment_id,
        amount=amount,
        currency="USD",
        status=status,
        reason=reason,
        code=code,
        code_state=CodeState.REDEEMED if code else CodeState.NONE,
        execution_name=execution_name(checkout_id),
        request_hash=f"hash-{checkout_id}",
        created_at=now,
        updated_at=now,
    )
    return NewCheckout(checkout=checkout, payment=payment, orders=tuple(orders))


def stored_checkout(repository: OrdersRepository, *args: Any, **kwargs: Any) -> NewCheckout:
    """``new_checkout(...)`` stored through ``repository``."""
    new = new_checkout(*args, **kwargs)
    repository.add_checkout(new, redemption=None)
    return new
