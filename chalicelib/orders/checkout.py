"""Checkout: a shopper's cart becomes PENDING orders (one per shop), one payment, a saga.

Prices, stock problems and the discount code are re-read from the catalog here (the
cart service prices every line live); the code's use is counted in the same transaction
that stores the checkout (its limits hold under races; no use is counted without a
checkout) and given back if the saga cancels. An ``Idempotency-Key`` claims the
checkout: the same key from the same shopper returns the same checkout, never a second
order or charge. The saga execution is named after the checkout id, so a repeated start
is refused by Step Functions itself.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.cart import service as cart_service
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.catalog.service import discounts
from chalicelib.core import aws, clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import (
    DependencyUnavailableError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.orders import payments, publishing, repository
from chalicelib.orders.errors import CheckoutNotReadyError
from chalicelib.orders.events import CheckoutStarted, OrderCreated, OrderLineData
from chalicelib.orders.models import (
    ALL_ORDERS,
    Checkout,
    CheckoutKey,
    Order,
    checkout_key_pk,
    checkout_pk,
    order_pk,
    orders_by_status_pk,
    shop_orders_pk,
    user_orders_pk,
)
from chalicelib.orders.providers import HOSTED_CHECKOUT, TEST_CARDS, normalize_card

_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,128}$")
_PAYMENT_METHOD = re.compile(r"^pm_[A-Za-z0-9_]{1,60}$")


@dataclass(frozen=True)
class Shopper:
    """Who checks out."""

    account_id: str
    role: str
    email: str


def execution_name(checkout_id: str) -> str:
    return f"checkout-{checkout_id}"


def _check_key(key: str | None) -> str:
    if not key or not _KEY.match(key):
        raise ValidationFailedError(
            "Send an Idempotency-Key header (8-128 letters, digits, '-', '_', ':' or '.')",
            details=[{"field": "Idempotency-Key", "message": "required", "type": "missing"}],
        )
    return key


def _check_method(method: str) -> str:
    if get_settings().payments_provider == "stripe":
        if method != HOSTED_CHECKOUT and not _PAYMENT_METHOD.match(method):
            raise ValidationFailedError(
                "payment_method must be a Stripe PaymentMethod id (pm_...) or "
                f"{HOSTED_CHECKOUT!r} for Stripe's hosted checkout page",
                details=[{"field": "payment_method", "message": "not a Stripe method"}],
            )
        return method
    card = normalize_card(method)
    if card not in TEST_CARDS:
        raise ValidationFailedError(
            "The simulated provider accepts Stripe's test cards only",
            details={"cards": sorted(TEST_CARDS)},
        )
    return card


def _existing(user_id: str, key: str) -> Checkout | None:
    try:
        claim = CheckoutKey.get(checkout_key_pk(user_id, key), "KEY", consistent_read=True)
    except CheckoutKey.DoesNotExist:
        return None
    return repository.get_checkout(claim.checkout_id)


def get_checkout_for(user_id: str, checkout_id: str, *, is_admin: bool = False) -> Checkout:
    checkout = repository.get_checkout(checkout_id)
    if checkout.user_id != user_id and not is_admin:
        raise NotFoundError("No such checkout", details={"checkout_id": checkout_id})
    return checkout


def place(
    shopper: Shopper,
    *,
    idempotency_key: str | None,
    payment_method: str,
    fault_plan: dict[str, Any] | None = None,
) -> tuple[Checkout, bool]:
    """Check out the shopper's cart; (checkout, created now). Same key → same checkout.

    Raises CheckoutNotReadyError (409) for an empty cart or a line with a problem,
    DiscountRejectedError (422) when the code no longer applies.
    """
    key = _check_key(idempotency_key)
    found = _existing(shopper.account_id, key)
    if found is not None:
        if found.status == "PENDING":
            _start_saga(found)  # the first request may have died before starting it
        return found, False
    if shopper.role != "user" and shopper.role != "admin":
        raise ForbiddenError("Sellers check out with a shopper account")
    method = _check_method(payment_method)
    actor = Caller(account_id=shopper.account_id, role=Role(shopper.role))
    cart = cart_service.get_cart(actor)
    # Stock problems are left to the reservation (the source of truth, also under races):
    # the saga cancels with OUT_OF_STOCK. Lines that cannot be bought at all block here.
    blocked = [line for line in cart.lines if not line.available]
    if not cart.lines or blocked:
        raise CheckoutNotReadyError(
            "Your cart is empty" if not cart.lines else "Some cart lines cannot be bought",
            details={
                "problems": [{"product_id": b.product_id, "problem": b.problem} for b in blocked]
            },
        )
    subtotals: dict[str, int] = {}
    for line in cart.lines:
        assert line.shop_id is not None
        subtotals[line.shop_id] = subtotals.get(line.shop_id, 0) + line.unit_price * line.quantity
    try:
        redemption = None
        if cart.code:
            redemption = discounts.prepare_redemption(
                cart.code, user_id=shopper.account_id, shop_subtotals=subtotals
            )
        checkout = _store(shopper, key, method, cart, redemption, fault_plan)
    except (_KeyTaken, DiscountRejectedError):
        again = _existing(shopper.account_id, key)  # a double submit won the race
        if again is None:
            raise
        return again, False
    _start(checkout)
    return checkout, True


class _KeyTaken(Exception):
    pass


def _store(
    shopper: Shopper,
    key: str,
    method: str,
    cart: cart_service.PricedCart,
    redemption: discounts.Redemption | None,
    fault_plan: dict[str, Any] | None,
) -> Checkout:
    """Write the claim, checkout, payment, orders and the code's use in one transaction."""
    applied = redemption.applied if redemption else None
    now = clock.now()
    checkout_id = uuid.uuid4().hex
    payment_id = uuid.uuid4().hex
    by_shop: dict[str, list[cart_service.PricedLine]] = {}
    for line in cart.lines:
        assert line.shop_id is not None
        by_shop.setdefault(line.shop_id, []).append(line)
    orders: list[Order] = []
    for shop_id, lines in by_shop.items():
        order_id = uuid.uuid4().hex
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        discount = applied.amount if applied and applied.shop_id == shop_id else 0
        key_sort = repository.sort_key(now, order_id)
        orders.append(
            Order(
                pk=order_pk(order_id),
                order_id=order_id,
                checkout_id=checkout_id,
                user_id=shopper.account_id,
                shop_id=shop_id,
                lines=[
                    {
                        "product_id": line.product_id,
                        "title": line.title or "",
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                    }
                    for line in lines
                ],
                subtotal=subtotal,
                discount=discount,
                total=subtotal - discount,
                currency=cart.currency,
                status="PENDING",
                history=[],
                created_at=now,
                updated_at=now,
                gsi1pk=user_orders_pk(shopper.account_id),
                gsi1sk=key_sort,
                gsi2pk=shop_orders_pk(shop_id),
                gsi2sk=key_sort,
                gsi3pk=orders_by_status_pk("PENDING"),
                gsi3sk=key_sort,
                gsi4pk=ALL_ORDERS,
                gsi4sk=key_sort,
            )
        )
    amount = sum(int(order.total) for order in orders)
    checkout = Checkout(
        pk=checkout_pk(checkout_id),
        checkout_id=checkout_id,
        user_id=shopper.account_id,
        email=shopper.email,
        idempotency_key=key,
        order_ids=[order.order_id for order in orders],
        payment_id=payment_id,
        amount=amount,
        currency=cart.currency,
        status="PENDING",
        code=applied.code if applied else None,
        code_state="REDEEMED" if applied else "NONE",
        execution_name=execution_name(checkout_id),
        faults=fault_plan,
        created_at=now,
        updated_at=now,
    )
    payment = payments.new_payment(
        payment_id=payment_id,
        checkout_id=checkout_id,
        user_id=shopper.account_id,
        amount=amount,
        currency=cart.currency,
        method=method,
        now=now,
    )
    claim = CheckoutKey(
        pk=checkout_key_pk(shopper.account_id, key), checkout_id=checkout_id, created_at=now
    )
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(claim, condition=CheckoutKey.pk.does_not_exist())
            transaction.save(checkout)
            transaction.save(payment)
            for order in orders:
                transaction.save(order)
            if redemption is not None:
                redemption.write(transaction)  # last: the code's two counters
    except TransactWriteError as error:
        # pynamodb sends puts before updates: the claim is first, the code's counters last.
        reasons = [str(getattr(r, "code", "") or "") for r in (error.cancellation_reasons or [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise _KeyTaken from None
        if redemption is not None and "ConditionalCheckFailed" in reasons[-2:]:
            raise redemption.refused() from None
        raise
    publishing.announce(
        CheckoutStarted(
            checkout_id=checkout_id,
            user_id=shopper.account_id,
            order_ids=checkout.order_ids,
            amount=amount,
            currency=cart.currency,
        ),
        *[
            OrderCreated(
                order_id=order.order_id,
                checkout_id=checkout_id,
                user_id=order.user_id,
                shop_id=order.shop_id,
                lines=[OrderLineData(**line) for line in order.lines],
                subtotal=int(order.subtotal),
                discount=int(order.discount),
                total=int(order.total),
                currency=order.currency,
            )
            for order in orders
        ],
    )
    return checkout


def saga_input(checkout: Checkout) -> dict[str, Any]:
    faults = dict(checkout.faults or {})
    timeout = int(faults.pop("payment_timeout_seconds", get_settings().payment_timeout_seconds))
    return {
        "checkout_id": checkout.checkout_id,
        "payment_id": checkout.payment_id,
        "payment_timeout_seconds": timeout,
        "faults": faults,
    }


def _start_saga(checkout: Checkout) -> None:
    """Start the saga named after the checkout; a second start of that name is a no-op."""
    arn = get_settings().checkout_state_machine_arn
    if not arn:
        raise DependencyUnavailableError("No checkout state machine is configured")
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=arn,
            name=checkout.execution_name,
            input=json.dumps(saga_input(checkout)),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            return
        raise DependencyUnavailableError("Checkout is unavailable; try again shortly") from None
    except BotoCoreError:
        raise DependencyUnavailableError("Checkout is unavailable; try again shortly") from None


def _start(checkout: Checkout) -> None:
    """Start a new checkout's saga; a start that fails cancels the checkout."""
    # No write to the checkout after the start: the saga may already be updating it
    # (its execution ARN is the state machine's plus ``execution_name``).
    try:
        _start_saga(checkout)
    except DependencyUnavailableError:
        _abandon(checkout)
        raise


def _abandon(checkout: Checkout) -> None:
    from chalicelib.orders import saga

    logger.exception("Could not start the checkout saga")
    saga.cancel_orders(
        checkout.checkout_id, {"Error": "SagaNotStarted"}, attempt=0, faults_plan=None
    )
    payments.cancel_or_refund(checkout.payment_id)
