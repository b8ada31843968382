"""Payments of checkouts: ask the provider, settle the outcome once, resume the saga.

The saga's Pay step waits with a task token (``.waitForTaskToken``). ``request`` stores
the token on the payment, then asks the provider. Every outcome — an immediate answer,
or a later webhook (3-D Secure, Stripe's asynchronous confirmations) — goes through
``settle``, which moves the payment out of PENDING/REQUIRES_ACTION exactly once and
then answers the token (success, or a failure with the error the state machine's Catch
matches). A success that arrives after the saga gave up (timeout) is refunded at once:
money is never kept without a PAID order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import events as bus
from chalicelib.core.caller import Caller
from chalicelib.core.errors import NotFoundError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.settings import get_settings
from chalicelib.orders import providers, repository, workflow
from chalicelib.orders.domain import OPEN_PAYMENT, CheckoutStatus, Payment, PaymentStatus
from chalicelib.orders.errors import (
    InsufficientFundsError,
    PaymentDeclinedError,
    PaymentFailedError,
    PaymentProcessingError,
    WebhookSignatureError,
)
from chalicelib.orders.events import PaymentFailed, PaymentSucceeded
from chalicelib.orders.providers import ProviderResult

FAILURE_ERRORS = {
    "insufficient_funds": InsufficientFundsError.__name__,
    "processing_error": PaymentFailedError.__name__,
}


def new_payment(
    *,
    payment_id: str,
    checkout_id: str,
    user_id: str,
    amount: int,
    currency: str,
    method: str,
    provider: str,
    now: datetime,
) -> Payment:
    """A PENDING payment (the checkout stores it with its orders)."""
    return Payment(
        payment_id=payment_id,
        checkout_id=checkout_id,
        user_id=user_id,
        provider=provider,
        method=method,
        amount=amount,
        currency=currency,
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
    )


def get_payment(payment_id: str) -> Payment:
    """Raises NotFoundError."""
    return repository.get().get_payment(payment_id)


def payment_for(caller: Caller, payment_id: str) -> Payment:
    """The caller's own payment; NotFoundError for anyone else's."""
    payment = get_payment(payment_id)
    if payment.user_id != caller.account_id:
        raise NotFoundError("No such payment")
    return payment


def _idempotency_key(payment: Payment) -> str:
    # A new key only after the provider reported a processing error (a real new attempt);
    # a step retried after a crash reuses the key and gets the same intent back.
    return f"{payment.payment_id}:{payment.provider_attempt}"


def request(payment_id: str, task_token: str) -> dict[str, Any]:
    """The saga's Pay step: store the token, ask the provider, settle what it said.

    Raises PaymentProcessingError (retryable) when the provider could not decide.
    """
    repo = repository.get()
    repo.get_payment(payment_id)  # NotFoundError before anything is written
    payment = repo.set_task_token(payment_id, task_token)
    if not payment.is_open:
        # An earlier attempt settled it; answer this attempt's token the same way.
        _answer(payment)
        return {"payment_id": payment_id, "status": str(payment.status)}
    try:
        result = providers.provider().create_payment(
            amount=payment.amount,
            currency=payment.currency,
            method=payment.method,
            idempotency_key=_idempotency_key(payment),
            metadata={"payment_id": payment.payment_id, "checkout_id": payment.checkout_id},
        )
    except PaymentProcessingError:
        repo.count_provider_attempt(payment_id)
        metrics.add_metric(name="PaymentProcessingErrors", unit="Count", value=1)
        raise
    if result.intent_id:
        repo.set_intent(payment_id, result.intent_id)
    if result.status == "requires_action":
        repo.move_payment(
            payment_id,
            PaymentStatus.REQUIRES_ACTION,
            expected=OPEN_PAYMENT,
            next_action=result.next_action,
        )
        return {"payment_id": payment_id, "status": str(PaymentStatus.REQUIRES_ACTION)}
    settle(payment_id, result)
    return {"payment_id": payment_id, "status": str(repo.get_payment(payment_id).status)}


def settle(payment_id: str, result: ProviderResult) -> Payment:
    """Record the provider's final answer once, announce it, resume the saga.

    Idempotent: an answer for a payment that is no longer open changes nothing, except a
    success after the saga cancelled the payment, which is refunded.
    """
    repo = repository.get()
    payment = repo.get_payment(payment_id)
    succeeded = result.status == "succeeded"
    payment, moved = repo.move_payment(
        payment_id,
        PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED,
        expected=OPEN_PAYMENT,
        intent_id=result.intent_id or payment.intent_id,
        failure_code=None if succeeded else (result.failure_code or "card_declined"),
    )
    if not moved:
        if succeeded and payment.status == PaymentStatus.CANCELLED:
            logger.warning("Payment succeeded after the saga cancelled it; refunding")
            refund_all(repo.set_intent(payment_id, result.intent_id))
        return payment
    bus.publish(
        PaymentSucceeded.of(payment) if succeeded else PaymentFailed.of(payment), best_effort=True
    )
    metrics.add_metric(
        name="PaymentsSucceeded" if succeeded else "PaymentsFailed", unit="Count", value=1
    )
    _answer(payment)
    return payment


def _answer(payment: Payment) -> None:
    """Resume the waiting saga with the payment's outcome (a stale token is ignored)."""
    if not payment.task_token:
        return
    if payment.status == PaymentStatus.SUCCEEDED:
        workflow.get().succeed(
            payment.task_token,
            {"payment_id": payment.payment_id, "status": str(PaymentStatus.SUCCEEDED)},
        )
    elif payment.status == PaymentStatus.FAILED:
        code = payment.failure_code or "card_declined"
        workflow.get().fail(
            payment.task_token, FAILURE_ERRORS.get(code, PaymentDeclinedError.__name__), code
        )


def cancel_or_refund(payment_id: str) -> str:
    """Compensation: void an open payment, refund a captured one; idempotent."""
    repo = repository.get()
    payment = repo.get_payment(payment_id)
    while True:
        if payment.is_open:
            if payment.intent_id:
                after = providers.provider().cancel(payment.intent_id)
                if after == "succeeded":
                    settle(payment_id, ProviderResult(payment.intent_id, "succeeded"))
                    payment = repo.get_payment(payment_id)
                    continue
            payment, moved = repo.move_payment(
                payment_id, PaymentStatus.CANCELLED, expected=OPEN_PAYMENT
            )
            if moved:
                return str(PaymentStatus.CANCELLED)
            continue  # settled meanwhile: look again
        if payment.status == PaymentStatus.SUCCEEDED:
            refund_all(payment)
            return str(PaymentStatus.REFUNDED)
        return str(payment.status)


def refund_all(payment: Payment) -> None:
    """Refund what is left of a captured payment and mark it REFUNDED."""
    left = payment.amount - payment.refunded
    if left > 0 and payment.intent_id:
        providers.provider().refund(payment.intent_id, left, f"refund:{payment.payment_id}:rest")
    repository.get().move_payment(
        payment.payment_id,
        PaymentStatus.REFUNDED,
        expected=frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED}),
        refunded=payment.amount,
    )


def refund_part(payment_id: str, amount: int, key: str) -> Payment:
    """Refund ``amount`` of a captured payment once per ``key`` (one order of a multi-shop
    checkout: its order id); the payment as it is now.

    A key already counted on the payment does not ask the provider again; the provider
    call carries the idempotency key ``refund:<payment id>:<key>``, so a request retried
    between the provider's answer and the count refunds once too. Once nothing is left,
    the payment is REFUNDED and its PAID checkout REFUNDED (each step repeatable).
    """
    repo = repository.get()
    payment = repo.get_payment(payment_id)
    refundable = payment.status == PaymentStatus.SUCCEEDED and payment.intent_id
    if amount > 0 and refundable and key not in payment.refund_keys:
        providers.provider().refund(
            str(payment.intent_id), amount, f"refund:{payment.payment_id}:{key}"
        )
        payment, counted = repo.add_refund(payment_id, amount, key)
        if counted:
            metrics.add_metric(name="RefundsIssued", unit="Count", value=1)
    if payment.status == PaymentStatus.SUCCEEDED and payment.refunded >= payment.amount > 0:
        payment, _ = repo.move_payment(
            payment_id, PaymentStatus.REFUNDED, expected=frozenset({PaymentStatus.SUCCEEDED})
        )
    if payment.status == PaymentStatus.REFUNDED:
        checkout = repo.get_checkout(payment.checkout_id)
        if checkout.status == CheckoutStatus.PAID:
            repo.set_checkout_status(checkout.checkout_id, CheckoutStatus.REFUNDED)
    return payment


# ---------- webhooks ----------
def verify(raw_body: bytes, signature: str | None) -> dict[str, Any]:
    """The event in a webhook body whose Stripe signature verifies; else WebhookSignatureError."""
    settings = get_settings()
    return providers.verify_webhook(
        raw_body,
        signature,
        settings.stripe_webhook_secret.get_secret_value(),
        tolerance=settings.webhook_tolerance_seconds,
    )


def handle_webhook(raw_body: bytes, signature: str | None) -> dict[str, Any]:
    """Verify and apply a provider event once (a redelivered event id changes nothing)."""
    event = verify(raw_body, signature)
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        raise WebhookSignatureError("Webhook event has no id")
    repo = repository.get()
    if not repo.claim_webhook(event_id, event_type):
        return {"received": True, "duplicate": True}
    try:
        _apply(event_type, event.get("data", {}).get("object", {}))
    except Exception:
        # Not applied: forget the receipt so the provider's redelivery is processed.
        repo.forget_webhook(event_id)
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


def signed_webhook(event: dict[str, Any]) -> dict[str, Any]:
    """Apply an event a provider of this deployment produced itself (the simulator's
    3-D Secure confirmation), signed with the webhook secret as the provider would."""
    body = providers.dumps(event)
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    return handle_webhook(body, providers.signature_header(body, secret))
