"""Payments of checkouts: ask the provider, settle the outcome once, resume the saga.

The saga's Pay step waits with a task token (``.waitForTaskToken``). ``request`` stores
the token on the payment, then asks the provider. Every outcome — an immediate answer,
or a later webhook (3-D Secure, Stripe's asynchronous confirmations) — goes through
``settle``, which moves the payment out of PENDING/REQUIRES_ACTION exactly once and
then answers the token (SendTaskSuccess, or SendTaskFailure with the error the state
machine's Catch matches). A success that arrives after the saga gave up (timeout) is
refunded at once: money is never kept without a PAID order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import aws, clock
from chalicelib.core.errors import NotFoundError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.orders import publishing
from chalicelib.orders.errors import (
    InsufficientFundsError,
    PaymentDeclinedError,
    PaymentFailedError,
    PaymentProcessingError,
    WebhookSignatureError,
)
from chalicelib.orders.events import PaymentFailed, PaymentSucceeded
from chalicelib.orders.models import (
    PAYMENT_SK,
    Payment,
    WebhookReceipt,
    payment_pk,
    payments_by_status_pk,
)
from chalicelib.orders.providers import ProviderResult, SimulatedProvider, provider

OPEN = ("PENDING", "REQUIRES_ACTION")
FAILURE_ERRORS = {
    "insufficient_funds": InsufficientFundsError.__name__,
    "processing_error": PaymentFailedError.__name__,
}


def _sort_key(moment: datetime, item_id: str) -> str:
    return f"{clock.iso(moment)}#{item_id}"


def new_payment(
    *,
    payment_id: str,
    checkout_id: str,
    user_id: str,
    amount: int,
    currency: str,
    method: str,
    now: datetime,
) -> Payment:
    """An unsaved PENDING payment (checkout stores it with its orders)."""
    key = _sort_key(now, payment_id)
    return Payment(
        pk=payment_pk(payment_id),
        payment_id=payment_id,
        checkout_id=checkout_id,
        user_id=user_id,
        provider=provider().name,
        method=method,
        amount=amount,
        currency=currency,
        status="PENDING",
        created_at=now,
        updated_at=now,
        gsi3pk=payments_by_status_pk("PENDING"),
        gsi3sk=key,
        gsi4sk=key,
    )


def get_payment(payment_id: str) -> Payment:
    try:
        return Payment.get(payment_pk(payment_id), PAYMENT_SK, consistent_read=True)
    except Payment.DoesNotExist:
        raise NotFoundError("No such payment", details={"payment_id": payment_id}) from None


def _set_status(payment: Payment, status: str, *, expected: tuple[str, ...], **values: Any) -> bool:
    """Move ``payment`` to ``status`` if it is in ``expected``; False if it was not."""
    actions: list[Action] = [
        Payment.status.set(status),
        Payment.gsi3pk.set(payments_by_status_pk(status)),
        Payment.updated_at.set(clock.now()),
    ]
    for name, value in values.items():
        attribute = getattr(Payment, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        payment.update(actions=actions, condition=Payment.status.is_in(*expected))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        payment.refresh(consistent_read=True)
        return False
    return True


def _idempotency_key(payment: Payment) -> str:
    # A new key only after the provider reported a processing error (a real new attempt);
    # a step retried after a crash reuses the key and gets the same intent back.
    return f"{payment.payment_id}:{int(payment.provider_attempt or 0)}"


def request(payment_id: str, task_token: str) -> dict[str, Any]:
    """The saga's Pay step: store the token, ask the provider, settle what it said.

    Raises PaymentProcessingError (retryable) when the provider could not decide.
    """
    payment = get_payment(payment_id)
    payment.update(actions=[Payment.task_token.set(task_token)])
    if payment.status not in OPEN:
        # An earlier attempt settled it; answer this attempt's token the same way.
        _answer(payment)
        return {"payment_id": payment_id, "status": payment.status}
    try:
        result = provider().create_payment(
            amount=int(payment.amount),
            currency=payment.currency,
            method=payment.method,
            idempotency_key=_idempotency_key(payment),
            metadata={"payment_id": payment.payment_id, "checkout_id": payment.checkout_id},
        )
    except PaymentProcessingError:
        payment.update(actions=[Payment.provider_attempt.add(1)])
        metrics.add_metric(name="PaymentProcessingErrors", unit="Count", value=1)
        raise
    if result.intent_id:
        payment.update(actions=[Payment.intent_id.set(result.intent_id)])
    if result.status == "requires_action":
        _set_status(payment, "REQUIRES_ACTION", expected=OPEN, next_action=result.next_action)
        return {"payment_id": payment_id, "status": "REQUIRES_ACTION"}
    settle(payment_id, result)
    return {"payment_id": payment_id, "status": get_payment(payment_id).status}


def settle(payment_id: str, result: ProviderResult) -> Payment:
    """Record the provider's final answer once, announce it, resume the saga.

    Idempotent: an answer for a payment that is no longer open changes nothing, except a
    success after the saga cancelled the payment, which is refunded.
    """
    payment = get_payment(payment_id)
    succeeded = result.status == "succeeded"
    moved = _set_status(
        payment,
        "SUCCEEDED" if succeeded else "FAILED",
        expected=OPEN,
        intent_id=result.intent_id or payment.intent_id,
        failure_code=None if succeeded else (result.failure_code or "card_declined"),
    )
    if not moved:
        if succeeded and payment.status == "CANCELLED":
            logger.warning("Payment succeeded after the saga cancelled it; refunding")
            payment.update(actions=[Payment.intent_id.set(result.intent_id)])
            refund_all(payment)
        return payment
    payment.refresh(consistent_read=True)
    if succeeded:
        event: Any = PaymentSucceeded(
            payment_id=payment.payment_id,
            checkout_id=payment.checkout_id,
            user_id=payment.user_id,
            provider=payment.provider,
            amount=int(payment.amount),
            currency=payment.currency,
        )
    else:
        event = PaymentFailed(
            payment_id=payment.payment_id,
            checkout_id=payment.checkout_id,
            user_id=payment.user_id,
            provider=payment.provider,
            failure_code=str(payment.failure_code),
        )
    publishing.announce(event)
    metrics.add_metric(
        name="PaymentsSucceeded" if succeeded else "PaymentsFailed", unit="Count", value=1
    )
    _answer(payment)
    return payment


def _answer(payment: Payment) -> None:
    """Resume the waiting saga with the payment's outcome (a stale token is ignored)."""
    if not payment.task_token:
        return
    states = aws.client("stepfunctions")
    try:
        if payment.status in ("SUCCEEDED",):
            states.send_task_success(
                taskToken=payment.task_token,
                output=json.dumps({"payment_id": payment.payment_id, "status": "SUCCEEDED"}),
            )
        elif payment.status == "FAILED":
            code = str(payment.failure_code or "card_declined")
            states.send_task_failure(
                taskToken=payment.task_token,
                error=FAILURE_ERRORS.get(code, PaymentDeclinedError.__name__),
                cause=code,
            )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code not in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise
        logger.info("Saga no longer waits for this payment", extra={"code": code})


def cancel_or_refund(payment_id: str) -> str:
    """Compensation: void an open payment, refund a captured one; idempotent."""
    payment = get_payment(payment_id)
    while True:
        if payment.status in OPEN:
            if payment.intent_id:
                after = provider().cancel(payment.intent_id)
                if after == "succeeded":
                    settle(payment_id, ProviderResult(payment.intent_id, "succeeded"))
                    payment = get_payment(payment_id)
                    continue
            if _set_status(payment, "CANCELLED", expected=OPEN):
                return "CANCELLED"
            continue  # settled meanwhile: look again
        if payment.status == "SUCCEEDED":
            refund_all(payment)
            return "REFUNDED"
        return str(payment.status)


def refund_all(payment: Payment) -> None:
    """Refund what is left of a captured payment and mark it REFUNDED."""
    left = int(payment.amount) - int(payment.refunded or 0)
    if left > 0 and payment.intent_id:
        provider().refund(payment.intent_id, left, f"refund:{payment.payment_id}:rest")
    _set_status(
        payment,
        "REFUNDED",
        expected=("SUCCEEDED", "CANCELLED"),
        refunded=int(payment.amount),
    )


def refund_part(payment_id: str, amount: int, key: str) -> None:
    """Refund ``amount`` of a captured payment (one order of a multi-shop checkout)."""
    payment = get_payment(payment_id)
    if amount <= 0 or payment.status != "SUCCEEDED" or not payment.intent_id:
        return
    provider().refund(payment.intent_id, amount, f"refund:{payment.payment_id}:{key}")
    refunded = int(payment.refunded or 0) + amount
    if refunded >= int(payment.amount):
        _set_status(payment, "REFUNDED", expected=("SUCCEEDED",), refunded=int(payment.amount))
    else:
        payment.update(actions=[Payment.refunded.add(amount)])


# ---------- webhooks ----------
def verify(raw_body: bytes, signature: str | None) -> dict[str, Any]:
    """The event in a webhook body whose Stripe signature verifies; else WebhookSignatureError."""
    import stripe

    settings = get_settings()
    try:
        stripe.Webhook.construct_event(
            raw_body,
            signature or "",
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds,
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookSignatureError(f"Webhook rejected: {error}") from None
    event: dict[str, Any] = json.loads(raw_body)
    return event


def handle_webhook(raw_body: bytes, signature: str | None) -> dict[str, Any]:
    """Verify and apply a provider event once (a redelivered event id changes nothing)."""
    event = verify(raw_body, signature)
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        raise WebhookSignatureError("Webhook event has no id")
    try:
        WebhookReceipt(
            pk=f"WEBHOOK#{event_id}", event_type=event_type, received_at=clock.now()
        ).save(condition=WebhookReceipt.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return {"received": True, "duplicate": True}
    try:
        _apply(event_type, event.get("data", {}).get("object", {}))
    except Exception:
        # Not applied: forget the receipt so the provider's redelivery is processed.
        WebhookReceipt(pk=f"WEBHOOK#{event_id}").delete()
        raise
    return {"received": True, "duplicate": False}


def _apply(event_type: str, intent: dict[str, Any]) -> None:
    payment_id = (intent.get("metadata") or {}).get("payment_id")
    if not payment_id:
        return  # not one of ours (another integration on the same account)
    intent_id = str(intent.get("id") or "")
    if event_type == "payment_intent.succeeded":
        settle(payment_id, ProviderResult(intent_id, "succeeded"))
    elif event_type == "payment_intent.payment_failed":
        error = intent.get("last_payment_error") or {}
        code = str(error.get("decline_code") or error.get("code") or "card_declined")
        settle(payment_id, ProviderResult(intent_id, "failed", failure_code=code))
    elif event_type == "checkout.session.completed":
        pass  # the session's PaymentIntent reports through payment_intent.* events


def confirm_simulated(payment_id: str, *, succeed: bool) -> dict[str, Any]:
    """The shopper completes 3-D Secure on the simulator: it sends the signed webhook."""
    from chalicelib.orders.providers import dumps, signature_header

    payment = get_payment(payment_id)
    if payment.provider != "simulated" or not payment.intent_id:
        raise NotFoundError("Nothing to confirm for this payment")
    event = SimulatedProvider().complete_action(payment.intent_id, succeed=succeed)
    if event is None:
        return {"payment_id": payment_id, "status": payment.status}
    body = dumps(event)
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    handle_webhook(body, signature_header(body, secret))
    return {"payment_id": payment_id, "status": get_payment(payment_id).status}
