"""The orders table: checkouts, orders, payments, webhook receipts, the simulator's intents.

One table (``pk``/``sk``), four GSIs, nothing Scans:

- Checkout ``CHECKOUT#<id>`` / ``CHECKOUT``; its Idempotency-Key claim
  ``CHECKOUTKEY#<user>#<key>`` / ``KEY``.
- Order ``ORDER#<id>`` / ``ORDER``: gsi1 ``USER#<user>``, gsi2 ``SHOP#<shop>``,
  gsi3 ``ORDERS#<status>``, gsi4 ``ORDERS`` (each sorted by created#id).
- Payment ``PAYMENT#<id>`` / ``PAYMENT``: gsi3 ``PAYMENTS#<status>``, gsi4 ``PAYMENTS``.
- Return ``ORDER#<order id>`` / ``RETURN#<return id>`` (an order's returns: one Query).
- Webhook receipt ``WEBHOOK#<event id>`` / ``EVENT`` (the webhook's idempotency).
- Simulated intent ``SIMPI#<intent id>`` / ``INTENT`` (the simulator's provider side), and
  its processing-error counter ``SIMERR#<payment id>`` / ``COUNT``.

gsi4 puts every order (and every payment) in one partition: it serves only the admin's
paginated "everything, newest first" list; the status lists (gsi3) spread the load.
Money is integer minor units. ``stock_state`` on an order records what inventory holds
for it (``NONE`` → ``RESERVED`` → ``RELEASED``), so retried compensations are no-ops.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

CHECKOUT_SK = "CHECKOUT"
KEY_SK = "KEY"
ORDER_SK = "ORDER"
PAYMENT_SK = "PAYMENT"
EVENT_SK = "EVENT"
INTENT_SK = "INTENT"
COUNT_SK = "COUNT"
RETURN_PREFIX = "RETURN#"
ALL_ORDERS = "ORDERS"
ALL_PAYMENTS = "PAYMENTS"


def checkout_pk(checkout_id: str) -> str:
    return f"CHECKOUT#{checkout_id}"


def checkout_key_pk(user_id: str, key: str) -> str:
    return f"CHECKOUTKEY#{user_id}#{key}"


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def return_sk(return_id: str) -> str:
    return f"{RETURN_PREFIX}{return_id}"


def payment_pk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


def user_orders_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def shop_orders_pk(shop_id: str) -> str:
    return f"SHOP#{shop_id}"


def orders_by_status_pk(status: str) -> str:
    return f"ORDERS#{status}"


def payments_by_status_pk(status: str) -> str:
    return f"PAYMENTS#{status}"


def webhook_pk(event_id: str) -> str:
    return f"WEBHOOK#{event_id}"


def intent_pk(intent_id: str) -> str:
    return f"SIMPI#{intent_id}"


def processing_errors_pk(payment_id: str) -> str:
    return f"SIMERR#{payment_id}"


class ByUser(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A shopper's orders, newest last."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByShop(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A shop's orders."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Orders (or payments) of one status, by creation time."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Everything(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """Every order (or payment), by creation time (admin lists)."""

    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


@bind_table("orders_table")
class Checkout(Model):
    """One checkout of one cart: its orders (one per shop), one payment, the saga's state."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CHECKOUT_SK)
    checkout_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    idempotency_key = UnicodeAttribute()
    order_ids = JSONAttribute()  # list[str]
    payment_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # PENDING | PAID | CANCELLED | REFUNDED
    reason = UnicodeAttribute(null=True)
    code = UnicodeAttribute(null=True)
    # NONE (no code) | REDEEMED | RELEASED
    code_state = UnicodeAttribute(default="NONE")
    execution_name = UnicodeAttribute()
    faults = JSONAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


@bind_table("orders_table")
class CheckoutKey(Model):
    """Claims an Idempotency-Key for one shopper: the checkout it started."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=KEY_SK)
    checkout_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


@bind_table("orders_table")
class Order(Model):
    """The part of a checkout one shop fulfils. ``lines``: product, title, qty, unit price."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ORDER_SK)
    order_id = UnicodeAttribute()
    checkout_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    lines = JSONAttribute()
    subtotal = NumberAttribute()
    discount = NumberAttribute(default=0)
    total = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    stock_state = UnicodeAttribute(default="NONE")
    refunded = NumberAttribute(default=0)
    refunded_at = UTCDateTimeAttribute(null=True)
    refunded_by = UnicodeAttribute(null=True)  # an account id, or "system"
    history = ListAttribute(default=list)  # type: ignore[var-annotated]
    shipping_address = JSONAttribute(null=True)  # name, line1, line2, city, ... as at checkout
    contact_email = UnicodeAttribute(null=True)
    shipment = JSONAttribute(null=True)  # carrier, tracking_number, tracking_url, shipped_at
    delivered_at = UTCDateTimeAttribute(null=True)
    refund_keys = ListAttribute(default=list)  # type: ignore[var-annotated]
    returns_version = NumberAttribute(default=0)  # moves with each return stored
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(default=ALL_ORDERS)
    gsi4sk = UnicodeAttribute()
    by_user = ByUser()
    by_shop = ByShop()
    by_status = ByStatus()
    everything = Everything()


@bind_table("orders_table")
class Return(Model):
    """A shopper's return of some lines of a delivered order, and the shop's decision."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)  # ORDER#<order id>
    sk = UnicodeAttribute(range_key=True)  # RETURN#<return id>
    return_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    shop_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    lines = JSONAttribute()  # [{"product_id", "quantity"}]
    reason = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # REQUESTED | REFUSED | APPROVED | REFUNDED
    decision_reason = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    restock = BooleanAttribute(default=False)
    restocked = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


@bind_table("orders_table")
class Payment(Model):
    """The one payment of a checkout, as the provider reported it."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=PAYMENT_SK)
    payment_id = UnicodeAttribute()
    checkout_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    method = UnicodeAttribute()  # the card number's last four, or a provider method id
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    # PENDING | REQUIRES_ACTION | SUCCEEDED | FAILED | CANCELLED | REFUNDED
    status = UnicodeAttribute()
    failure_code = UnicodeAttribute(null=True)
    intent_id = UnicodeAttribute(null=True)
    next_action = JSONAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    provider_attempt = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)
    refund_keys = ListAttribute(default=list)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(default=ALL_PAYMENTS)
    gsi4sk = UnicodeAttribute()
    by_status = ByStatus()
    everything = Everything()


@bind_table("orders_table")
class WebhookReceipt(Model):
    """A provider event already processed (the webhook is idempotent on the event id)."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=EVENT_SK)
    event_type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()


@bind_table("orders_table")
class SimulatedIntent(Model):
    """The simulated provider's side of a payment (what Stripe would hold)."""

    class Meta:
        table_name = "orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=INTENT_SK)
    intent_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # succeeded | requires_action | canceled | failed
    failure_code = UnicodeAttribute(null=True)
    captured = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)
    metadata = JSONAttribute(default=dict)
    refund_keys = ListAttribute(default=list)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
