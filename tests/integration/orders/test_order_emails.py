"""The order-emails consumer on moto: one email per order outcome, even when redelivered."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace

from moto.ses.models import ses_backends

from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fakes.orders import new_checkout
from tests.fixtures.aws import load_event


def _sent(deployment: Deployment) -> int:
    return len(ses_backends[deployment.account_id]["us-east-1"].sent_messages)


def test_the_same_order_paid_message_twice_sends_one_email(aws_env: Deployment) -> None:
    from chalicelib.orders import repository
    from chalicelib.orders.domain import Checkout, NewCheckout, Order, OrderLine, OrderStatus

    sample = load_event("bus/order.paid.json")
    data = sample["detail"]["data"]
    new = new_checkout({"p1": 2}, user_id=data["user_id"], email="shopper@bazaar.example.com")
    lamp = OrderLine(product_id="p1", title="Lamp", quantity=2, unit_price=3499)
    order: Order = replace(
        new.orders[0],
        order_id=data["order_id"],
        checkout_id=data["checkout_id"],
        shop_id=data["shop_id"],
        lines=(lamp,),
        subtotal=6998,
        total=6998,
        status=OrderStatus.PAID,
    )
    checkout: Checkout = replace(
        new.checkout, checkout_id=data["checkout_id"], order_ids=(order.order_id,)
    )
    payment = replace(new.payment, checkout_id=checkout.checkout_id)
    repository.get().add_checkout(
        NewCheckout(checkout=checkout, payment=payment, orders=(order,)), redemption=None
    )
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    event = load_event("order_emails_sqs.json")
    before = _sent(aws_env)
    first = runtime.invoke("bazaar-test-order-emails", event)
    assert first.payload == {"batchItemFailures": []}, first.error
    assert _sent(aws_env) == before + 1
    again = copy.deepcopy(event)
    again["Records"][0]["messageId"] = str(uuid.uuid4())  # a redelivery or a re-publish
    body = json.loads(again["Records"][0]["body"])
    body["detail"]["metadata"]["event_id"] = str(uuid.uuid4())
    again["Records"][0]["body"] = json.dumps(body)
    second = runtime.invoke("bazaar-test-order-emails", again)
    assert second.payload == {"batchItemFailures": []}
    assert runtime.invoke("bazaar-test-order-emails", event).payload == {"batchItemFailures": []}
    assert _sent(aws_env) == before + 1
