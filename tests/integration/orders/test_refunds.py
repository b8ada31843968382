"""An admin refund on moto (finding #5): the simulator and the Stripe adapter each give
the money back once; the order, payment and checkout items record it; the bus routes
``order.refunded`` to the order-emails queue, whose consumer emails the shopper once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto.ses.models import ses_backends

from chalicelib.core.caller import Caller, Role
from chalicelib.core.settings import reset_settings
from chalicelib.orders import models, repository
from chalicelib.orders.domain import CheckoutStatus, NewCheckout, OrderStatus, PaymentStatus
from chalicelib.orders.providers import provider
from chalicelib.orders.service import orders, payments
from localcloud.deploy import Deployment
from localcloud.lambdas import LambdaRuntime
from tests.fakes.orders import stored_checkout
from tests.fixtures.aws import load_event
from tests.fixtures.fake_stripe import FakeStripe, serve

ADMIN = Caller("admin-1", Role.ADMIN)


def paid_and_delivered(
    shops: tuple[str, ...] = ("shop-a",), **kwargs: str
) -> tuple[NewCheckout, str]:
    """Given a paid checkout (20.00 per shop) whose first order was delivered."""
    repo = repository.get()
    new = stored_checkout(repo, {"p1": 2}, shops=shops, **kwargs)
    assert payments.request(new.payment.payment_id, task_token="not-waiting")["status"] == (
        "SUCCEEDED"
    )
    repo.set_checkout_status(new.checkout.checkout_id, CheckoutStatus.PAID)
    for order in new.orders:
        repo.move_order(order, OrderStatus.PAID)
    order = repo.get_order(new.orders[0].order_id)
    for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order, _ = repo.move_order(order, target)
    return new, order.order_id


def test_a_simulated_refund_is_recorded_once_on_dynamodb(aws_env: Deployment) -> None:
    # Given a delivered order, its checkout's only one
    new, order_id = paid_and_delivered()
    # When an admin refunds it twice (a retried request)
    first = orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    again = orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    # Then the order item records amount, time and admin
    item = models.Order.get(models.order_pk(order_id), models.ORDER_SK, consistent_read=True)
    assert (item.status, int(item.refunded), item.refunded_by) == ("REFUNDED", 2000, "admin-1")
    assert item.refunded_at == first.refunded_at
    assert again == first
    # And the payment and checkout are REFUNDED; the simulator gave back 20.00 once
    repo = repository.get()
    payment = repo.get_payment(new.payment.payment_id)
    assert (payment.status, payment.refunded, payment.refund_keys) == (
        PaymentStatus.REFUNDED,
        2000,
        (order_id,),
    )
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.REFUNDED
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert (intent.refunded, intent.refund_keys) == (
        2000,
        (f"refund:{payment.payment_id}:{order_id}",),
    )


def test_refunding_one_shops_order_refunds_only_its_part(aws_env: Deployment) -> None:
    # Given a two-shop checkout (40.00), shop A's order delivered
    new, order_id = paid_and_delivered(("shop-a", "shop-b"))
    # When an admin refunds shop A's order
    orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    # Then 20.00 went back; the rest stays captured and the checkout PAID
    repo = repository.get()
    payment = repo.get_payment(new.payment.payment_id)
    assert (payment.status, payment.amount, payment.refunded) == (
        PaymentStatus.SUCCEEDED,
        4000,
        2000,
    )
    intent = repo.get_intent(str(payment.intent_id))
    assert intent is not None
    assert intent.refunded == 2000
    assert repo.get_checkout(new.checkout.checkout_id).status == CheckoutStatus.PAID


def test_order_refunded_reaches_the_order_emails_queue_and_mails_once(
    aws_env: Deployment,
) -> None:
    # Given a delivered order of the shopper
    _new, order_id = paid_and_delivered(email="shopper@bazaar.example.com")
    sqs = boto3.client("sqs")
    queue = aws_env.physical["OrderEmailsQueue"]
    sqs.purge_queue(QueueUrl=queue)
    # When an admin refunds it
    orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    # Then the bus routed order.refunded to the order-emails queue
    messages = []
    for _ in range(5):  # bounded: the rule delivers at once on moto
        messages += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if messages:
            break
    refunded = [m for m in messages if json.loads(m["Body"])["detail-type"] == "order.refunded"]
    assert len(refunded) == 1
    body = json.loads(refunded[0]["Body"])
    assert body["detail"]["data"]["amount"] == 2000
    # And its consumer emails the shopper once, even when the message comes twice
    runtime = LambdaRuntime("us-east-1")
    for spec in aws_env.functions.values():
        runtime.register(spec)
    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    before = len(sent)
    event = load_event("order_emails_sqs.json")
    event["Records"][0]["body"] = refunded[0]["Body"]
    for _ in range(2):
        result = runtime.invoke("bazaar-test-order-emails", event)
        assert result.payload == {"batchItemFailures": []}, result.error
    new_mail = sent[before:]
    assert len(new_mail) == 1
    raw = str(getattr(new_mail[0], "raw_data", "") or getattr(new_mail[0], "body", ""))
    assert f"order {order_id[:8]} was refunded" in raw


@pytest.fixture
def stripe(aws_env: Deployment, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    fake, server = serve()
    monkeypatch.setenv("BAZAAR_STRIPE_API_KEY", "sk_test_bazaar")
    monkeypatch.setenv("BAZAAR_STRIPE_API_BASE", fake.url)
    reset_settings()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        reset_settings()


def test_a_stripe_refund_is_one_refund_however_often_it_is_asked(stripe: FakeStripe) -> None:
    # Given a delivered order paid with Stripe, in a two-shop checkout
    new, order_id = paid_and_delivered(
        ("shop-a", "shop-b"), provider="stripe", method="pm_card_visa"
    )
    payment = payments.get_payment(new.payment.payment_id)
    key = f"refund:{payment.payment_id}:{order_id}"
    # And a first attempt that reached Stripe but died before it was counted
    provider().refund(str(payment.intent_id), 2000, key)
    # When the admin's refund runs, and runs again
    orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    orders.update_status(ADMIN, order_id, OrderStatus.REFUNDED)
    # Then Stripe holds one refund of that order's 20.00, asked with the order's key
    assert [(r["payment_intent"], r["amount"]) for r in stripe.refunds] == [
        (payment.intent_id, 2000)
    ]
    asked = [r for r in stripe.requests if r.path == "/v1/refunds"]
    assert {r.idempotency_key for r in asked} == {key}
    assert len(asked) == 2  # the interrupted attempt, and one replay answered from the key
    after = payments.get_payment(payment.payment_id)
    assert (after.status, after.refunded) == (PaymentStatus.SUCCEEDED, 2000)
