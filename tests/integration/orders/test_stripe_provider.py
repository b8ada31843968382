"""The Stripe provider against a Stripe-shaped API on loopback, payments on moto.

What is proven: the requests Stripe receives (idempotency keys, amounts in minor units,
our metadata on the PaymentIntent), how its answers become payment states (decline
codes, processing errors retried with a new key, 3-D Secure and the hosted Checkout
Session waiting for the webhook), and compensations (void, or refund when it was paid).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.core.settings import LOCAL_WEBHOOK_SECRET, reset_settings
from chalicelib.orders import repository
from chalicelib.orders.errors import PaymentProcessingError
from chalicelib.orders.providers import StripeProvider, dumps, intent_event, provider
from chalicelib.orders.providers import signature_header as sign
from chalicelib.orders.service import payments
from localcloud.deploy import Deployment
from tests.fakes.orders import stored_checkout
from tests.fixtures.fake_stripe import FakeStripe, serve


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


def _payment(method: str, amount: int = 2500) -> str:
    """A stored PENDING Stripe payment of ``amount`` (one order of one line)."""
    new = stored_checkout(
        repository.get(), {"p1": 1}, unit_price=amount, provider="stripe", method=method
    )
    return new.payment.payment_id


def _webhook(event: dict[str, object]) -> dict[str, object]:
    body = dumps(event)
    return payments.handle_webhook(body, sign(body, LOCAL_WEBHOOK_SECRET))


def test_a_card_payment_is_one_idempotent_payment_intent(stripe: FakeStripe) -> None:
    assert isinstance(provider(), StripeProvider)
    payment_id = _payment("pm_card_visa")
    assert payments.request(payment_id, task_token="not-waiting") == {
        "payment_id": payment_id,
        "status": "SUCCEEDED",
    }
    (sent,) = [r for r in stripe.requests if r.path == "/v1/payment_intents"]
    assert sent.idempotency_key == f"{payment_id}:0"
    assert sent.params["amount"] == "2500"
    assert sent.params["currency"] == "usd"
    assert sent.params["confirm"] == "true"
    assert sent.params["metadata"]["payment_id"] == payment_id
    # The step retried after a crash: the same key, the same intent, no second charge.
    payment = payments.get_payment(payment_id)
    again = provider().create_payment(
        amount=2500,
        currency="USD",
        method="pm_card_visa",
        idempotency_key=f"{payment_id}:0",
        metadata={"payment_id": payment_id, "checkout_id": payment.checkout_id},
    )
    assert again.intent_id == payment.intent_id
    assert len(stripe.intents) == 1


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("pm_card_visa_chargeDeclined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_declines_fail_the_payment_with_stripes_decline_code(
    stripe: FakeStripe, method: str, code: str
) -> None:
    payment_id = _payment(method)
    assert payments.request(payment_id, task_token="t")["status"] == "FAILED"
    payment = payments.get_payment(payment_id)
    assert payment.failure_code == code
    assert payment.intent_id in stripe.intents


def test_a_processing_error_is_retryable_and_the_retry_uses_a_new_key(stripe: FakeStripe) -> None:
    payment_id = _payment("pm_card_chargeDeclinedProcessingError")
    with pytest.raises(PaymentProcessingError):
        payments.request(payment_id, task_token="t")
    with pytest.raises(PaymentProcessingError):
        payments.request(payment_id, task_token="t")
    keys = [r.idempotency_key for r in stripe.requests if r.path == "/v1/payment_intents"]
    assert keys == [f"{payment_id}:0", f"{payment_id}:1"]
    assert payments.get_payment(payment_id).status == "PENDING"


def test_3ds_waits_then_the_signed_webhook_settles_it_once(stripe: FakeStripe) -> None:
    payment_id = _payment("pm_card_threeDSecure2Required")
    assert payments.request(payment_id, task_token="t")["status"] == "REQUIRES_ACTION"
    payment = payments.get_payment(payment_id)
    assert payment.next_action["type"] == "redirect_to_url"
    intent = stripe.complete_action(str(payment.intent_id))
    event = intent_event(
        "payment_intent.succeeded",
        intent_id=intent["id"],
        amount=2500,
        currency="usd",
        metadata=dict(intent["metadata"]),
        status="succeeded",
    )
    assert _webhook(event) == {"received": True, "duplicate": False}
    assert _webhook(event) == {"received": True, "duplicate": True}
    assert payments.get_payment(payment_id).status == "SUCCEEDED"


def test_hosted_checkout_session_is_paid_on_stripes_page(stripe: FakeStripe) -> None:
    payment_id = _payment("checkout_session", amount=4200)
    assert payments.request(payment_id, task_token="t")["status"] == "REQUIRES_ACTION"
    payment = payments.get_payment(payment_id)
    session_id = str(payment.intent_id)
    assert session_id.startswith("cs_")
    assert payment.next_action["redirect_to_url"]["url"].endswith(session_id)
    (sent,) = [r for r in stripe.requests if r.path == "/v1/checkout/sessions"]
    assert sent.idempotency_key == f"{payment_id}:0"
    assert sent.params["line_items"][0]["price_data"]["unit_amount"] == "4200"
    assert sent.params["payment_intent_data"]["metadata"]["payment_id"] == payment_id

    intent = stripe.pay_session(session_id)  # the shopper pays; Stripe sends the webhook
    event = intent_event(
        "payment_intent.succeeded",
        intent_id=intent["id"],
        amount=4200,
        currency="usd",
        metadata=dict(intent["metadata"]),
        status="succeeded",
    )
    _webhook(event)
    paid = payments.get_payment(payment_id)
    assert (paid.status, paid.intent_id) == ("SUCCEEDED", intent["id"])


def test_compensation_voids_an_open_session_and_refunds_a_paid_one(stripe: FakeStripe) -> None:
    open_id = _payment("checkout_session")
    payments.request(open_id, task_token="t")
    assert payments.cancel_or_refund(open_id) == "CANCELLED"
    session_id = str(payments.get_payment(open_id).intent_id)
    assert stripe.sessions[session_id]["status"] == "expired"

    # Paid on Stripe's page just as the saga gave up; the webhook has not arrived.
    paid_id = _payment("checkout_session")
    payments.request(paid_id, task_token="t")
    intent = stripe.pay_session(str(payments.get_payment(paid_id).intent_id))
    assert payments.cancel_or_refund(paid_id) == "REFUNDED"
    assert [(r["payment_intent"], r["amount"]) for r in stripe.refunds] == [(intent["id"], 2500)]
    # The late webhook changes nothing and refunds nothing twice.
    _webhook(
        intent_event(
            "payment_intent.succeeded",
            intent_id=intent["id"],
            amount=2500,
            currency="usd",
            metadata=dict(intent["metadata"]),
            status="succeeded",
        )
    )
    assert payments.get_payment(paid_id).status == "REFUNDED"
    assert len(stripe.refunds) == 1
