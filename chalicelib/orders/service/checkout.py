"""Checkout: a shopper's cart becomes PENDING orders (one per shop), one payment, a saga.

Prices, stock problems and the discount code are re-read from the catalog here (the
cart service prices every line live); the code's use is counted in the same transaction
that stores the checkout (its limits hold under races; no use is counted without a
checkout) and given back if the saga cancels. An ``Idempotency-Key`` claims the
checkout: the same key from the same shopper returns the same checkout, never a second
order or charge; the same key with a different body is refused (422, as Stripe does:
a hash of what was asked is stored with the checkout). The saga execution is named after
the checkout id, so a repeated start is refused by Step Functions itself.

Every checkout ships somewhere: a saved address of the shopper's address book (read
through identity's service) or one given inline, copied onto each order as it is now, so
later edits of the address book do not change past orders.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from typing import Any

from chalicelib.cart import service as cart_service
from chalicelib.catalog import service as catalog
from chalicelib.catalog.errors import DiscountRejectedError
from chalicelib.core import clock
from chalicelib.core import events as bus
from chalicelib.core.caller import Caller, Role
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    DependencyUnavailableError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.observability import logger
from chalicelib.core.settings import get_settings
from chalicelib.identity import service as identity
from chalicelib.orders import providers, repository, workflow
from chalicelib.orders.domain import (
    Checkout,
    CheckoutDetails,
    CheckoutStatus,
    CodeState,
    NewCheckout,
    Order,
    OrderLine,
    OrderStatus,
    ShippingAddress,
    execution_name,
)
from chalicelib.orders.errors import (
    CheckoutKeyTakenError,
    CheckoutNotReadyError,
    CodeUseRefusedError,
    IdempotencyKeyReusedError,
    ShippingAddressRequiredError,
)
from chalicelib.orders.events import CheckoutStarted, OrderCreated
from chalicelib.orders.service import payments, saga

_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,128}$")


def _check_key(key: str | None) -> str:
    if not key or not _KEY.match(key):
        raise ValidationFailedError(
            "Send an Idempotency-Key header (8-128 letters, digits, '-', '_', ':' or '.')",
            details=[{"field": "Idempotency-Key", "message": "required", "type": "missing"}],
        )
    return key


def request_hash(
    payment_method: str, address_id: str | None, shipping_address: ShippingAddress | None
) -> str:
    """What a checkout request asked for, as a hash (compared when its key comes again)."""
    asked = {
        "payment_method": payment_method,
        "address_id": address_id,
        "shipping_address": asdict(shipping_address) if shipping_address else None,
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def _same_request(found: Checkout, asked: str) -> None:
    if found.request_hash is not None and found.request_hash != asked:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was used for a checkout with a different body; "
            "use a new key for a new request",
            details=[{"field": "Idempotency-Key", "message": "reused", "type": "key_reused"}],
        )


def shipping_address_of(
    caller: Caller, address_id: str | None, shipping_address: ShippingAddress | None
) -> ShippingAddress:
    """The address a checkout ships to: a saved one (copied now) or the one given inline.

    Raises ShippingAddressRequiredError for neither or both, NotFoundError for an address
    id that is not one of the caller's.
    """
    if (address_id is None) == (shipping_address is None):
        raise ShippingAddressRequiredError(
            "Send a shipping address: address_id (one of your saved addresses) or "
            "shipping_address (name, line1, city, postal_code, country), not both",
            details=[
                {"field": "address_id", "message": "one of the two is required", "type": "missing"},
                {
                    "field": "shipping_address",
                    "message": "one of the two is required",
                    "type": "missing",
                },
            ],
        )
    if shipping_address is not None:
        return shipping_address
    assert address_id is not None
    saved = identity.saved_address(caller.account_id, address_id)
    return ShippingAddress(
        name=saved.recipient,
        line1=saved.line1,
        line2=saved.line2,
        city=saved.city,
        region=saved.region,
        postal_code=saved.postal_code,
        country=saved.country,
        phone=saved.phone,
    )


def details_of(checkout: Checkout) -> CheckoutDetails:
    """The checkout with its orders and payment."""
    repo = repository.get()
    return CheckoutDetails(
        checkout=checkout,
        orders=repo.orders_of(checkout),
        payment=repo.get_payment(checkout.payment_id),
    )


def checkout_for(caller: Caller, checkout_id: str) -> CheckoutDetails:
    """A checkout of the caller's (any, for an admin), with its orders and payment."""
    checkout = repository.get().get_checkout(checkout_id)
    if checkout.user_id != caller.account_id and caller.role != Role.ADMIN:
        raise NotFoundError("No such checkout", details={"checkout_id": checkout_id})
    return details_of(checkout)


def place(
    caller: Caller,
    *,
    idempotency_key: str | None,
    payment_method: str,
    address_id: str | None = None,
    shipping_address: ShippingAddress | None = None,
    fault_plan: dict[str, Any] | None = None,
) -> tuple[CheckoutDetails, bool]:
    """Check out the caller's cart to a shipping address; (checkout, created now). Same
    key and body → same checkout.

    Raises IdempotencyKeyReusedError (422) for a known key with another body,
    ShippingAddressRequiredError (422) without an address, NotFoundError for an unknown
    saved address, CheckoutNotReadyError (409) for an empty cart or a line with a problem,
    DiscountRejectedError (422) when the code no longer applies.
    """
    key = _check_key(idempotency_key)
    asked = request_hash(payment_method, address_id, shipping_address)
    repo = repository.get()
    found = repo.checkout_by_key(caller.account_id, key)
    if found is not None:
        _same_request(found, asked)
        if found.status == CheckoutStatus.PENDING:
            _start_saga(found)  # the first request may have died before starting it
        return details_of(found), False
    if caller.role not in (Role.USER, Role.ADMIN):
        raise ForbiddenError("Sellers check out with a shopper account")
    address = shipping_address_of(caller, address_id, shipping_address)
    provider = providers.provider()
    method = provider.accept_method(payment_method)
    cart = cart_service.get_cart(caller)
    # Stock problems are left to the reservation (the source of truth, also under races):
    # the saga cancels with OUT_OF_STOCK. Lines that cannot be bought at all block here.
    blocked = [line for line in cart.lines if not line.available]
    if not cart.lines or blocked:
        raise CheckoutNotReadyError(
            "Your cart is empty" if not cart.lines else "Some cart lines cannot be bought",
            details={
                "problems": [
                    {
                        "product_id": b.product_id,
                        **({"sku": b.sku} if b.sku else {}),
                        "problem": b.problem,
                    }
                    for b in blocked
                ]
            },
        )
    subtotals: dict[str, int] = {}
    for line in cart.lines:
        assert line.shop_id is not None
        subtotals[line.shop_id] = subtotals.get(line.shop_id, 0) + line.unit_price * line.quantity
    try:
        redemption = None
        if cart.code:
            redemption = catalog.prepare_redemption(
                cart.code, user_id=caller.account_id, shop_subtotals=subtotals
            )
        new = _new_checkout(
            caller,
            key,
            method,
            provider.name,
            cart,
            redemption,
            fault_plan,
            shipping=address,
            asked=asked,
        )
        _store(new, redemption)
    except (CheckoutKeyTakenError, DiscountRejectedError):
        again = repo.checkout_by_key(caller.account_id, key)  # a double submit won the race
        if again is None:
            raise
        _same_request(again, asked)
        return details_of(again), False
    _start(new.checkout)
    return details_of(new.checkout), True


def _new_checkout(
    caller: Caller,
    key: str,
    method: str,
    provider: str,
    cart: cart_service.PricedCart,
    redemption: catalog.Redemption | None,
    fault_plan: dict[str, Any] | None = None,
    *,
    shipping: ShippingAddress | None = None,
    asked: str | None = None,
) -> NewCheckout:
    """The checkout, payment and orders (one per shop) for a priced cart."""
    applied = redemption.applied if redemption else None
    now = clock.now()
    checkout_id = new_id()
    by_shop: dict[str, list[cart_service.PricedLine]] = {}
    for line in cart.lines:
        assert line.shop_id is not None
        by_shop.setdefault(line.shop_id, []).append(line)
    orders: list[Order] = []
    for shop_id, lines in by_shop.items():
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        discount = applied.amount if applied and applied.shop_id == shop_id else 0
        orders.append(
            Order(
                order_id=new_id(),
                checkout_id=checkout_id,
                user_id=caller.account_id,
                shop_id=shop_id,
                lines=tuple(
                    OrderLine(
                        product_id=line.product_id,
                        title=line.title or "",
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        sku=line.sku,
                        color=line.color,
                        size=line.size,
                    )
                    for line in lines
                ),
                subtotal=subtotal,
                discount=discount,
                total=subtotal - discount,
                currency=cart.currency,
                status=OrderStatus.PENDING,
                created_at=now,
                updated_at=now,
                shipping_address=shipping,
                contact_email=caller.email or None,
            )
        )
    amount = sum(order.total for order in orders)
    payment = payments.new_payment(
        payment_id=new_id(),
        checkout_id=checkout_id,
        user_id=caller.account_id,
        amount=amount,
        currency=cart.currency,
        method=method,
        provider=provider,
        now=now,
    )
    checkout = Checkout(
        checkout_id=checkout_id,
        user_id=caller.account_id,
        email=caller.email,
        idempotency_key=key,
        order_ids=tuple(order.order_id for order in orders),
        payment_id=payment.payment_id,
        amount=amount,
        currency=cart.currency,
        status=CheckoutStatus.PENDING,
        code=applied.code if applied else None,
        code_state=CodeState.REDEEMED if applied else CodeState.NONE,
        execution_name=execution_name(checkout_id),
        faults=fault_plan,
        request_hash=asked,
        created_at=now,
        updated_at=now,
    )
    return NewCheckout(checkout=checkout, payment=payment, orders=tuple(orders))


def _store(new: NewCheckout, redemption: catalog.Redemption | None) -> None:
    """Write the claim, checkout, payment, orders and the code's use in one transaction."""
    try:
        repository.get().add_checkout(new, redemption=redemption)
    except CodeUseRefusedError:
        assert redemption is not None
        raise redemption.refused() from None
    bus.publish(
        CheckoutStarted.of(new.checkout),
        *[OrderCreated.of(order) for order in new.orders],
        best_effort=True,
    )


def saga_input(checkout: Checkout) -> dict[str, Any]:
    """The execution input: the checkout, its payment, the timeout and the fault plan."""
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
    workflow.get().start(checkout.execution_name, saga_input(checkout))


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
    logger.exception("Could not start the checkout saga")
    saga.cancel_orders(
        saga.Task("cancel_orders", checkout.checkout_id, failure={"Error": "SagaNotStarted"})
    )
    payments.cancel_or_refund(checkout.payment_id)
