"""The orders table, seen by the use cases: checkouts, orders, payments, webhook receipts
and the simulated provider's intents. The one place that knows keys, GSI attributes,
conditions and transactions; it takes and returns domain values (``domain.py``).

``get()`` gives the DynamoDB repository (made once); tests swap in the in-memory fake
(``tests/fakes/orders.py``) with ``use(fake)``. Both pass the same contract tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.core import aws, clock
from chalicelib.core.dynamo import (
    TransactionCancelledError,
    condition_failed,
    time_key,
    transact_items,
    transaction,
)
from chalicelib.core.errors import BadRequestError, NotFoundError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.orders import models
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
    ReturnLine,
    ReturnStatus,
    Shipment,
    ShippingAddress,
    StockState,
    allowed_targets,
    can_move,
    status_after_refund,
)
from chalicelib.orders.errors import (
    CheckoutKeyTakenError,
    CodeUseRefusedError,
    IllegalTransitionError,
    ReturnsChangedError,
    TransientStockError,
)

T = TypeVar("T")
THROTTLED = ("ThrottlingException", "ProvisionedThroughputExceededException")


class CodeRedemption(Protocol):
    """One use of a discount code, written in the checkout's transaction (the catalog's)."""

    def write(self, transaction: TransactWrite) -> None: ...


class OrdersRepository(Protocol):
    """What the orders use cases need from storage, in domain terms."""

    # ---------- checkouts ----------
    def checkout_by_key(self, user_id: str, key: str) -> Checkout | None:
        """The checkout the shopper's Idempotency-Key claims, if any."""
        ...

    def get_checkout(self, checkout_id: str) -> Checkout:
        """Raises NotFoundError."""
        ...

    def add_checkout(self, new: NewCheckout, *, redemption: CodeRedemption | None) -> None:
        """Store the key claim, checkout, payment, orders and the code's use at once.

        Raises CheckoutKeyTakenError when the key already claims a checkout,
        CodeUseRefusedError when the code's counters refuse the use.
        """
        ...

    def set_checkout_status(
        self, checkout_id: str, status: CheckoutStatus, reason: str | None = None
    ) -> None: ...

    def release_code(self, checkout_id: str) -> bool:
        """code_state REDEEMED → RELEASED; False when it was not REDEEMED (done already)."""
        ...

    # ---------- orders ----------
    def get_order(self, order_id: str) -> Order:
        """Raises NotFoundError."""
        ...

    def orders_of(self, checkout: Checkout) -> list[Order]: ...

    def move_order(
        self,
        order: Order,
        target: OrderStatus,
        *,
        reason: str | None = None,
        refund: Refund | None = None,
        shipment: Shipment | None = None,
    ) -> tuple[Order, bool]:
        """Move ``order`` to ``target``, conditional on its stored status; (order now, moved).

        ``refund`` is recorded on the order (amount, now, by whom) in the same write, and
        ``shipment`` (SHIPPED); DELIVERED records ``delivered_at`` (now). Not
        moved when it is already ``target`` (a retried step); raises
        IllegalTransitionError when the move is not allowed from the stored status.
        """
        ...

    def set_refunded(self, order_id: str, refund: Refund) -> Order:
        """Record on the order what was given back (amount, now, by whom)."""
        ...

    def record_refund(self, order: Order, *, key: str, refund: Refund) -> tuple[Order, bool]:
        """Add ``refund.amount`` to what the order gave back, once per ``key``, moving it
        to PARTIALLY_REFUNDED or REFUNDED (nothing of the total left), conditional on what
        was read; (order now, recorded now). Raises IllegalTransitionError unless the
        order is DELIVERED or PARTIALLY_REFUNDED."""
        ...

    # ---------- returns ----------
    def add_return(self, ret: Return, *, returns_version: int) -> None:
        """Store a return and move its order's ``returns_version`` on, in one transaction
        conditional on the order still being at ``returns_version`` (the other returns
        it was checked against are still all there are). Raises ReturnsChangedError."""
        ...

    def get_return(self, order_id: str, return_id: str) -> Return:
        """Raises NotFoundError."""
        ...

    def returns_of(self, order_id: str) -> list[Return]:
        """The order's returns, oldest first."""
        ...

    def move_return(self, ret: Return, target: ReturnStatus, **values: Any) -> tuple[Return, bool]:
        """Move a return from its stored status (``ret.status``) to ``target``, setting
        ``values``; (return now, moved). Not moved when the stored status differs."""
        ...

    def restock_return(self, ret: Return, *, with_items: Sequence[dict[str, Any]]) -> None:
        """One transaction: the return's ``restocked`` false → true (first), then
        ``with_items`` (the products' stock). Raises TransactionCancelledError."""
        ...

    def hold_stock(
        self,
        orders: Sequence[Order],
        *,
        expected: StockState,
        new: StockState,
        with_items: Sequence[dict[str, Any]] = (),
    ) -> None:
        """One transaction: every order's stock_state ``expected → new`` (first, in order),
        then ``with_items`` (another table's TransactWriteItems, e.g. the products').

        Raises TransactionCancelledError (one reason per item, in that order), or
        TransientStockError when DynamoDB throttles.
        """
        ...

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
        """The shopper's orders, newest first, created within ``since``..``until``."""
        ...

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
        """The shop's orders, newest first, created within ``since``..``until``."""
        ...

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
        """With ``shop_id``: that shop's orders (its index), ``status`` filtering them."""
        ...

    # ---------- payments ----------
    def get_payment(self, payment_id: str) -> Payment:
        """Raises NotFoundError."""
        ...

    def set_task_token(self, payment_id: str, task_token: str) -> Payment: ...

    def set_intent(self, payment_id: str, intent_id: str) -> Payment: ...

    def count_provider_attempt(self, payment_id: str) -> Payment:
        """One more provider attempt (the next one uses a new idempotency key)."""
        ...

    def add_refund(self, payment_id: str, amount: int, key: str) -> tuple[Payment, bool]:
        """Count ``amount`` refunded on a SUCCEEDED payment once per ``key``;
        (payment now, counted)."""
        ...

    def move_payment(
        self,
        payment_id: str,
        status: PaymentStatus,
        *,
        expected: frozenset[PaymentStatus],
        **values: Any,
    ) -> tuple[Payment, bool]:
        """Move the payment to ``status`` if it is in ``expected``, setting ``values``
        (None removes one); (payment now, moved)."""
        ...

    def all_payments(
        self,
        *,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Payment]: ...

    # ---------- webhook receipts ----------
    def claim_webhook(self, event_id: str, event_type: str) -> bool:
        """Record a provider event as received; False when it was already."""
        ...

    def forget_webhook(self, event_id: str) -> None: ...

    # ---------- the simulated provider's intents ----------
    def get_intent(self, intent_id: str) -> Intent | None: ...

    def add_intent(self, intent: Intent) -> Intent:
        """Store ``intent`` unless its id exists; the stored one either way."""
        ...

    def move_intent(self, intent_id: str, status: str, **values: Any) -> tuple[Intent | None, bool]:
        """An intent waiting for the shopper (``requires_action``) → ``status``, setting
        ``values`` (None removes one); (intent now, moved)."""
        ...

    def refund_intent(self, intent_id: str, amount: int, key: str) -> bool:
        """Add ``amount`` refunded to a succeeded intent once per ``key``."""
        ...

    def count_processing_error(self, payment_id: str) -> int:
        """Count one processing error for a payment; how many there were before."""
        ...


# ---------- item ⇄ domain ----------
def _line_entry(line: OrderLine) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "product_id": line.product_id,
        "title": line.title,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
    }
    for name in ("sku", "color", "size"):
        if getattr(line, name) is not None:
            entry[name] = getattr(line, name)
    return entry


def _return(item: models.Return) -> Return:
    return Return(
        return_id=item.return_id,
        order_id=item.order_id,
        shop_id=item.shop_id,
        user_id=item.user_id,
        lines=tuple(
            ReturnLine(
                product_id=str(line["product_id"]),
                quantity=int(line["quantity"]),
                sku=line.get("sku"),
            )
            for line in item.lines
        ),
        reason=item.reason,
        amount=int(item.amount),
        currency=item.currency,
        status=ReturnStatus(item.status),
        decision_reason=item.decision_reason,
        decided_by=item.decided_by,
        decided_at=item.decided_at,
        restock=bool(item.restock),
        restocked=bool(item.restocked),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _shipment(stored: dict[str, Any] | None) -> Shipment | None:
    if not stored:
        return None
    return Shipment(
        carrier=str(stored["carrier"]),
        tracking_number=str(stored["tracking_number"]),
        tracking_url=stored.get("tracking_url"),
        shipped_at=clock.parse(str(stored["shipped_at"])),
    )


def _shipment_item(shipment: Shipment | None) -> dict[str, Any] | None:
    if shipment is None:
        return None
    return {**asdict(shipment), "shipped_at": clock.iso(shipment.shipped_at)}


def _address(stored: dict[str, Any] | None) -> ShippingAddress | None:
    if not stored:
        return None
    return ShippingAddress(
        name=str(stored["name"]),
        line1=str(stored["line1"]),
        line2=stored.get("line2"),
        city=str(stored["city"]),
        region=stored.get("region"),
        postal_code=str(stored["postal_code"]),
        country=str(stored["country"]),
        phone=stored.get("phone"),
    )


def _order(item: models.Order) -> Order:
    return Order(
        order_id=item.order_id,
        checkout_id=item.checkout_id,
        user_id=item.user_id,
        shop_id=item.shop_id,
        lines=tuple(
            OrderLine(
                product_id=str(line["product_id"]),
                quantity=int(line["quantity"]),
                title=str(line.get("title") or ""),
                unit_price=int(line.get("unit_price") or 0),
                sku=line.get("sku"),
                color=line.get("color"),
                size=line.get("size"),
            )
            for line in item.lines
        ),
        subtotal=int(item.subtotal),
        discount=int(item.discount or 0),
        total=int(item.total),
        refunded=int(item.refunded or 0),
        refunded_at=item.refunded_at,
        refunded_by=item.refunded_by,
        currency=item.currency,
        status=OrderStatus(item.status),
        reason=item.reason,
        stock_state=StockState(item.stock_state or StockState.NONE),
        history=tuple(dict(entry) for entry in (item.history or [])),
        refund_keys=tuple(str(key) for key in item.refund_keys or ()),
        returns_version=int(item.returns_version or 0),
        shipping_address=_address(item.shipping_address),
        contact_email=item.contact_email,
        shipment=_shipment(item.shipment),
        delivered_at=item.delivered_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _order_item(order: Order) -> models.Order:
    key = time_key(order.created_at, order.order_id)
    return models.Order(
        pk=models.order_pk(order.order_id),
        order_id=order.order_id,
        checkout_id=order.checkout_id,
        user_id=order.user_id,
        shop_id=order.shop_id,
        lines=[_line_entry(line) for line in order.lines],
        subtotal=order.subtotal,
        discount=order.discount,
        total=order.total,
        refunded=order.refunded,
        refunded_at=order.refunded_at,
        refunded_by=order.refunded_by,
        currency=order.currency,
        status=str(order.status),
        reason=order.reason,
        stock_state=str(order.stock_state),
        history=list(order.history),
        refund_keys=list(order.refund_keys),
        returns_version=order.returns_version,
        shipping_address=asdict(order.shipping_address) if order.shipping_address else None,
        contact_email=order.contact_email,
        shipment=_shipment_item(order.shipment),
        delivered_at=order.delivered_at,
        created_at=order.created_at,
        updated_at=order.updated_at,
        gsi1pk=models.user_orders_pk(order.user_id),
        gsi1sk=key,
        gsi2pk=models.shop_orders_pk(order.shop_id),
        gsi2sk=key,
        gsi3pk=models.orders_by_status_pk(str(order.status)),
        gsi3sk=key,
        gsi4pk=models.ALL_ORDERS,
        gsi4sk=key,
    )


def _checkout(item: models.Checkout) -> Checkout:
    return Checkout(
        checkout_id=item.checkout_id,
        user_id=item.user_id,
        email=item.email,
        idempotency_key=item.idempotency_key,
        order_ids=tuple(item.order_ids or ()),
        payment_id=item.payment_id,
        amount=int(item.amount),
        currency=item.currency,
        status=CheckoutStatus(item.status),
        reason=item.reason,
        code=item.code,
        code_state=CodeState(item.code_state or CodeState.NONE),
        execution_name=item.execution_name,
        faults=item.faults,
        request_hash=item.request_hash,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _checkout_item(checkout: Checkout) -> models.Checkout:
    return models.Checkout(
        pk=models.checkout_pk(checkout.checkout_id),
        checkout_id=checkout.checkout_id,
        user_id=checkout.user_id,
        email=checkout.email,
        idempotency_key=checkout.idempotency_key,
        order_ids=list(checkout.order_ids),
        payment_id=checkout.payment_id,
        amount=checkout.amount,
        currency=checkout.currency,
        status=str(checkout.status),
        reason=checkout.reason,
        code=checkout.code,
        code_state=str(checkout.code_state),
        execution_name=checkout.execution_name,
        faults=checkout.faults,
        request_hash=checkout.request_hash,
        created_at=checkout.created_at,
        updated_at=checkout.updated_at,
    )


def _refund_actions(refund: Refund, now: datetime) -> list[Action]:
    return [
        models.Order.refunded.set(refund.amount),
        models.Order.refunded_at.set(now),
        models.Order.refunded_by.set(refund.by),
    ]


def _payment(item: models.Payment) -> Payment:
    return Payment(
        payment_id=item.payment_id,
        checkout_id=item.checkout_id,
        user_id=item.user_id,
        provider=item.provider,
        method=item.method,
        amount=int(item.amount),
        currency=item.currency,
        status=PaymentStatus(item.status),
        failure_code=item.failure_code,
        intent_id=item.intent_id,
        next_action=item.next_action,
        task_token=item.task_token,
        provider_attempt=int(item.provider_attempt or 0),
        refunded=int(item.refunded or 0),
        refund_keys=tuple(str(key) for key in item.refund_keys or ()),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _payment_item(payment: Payment) -> models.Payment:
    key = time_key(payment.created_at, payment.payment_id)
    return models.Payment(
        pk=models.payment_pk(payment.payment_id),
        payment_id=payment.payment_id,
        checkout_id=payment.checkout_id,
        user_id=payment.user_id,
        provider=payment.provider,
        method=payment.method,
        amount=payment.amount,
        currency=payment.currency,
        status=str(payment.status),
        failure_code=payment.failure_code,
        intent_id=payment.intent_id,
        next_action=payment.next_action,
        task_token=payment.task_token,
        provider_attempt=payment.provider_attempt,
        refunded=payment.refunded,
        refund_keys=list(payment.refund_keys),
        created_at=payment.created_at,
        updated_at=payment.updated_at,
        gsi3pk=models.payments_by_status_pk(str(payment.status)),
        gsi3sk=key,
        gsi4pk=models.ALL_PAYMENTS,
        gsi4sk=key,
    )


def _intent(item: models.SimulatedIntent) -> Intent:
    return Intent(
        intent_id=item.intent_id,
        amount=int(item.amount),
        currency=item.currency,
        status=item.status,
        failure_code=item.failure_code,
        captured=int(item.captured or 0),
        refunded=int(item.refunded or 0),
        metadata=dict(item.metadata or {}),
        refund_keys=tuple(item.refund_keys or ()),
        created_at=item.created_at,
    )


def _set_or_remove(model: Any, values: dict[str, Any]) -> list[Action]:
    actions: list[Action] = []
    for name, value in values.items():
        attribute = getattr(model, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _page(results: Any, limit: int, convert: Callable[[Any], T]) -> Page[T]:
    items = [convert(item) for item in results]
    more = results.last_evaluated_key if len(items) == limit else None
    return Page(items=items, next_cursor=encode_cursor(more))


def _start(cursor: str | None, key: str, partition: str) -> dict[str, Any] | None:
    start = decode_cursor(cursor)
    if start is not None and start.get(key, {}).get("S") != partition:
        raise BadRequestError("Pagination cursor belongs to another list")
    return start


def _range(attribute: Any, since: datetime | None, until: datetime | None) -> Any:
    if since and until:
        return attribute.between(clock.iso(since), clock.iso(until) + "~")
    if since:
        return attribute >= clock.iso(since)
    if until:
        return attribute <= clock.iso(until) + "~"
    return None


class DynamoOrdersRepository:
    """The orders table on DynamoDB (one table, four GSIs; nothing Scans)."""

    # ---------- checkouts ----------
    def checkout_by_key(self, user_id: str, key: str) -> Checkout | None:
        try:
            claim = models.CheckoutKey.get(
                models.checkout_key_pk(user_id, key), models.KEY_SK, consistent_read=True
            )
        except models.CheckoutKey.DoesNotExist:
            return None
        return self.get_checkout(claim.checkout_id)

    def get_checkout(self, checkout_id: str) -> Checkout:
        try:
            item = models.Checkout.get(
                models.checkout_pk(checkout_id), models.CHECKOUT_SK, consistent_read=True
            )
        except models.Checkout.DoesNotExist:
            raise NotFoundError("No such checkout", details={"checkout_id": checkout_id}) from None
        return _checkout(item)

    def add_checkout(self, new: NewCheckout, *, redemption: CodeRedemption | None) -> None:
        checkout = new.checkout
        claim = models.CheckoutKey(
            pk=models.checkout_key_pk(checkout.user_id, checkout.idempotency_key),
            checkout_id=checkout.checkout_id,
            created_at=checkout.created_at,
        )
        try:
            with transaction() as writer:
                # pynamodb sends puts before updates: the claim first, the code's counters last.
                writer.save(claim, condition=models.CheckoutKey.pk.does_not_exist())
                writer.save(_checkout_item(checkout))
                writer.save(_payment_item(new.payment))
                for order in new.orders:
                    writer.save(_order_item(order))
                if redemption is not None:
                    redemption.write(writer)  # the code's two counters
        except TransactionCancelledError as error:
            if error.failed(0):
                raise CheckoutKeyTakenError("This Idempotency-Key claims a checkout") from None
            last = len(error.reasons) - 1
            if redemption is not None and (error.failed(last) or error.failed(last - 1)):
                raise CodeUseRefusedError("The code's use was refused") from None
            raise

    def set_checkout_status(
        self, checkout_id: str, status: CheckoutStatus, reason: str | None = None
    ) -> None:
        actions: list[Action] = [
            models.Checkout.status.set(str(status)),
            models.Checkout.updated_at.set(clock.now()),
        ]
        if reason is not None:
            actions.append(models.Checkout.reason.set(str(reason)))
        models.Checkout(pk=models.checkout_pk(checkout_id), sk=models.CHECKOUT_SK).update(
            actions=actions
        )

    def release_code(self, checkout_id: str) -> bool:
        item = models.Checkout(pk=models.checkout_pk(checkout_id), sk=models.CHECKOUT_SK)
        try:
            item.update(
                actions=[models.Checkout.code_state.set(str(CodeState.RELEASED))],
                condition=models.Checkout.code_state == str(CodeState.REDEEMED),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    # ---------- orders ----------
    def get_order(self, order_id: str) -> Order:
        try:
            item = models.Order.get(
                models.order_pk(order_id), models.ORDER_SK, consistent_read=True
            )
        except models.Order.DoesNotExist:
            raise NotFoundError("No such order", details={"order_id": order_id}) from None
        return _order(item)

    def orders_of(self, checkout: Checkout) -> list[Order]:
        keys = [(models.order_pk(order_id), models.ORDER_SK) for order_id in checkout.order_ids]
        found = {
            item.order_id: _order(item)
            for item in models.Order.batch_get(keys, consistent_read=True)
        }
        return [found[order_id] for order_id in checkout.order_ids if order_id in found]

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
        now = clock.now()
        reason = None if reason is None else str(reason)  # a StrEnum is stored as its value
        entry: dict[str, str | None] = {
            "from": str(order.status),
            "to": str(target),
            "at": clock.iso(now),
            "reason": reason,
        }
        item = models.Order(pk=models.order_pk(order.order_id), sk=models.ORDER_SK)
        actions: list[Action] = [
            models.Order.status.set(str(target)),
            models.Order.gsi3pk.set(models.orders_by_status_pk(str(target))),
            models.Order.updated_at.set(now),
            models.Order.history.set(models.Order.history.append([entry])),
        ]
        if reason is not None:
            actions.append(models.Order.reason.set(reason))
        if refund is not None:
            actions += _refund_actions(refund, now)
        if shipment is not None:
            actions.append(models.Order.shipment.set(_shipment_item(shipment)))
        if target == OrderStatus.DELIVERED:
            actions.append(models.Order.delivered_at.set(now))
        try:
            item.update(actions=actions, condition=models.Order.status == str(order.status))
        except UpdateError as error:
            if not condition_failed(error):
                raise
            fresh = self.get_order(order.order_id)
            if fresh.status == target:
                return fresh, False
            return self.move_order(fresh, target, reason=reason, refund=refund, shipment=shipment)
        return _order(item), True

    def set_refunded(self, order_id: str, refund: Refund) -> Order:
        item = models.Order(pk=models.order_pk(order_id), sk=models.ORDER_SK)
        item.update(actions=_refund_actions(refund, clock.now()))
        return _order(item)

    def record_refund(self, order: Order, *, key: str, refund: Refund) -> tuple[Order, bool]:
        for _ in range(20):  # bounded: each pass lost to another refund of the same order
            if key in order.refund_keys:
                return order, False
            if order.status not in REFUNDABLE:
                raise IllegalTransitionError.between(
                    order.status, OrderStatus.REFUNDED, allowed_targets(order.status)
                )
            target = status_after_refund(order, refund.amount)
            now = clock.now()
            entry = {"from": str(order.status), "to": str(target), "at": clock.iso(now)}
            keys = models.Order.refund_keys
            actions: list[Action] = [
                *_refund_actions(Refund(order.refunded + refund.amount, refund.by), now),
                keys.set((keys | []).append([key])),
                models.Order.status.set(str(target)),
                models.Order.gsi3pk.set(models.orders_by_status_pk(str(target))),
                models.Order.updated_at.set(now),
                models.Order.history.set(
                    models.Order.history.append([{**entry, "reason": f"refund:{key}"}])
                ),
            ]
            item = models.Order(pk=models.order_pk(order.order_id), sk=models.ORDER_SK)
            try:
                item.update(
                    actions=actions,
                    condition=(models.Order.status == str(order.status))
                    & (models.Order.refunded == order.refunded)
                    & ~keys.contains(key),
                )
            except UpdateError as error:
                if not condition_failed(error):
                    raise
                order = self.get_order(order.order_id)
                continue
            return _order(item), True
        raise TransientStockError("The order keeps changing; try again")

    # ---------- returns ----------
    def add_return(self, ret: Return, *, returns_version: int) -> None:
        order = models.Order(pk=models.order_pk(ret.order_id), sk=models.ORDER_SK)
        version = models.Order.returns_version
        unchanged = version == returns_version
        if returns_version == 0:
            unchanged = version.does_not_exist() | unchanged
        item = models.Return(
            pk=models.order_pk(ret.order_id),
            sk=models.return_sk(ret.return_id),
            return_id=ret.return_id,
            order_id=ret.order_id,
            shop_id=ret.shop_id,
            user_id=ret.user_id,
            lines=[asdict(line) for line in ret.lines],
            reason=ret.reason,
            amount=ret.amount,
            currency=ret.currency,
            status=str(ret.status),
            decision_reason=ret.decision_reason,
            decided_by=ret.decided_by,
            decided_at=ret.decided_at,
            restock=ret.restock,
            restocked=ret.restocked,
            created_at=ret.created_at,
            updated_at=ret.updated_at,
        )
        try:
            with transaction() as writer:
                writer.save(item, condition=models.Return.pk.does_not_exist())
                writer.update(
                    order,
                    actions=[version.set(returns_version + 1)],
                    condition=models.Order.pk.exists() & unchanged,
                )
        except TransactionCancelledError:
            raise ReturnsChangedError("Another return of this order was stored meanwhile") from None

    def get_return(self, order_id: str, return_id: str) -> Return:
        try:
            item = models.Return.get(
                models.order_pk(order_id), models.return_sk(return_id), consistent_read=True
            )
        except models.Return.DoesNotExist:
            raise NotFoundError("No such return", details={"return_id": return_id}) from None
        return _return(item)

    def returns_of(self, order_id: str) -> list[Return]:
        found = models.Return.query(
            models.order_pk(order_id),
            models.Return.sk.startswith(models.RETURN_PREFIX),
            consistent_read=True,
        )
        return sorted((_return(item) for item in found), key=lambda r: r.created_at)

    def move_return(self, ret: Return, target: ReturnStatus, **values: Any) -> tuple[Return, bool]:
        item = models.Return(pk=models.order_pk(ret.order_id), sk=models.return_sk(ret.return_id))
        actions: list[Action] = [
            models.Return.status.set(str(target)),
            models.Return.updated_at.set(clock.now()),
            *_set_or_remove(models.Return, values),
        ]
        try:
            item.update(actions=actions, condition=models.Return.status == str(ret.status))
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return self.get_return(ret.order_id, ret.return_id), False
        return _return(item), True

    def restock_return(self, ret: Return, *, with_items: Sequence[dict[str, Any]]) -> None:
        flag: dict[str, Any] = {
            "Update": {
                "TableName": get_settings().orders_table,
                "Key": {
                    "pk": {"S": models.order_pk(ret.order_id)},
                    "sk": {"S": models.return_sk(ret.return_id)},
                },
                "UpdateExpression": "SET restocked = :yes",
                "ConditionExpression": "restocked = :no",
                "ExpressionAttributeValues": {":yes": {"BOOL": True}, ":no": {"BOOL": False}},
            }
        }
        try:
            transact_items([flag, *with_items])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in THROTTLED:
                raise TransientStockError("Stock is busy; try again") from None
            raise

    def hold_stock(
        self,
        orders: Sequence[Order],
        *,
        expected: StockState,
        new: StockState,
        with_items: Sequence[dict[str, Any]] = (),
    ) -> None:
        table = get_settings().orders_table
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": table,
                    "Key": {
                        "pk": {"S": models.order_pk(order.order_id)},
                        "sk": {"S": models.ORDER_SK},
                    },
                    "UpdateExpression": "SET stock_state = :new",
                    "ConditionExpression": "stock_state = :expected",
                    "ExpressionAttributeValues": {
                        ":new": {"S": str(new)},
                        ":expected": {"S": str(expected)},
                    },
                }
            }
            for order in orders
        ]
        try:
            transact_items([*items, *with_items])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in THROTTLED:
                raise TransientStockError("Stock is busy; try again") from None
            raise

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
        # A Query of the user's own partition (the dates are its sort key's range); the
        # status filter reads only that partition.
        partition = models.user_orders_pk(user_id)
        return _page(
            models.Order.by_user.query(
                partition,
                _range(models.Order.gsi1sk, since, until),
                scan_index_forward=False,
                limit=limit,
                filter_condition=(models.Order.status == status) if status else None,
                last_evaluated_key=_start(cursor, "gsi1pk", partition),
            ),
            limit,
            _order,
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
        partition = models.shop_orders_pk(shop_id)
        return _page(
            models.Order.by_shop.query(
                partition,
                _range(models.Order.gsi2sk, since, until),
                scan_index_forward=False,
                limit=limit,
                filter_condition=(models.Order.status == status) if status else None,
                last_evaluated_key=_start(cursor, "gsi2pk", partition),
            ),
            limit,
            _order,
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
        if shop_id:
            # One shop's partition (gsi2, sorted by created#id like the others); a status
            # filter reads only that shop's orders.
            partition = models.shop_orders_pk(shop_id)
            return _page(
                models.Order.by_shop.query(
                    partition,
                    _range(models.Order.gsi2sk, since, until),
                    scan_index_forward=False,
                    limit=limit,
                    filter_condition=(models.Order.status == status) if status else None,
                    last_evaluated_key=_start(cursor, "gsi2pk", partition),
                ),
                limit,
                _order,
            )
        status_pk = models.orders_by_status_pk(status) if status else None
        return _list_all(
            models.Order, status_pk, models.ALL_ORDERS, since, until, limit, cursor, _order
        )

    # ---------- payments ----------
    def get_payment(self, payment_id: str) -> Payment:
        try:
            item = models.Payment.get(
                models.payment_pk(payment_id), models.PAYMENT_SK, consistent_read=True
            )
        except models.Payment.DoesNotExist:
            raise NotFoundError("No such payment", details={"payment_id": payment_id}) from None
        return _payment(item)

    def _update_payment(self, payment_id: str, actions: list[Action]) -> Payment:
        item = models.Payment(pk=models.payment_pk(payment_id), sk=models.PAYMENT_SK)
        item.update(actions=actions)
        return _payment(item)

    def set_task_token(self, payment_id: str, task_token: str) -> Payment:
        return self._update_payment(payment_id, [models.Payment.task_token.set(task_token)])

    def set_intent(self, payment_id: str, intent_id: str) -> Payment:
        return self._update_payment(payment_id, [models.Payment.intent_id.set(intent_id)])

    def count_provider_attempt(self, payment_id: str) -> Payment:
        return self._update_payment(payment_id, [models.Payment.provider_attempt.add(1)])

    def add_refund(self, payment_id: str, amount: int, key: str) -> tuple[Payment, bool]:
        item = models.Payment(pk=models.payment_pk(payment_id), sk=models.PAYMENT_SK)
        refund_keys = models.Payment.refund_keys
        try:
            item.update(
                actions=[
                    models.Payment.refunded.add(amount),
                    refund_keys.set(refund_keys.append([key])),
                    models.Payment.updated_at.set(clock.now()),
                ],
                condition=(models.Payment.status == str(PaymentStatus.SUCCEEDED))
                & ~refund_keys.contains(key),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return self.get_payment(payment_id), False
        return _payment(item), True

    def move_payment(
        self,
        payment_id: str,
        status: PaymentStatus,
        *,
        expected: frozenset[PaymentStatus],
        **values: Any,
    ) -> tuple[Payment, bool]:
        item = models.Payment(pk=models.payment_pk(payment_id), sk=models.PAYMENT_SK)
        actions: list[Action] = [
            models.Payment.status.set(str(status)),
            models.Payment.gsi3pk.set(models.payments_by_status_pk(str(status))),
            models.Payment.updated_at.set(clock.now()),
            *_set_or_remove(models.Payment, values),
        ]
        try:
            item.update(
                actions=actions,
                condition=models.Payment.status.is_in(*sorted(str(s) for s in expected)),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return self.get_payment(payment_id), False
        return _payment(item), True

    def all_payments(
        self,
        *,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Payment]:
        status_pk = models.payments_by_status_pk(status) if status else None
        return _list_all(
            models.Payment, status_pk, models.ALL_PAYMENTS, since, until, limit, cursor, _payment
        )

    # ---------- webhook receipts ----------
    def claim_webhook(self, event_id: str, event_type: str) -> bool:
        receipt = models.WebhookReceipt(
            pk=models.webhook_pk(event_id), event_type=event_type, received_at=clock.now()
        )
        try:
            receipt.save(condition=models.WebhookReceipt.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    def forget_webhook(self, event_id: str) -> None:
        models.WebhookReceipt(pk=models.webhook_pk(event_id)).delete()

    # ---------- the simulated provider's intents ----------
    def get_intent(self, intent_id: str) -> Intent | None:
        try:
            item = models.SimulatedIntent.get(
                models.intent_pk(intent_id), models.INTENT_SK, consistent_read=True
            )
        except models.SimulatedIntent.DoesNotExist:
            return None
        return _intent(item)

    def add_intent(self, intent: Intent) -> Intent:
        item = models.SimulatedIntent(
            pk=models.intent_pk(intent.intent_id),
            intent_id=intent.intent_id,
            amount=intent.amount,
            currency=intent.currency,
            status=intent.status,
            failure_code=intent.failure_code,
            captured=intent.captured,
            refunded=intent.refunded,
            metadata=dict(intent.metadata),
            refund_keys=list(intent.refund_keys),
            created_at=intent.created_at,
        )
        try:
            item.save(condition=models.SimulatedIntent.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
            found = self.get_intent(intent.intent_id)
            assert found is not None
            return found
        return intent

    def move_intent(self, intent_id: str, status: str, **values: Any) -> tuple[Intent | None, bool]:
        item = models.SimulatedIntent(pk=models.intent_pk(intent_id), sk=models.INTENT_SK)
        try:
            item.update(
                actions=[
                    models.SimulatedIntent.status.set(status),
                    *_set_or_remove(models.SimulatedIntent, values),
                ],
                condition=models.SimulatedIntent.status == "requires_action",
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return self.get_intent(intent_id), False
        return _intent(item), True

    def refund_intent(self, intent_id: str, amount: int, key: str) -> bool:
        item = models.SimulatedIntent(pk=models.intent_pk(intent_id), sk=models.INTENT_SK)
        refund_keys = models.SimulatedIntent.refund_keys
        try:
            item.update(
                actions=[
                    models.SimulatedIntent.refunded.add(amount),
                    refund_keys.set(refund_keys.append([key])),
                ],
                condition=(models.SimulatedIntent.status == "succeeded")
                & ~refund_keys.contains(key),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    def count_processing_error(self, payment_id: str) -> int:
        result = aws.client("dynamodb").update_item(
            TableName=get_settings().orders_table,
            Key={
                "pk": {"S": models.processing_errors_pk(payment_id)},
                "sk": {"S": models.COUNT_SK},
            },
            UpdateExpression="ADD errors :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_OLD",
        )
        return int(result.get("Attributes", {}).get("errors", {}).get("N", "0"))


def _list_all(
    model: Any,
    status_pk: str | None,
    all_pk: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    convert: Callable[[Any], T],
) -> Page[T]:
    """One status partition (gsi3) or everything (gsi4) of a model, newest first."""
    if status_pk:
        partition, index, key = status_pk, model.by_status, "gsi3pk"
        condition = _range(model.gsi3sk, since, until)
    else:
        partition, index, key = all_pk, model.everything, "gsi4pk"
        condition = _range(model.gsi4sk, since, until)
    return _page(
        index.query(
            partition,
            condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=_start(cursor, key, partition),
        ),
        limit,
        convert,
    )


_repository: OrdersRepository | None = None


def get() -> OrdersRepository:
    """The repository the use cases use: DynamoDB unless a test swapped in a fake."""
    global _repository
    if _repository is None:
        _repository = DynamoOrdersRepository()
    return _repository


def use(repository: OrdersRepository | None) -> None:
    """Swap the repository (tests: the in-memory fake); None goes back to DynamoDB."""
    global _repository
    _repository = repository
