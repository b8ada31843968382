"""The order-emails consumer on moto: one email per order outcome, even when redelivered."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime

from moto.ses.models import ses_backends

from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fixtures.aws import load_event


def _sent() -> int:
    return len(ses_backends["123456789012"]["us-east-1"].sent_messages)


def test_the_same_order_paid_message_twice_sends_one_email(aws_env: Deployment) -> None:
    from chalicelib.orders.models import Checkout, Order

    now = datetime.now(UTC)
    sample = load_event("bus/order.paid.json")
    data = sample["detail"]["data"]
    Checkout(
        pk=f"CHECKOUT#{data['checkout_id']}",
        checkout_id=data["checkout_id"],
        user_id=data["user_id"],
        email="shopper@bazaar.example.com",
        idempotency_key="k" * 8,
        order_ids=[data["order_id"]],
        payment_id="p",
        amount=data["total"],
        currency="USD",
        status="PAID",
        execution_name="x",
        created_at=now,
        updated_at=now,
    ).save()
    Order(
        pk=f"ORDER#{data['order_id']}",
        order_id=data["order_id"],
        checkout_id=data["checkout_id"],
        user_id=data["user_id"],
        shop_id=data["shop_id"],
        lines=[{"product_id": "p1", "title": "Lamp", "quantity": 2, "unit_price": 3499}],
        subtotal=6998,
        total=6998,
        currency="USD",
        status="PAID",
        created_at=now,
        updated_at=now,
        gsi1pk="u",
        gsi1sk="s",
        gsi2pk="s",
        gsi2sk="s",
        gsi3pk="s",
        gsi3sk="s",
        gsi4sk="s",
    ).save()
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    event = load_event("order_emails_sqs.json")
    before = _sent()
    first = runtime.invoke("bazaar-test-order-emails", event)
    assert first.payload == {"batchItemFailures": []}, first.error
    assert _sent() == before + 1
    again = copy.deepcopy(event)
    again["Records"][0]["messageId"] = str(uuid.uuid4())  # a redelivery or a re-publish
    body = json.loads(again["Records"][0]["body"])
    body["detail"]["metadata"]["event_id"] = str(uuid.uuid4())
    again["Records"][0]["body"] = json.dumps(body)
    second = runtime.invoke("bazaar-test-order-emails", again)
    assert second.payload == {"batchItemFailures": []}
    assert runtime.invoke("bazaar-test-order-emails", event).payload == {"batchItemFailures": []}
    assert _sent() == before + 1
