"""Payment providers behind one interface: Stripe, and a simulator of Stripe's test cards.

``provider()`` picks Stripe when ``BAZAAR_STRIPE_API_KEY`` is set (or
``BAZAAR_PAYMENT_PROVIDER`` says so), the simulator otherwise. Both take an idempotency
key per attempt, so a retried step never charges twice.

The simulator answers like Stripe's documented test cards:

==========================  =========================================================
card                        outcome
==========================  =========================================================
4242 4242 4242 4242         succeeded
4000 0000 0000 0002         declined, ``card_declined`` (generic decline)
4000 0000 0000 9995         declined, ``insufficient_funds``
4000 0000 0000 0069         declined, ``expired_card``
4000 0000 0000 0127         declined, ``incorrect_cvc``
4000 0000 0000 0119         ``processing_error`` on the first two attempts of a payment,
                            then succeeded (Stripe's card always fails; ours lets the
                            saga's Retry be seen working)
4000 0025 0000 3155         ``requires_action`` (3-D Secure): completes when the shopper
                            confirms, through the same signed webhook Stripe would send
==========================  =========================================================
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Protocol

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.core import aws, clock
from chalicelib.core.settings import get_settings
from chalicelib.orders.errors import PaymentProcessingError
from chalicelib.orders.models import SimulatedIntent

TEST_CARDS: dict[str, tuple[str, str | None]] = {
    "4242424242424242": ("succeeded", None),
    "4000000000000002": ("failed", "card_declined"),
    "4000000000009995": ("failed", "insufficient_funds"),
    "4000000000000069": ("failed", "expired_card"),
    "4000000000000127": ("failed", "incorrect_cvc"),
    "4000000000000119": ("processing_error", "processing_error"),
    "4000002500003155": ("requires_action", None),
}
PROCESSING_ERRORS_BEFORE_SUCCESS = 2


@dataclass(frozen=True)
class ProviderResult:
    """What the provider said about a payment attempt."""

    intent_id: str
    status: Literal["succeeded", "requires_action", "failed"]
    failure_code: str | None = None
    next_action: dict[str, Any] | None = field(default=None)


class PaymentProvider(Protocol):
    """One way to take money. Raises PaymentProcessingError for retryable failures."""

    name: str

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ProviderResult: ...

    def cancel(self, intent_id: str) -> str:
        """Cancel an uncaptured intent; returns the intent's status afterwards."""
        ...

    def refund(self, intent_id: str, amount: int, idempotency_key: str) -> None: ...


def normalize_card(method: str) -> str:
    return "".join(ch for ch in method if ch.isdigit())


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``: ``t=<ts>,v1=HMAC-SHA256(secret, t.body)``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def intent_event(
    event_type: str,
    *,
    intent_id: str,
    amount: int,
    currency: str,
    metadata: dict[str, Any],
    status: str,
    failure_code: str | None = None,
) -> dict[str, Any]:
    """A Stripe-shaped ``payment_intent.*`` event."""
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": currency.lower(),
        "status": status,
        "metadata": metadata,
        "last_payment_error": {"code": failure_code} if failure_code else None,
    }
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": intent},
    }


class SimulatedProvider:
    """Stripe's test cards, kept in the orders table (``SIMPI#`` items)."""

    name = "simulated"

    @staticmethod
    def intent_id_for(idempotency_key: str) -> str:
        return "pi_sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def _processing_errors_so_far(self, payment_id: str) -> int:
        result = aws.client("dynamodb").update_item(
            TableName=get_settings().orders_table,
            Key={"pk": {"S": f"SIMERR#{payment_id}"}, "sk": {"S": "COUNT"}},
            UpdateExpression="ADD errors :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_OLD",
        )
        return int(result.get("Attributes", {}).get("errors", {}).get("N", "0"))

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ProviderResult:
        intent_id = self.intent_id_for(idempotency_key)
        existing = self.get(intent_id)
        if existing is not None:  # same idempotency key: the same answer, no second charge
            return self._result(existing)
        outcome, code = TEST_CARDS.get(normalize_card(method), ("failed", "card_declined"))
        if outcome == "processing_error":
            if self._processing_errors_so_far(metadata["payment_id"]) < (
                PROCESSING_ERRORS_BEFORE_SUCCESS
            ):
                raise PaymentProcessingError("processing_error: try again")
            outcome, code = "succeeded", None
        intent = SimulatedIntent(
            pk=f"SIMPI#{intent_id}",
            intent_id=intent_id,
            amount=amount,
            currency=currency,
            status=outcome,
            failure_code=code,
            captured=amount if outcome == "succeeded" else 0,
            metadata=dict(metadata),
            created_at=clock.now(),
        )
        try:
            intent.save(condition=SimulatedIntent.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            found = self.get(intent_id)
            assert found is not None
            return self._result(found)
        return self._result(intent)

    def _result(self, intent: SimulatedIntent) -> ProviderResult:
        status: Any = intent.status
        next_action = None
        if status == "requires_action":
            payment_id = intent.metadata.get("payment_id")
            next_action = {"type": "confirm", "url": f"/payments/{payment_id}/confirm"}
        return ProviderResult(
            intent_id=intent.intent_id,
            status=status,
            failure_code=intent.failure_code,
            next_action=next_action,
        )

    def get(self, intent_id: str) -> SimulatedIntent | None:
        try:
            return SimulatedIntent.get(f"SIMPI#{intent_id}", "INTENT", consistent_read=True)
        except SimulatedIntent.DoesNotExist:
            return None

    def complete_action(self, intent_id: str, *, succeed: bool) -> dict[str, Any] | None:
        """The shopper finished (or failed) 3-D Secure: the webhook event Stripe would send.

        None when the intent no longer waits for an action (already completed or cancelled).
        """
        intent = self.get(intent_id)
        if intent is None:
            return None
        status = "succeeded" if succeed else "failed"
        try:
            intent.update(
                actions=[
                    SimulatedIntent.status.set(status),
                    SimulatedIntent.captured.set(intent.amount if succeed else 0),
                    SimulatedIntent.failure_code.remove()
                    if succeed
                    else SimulatedIntent.failure_code.set("authentication_required"),
                ],
                condition=SimulatedIntent.status == "requires_action",
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return None
        return intent_event(
            "payment_intent.succeeded" if succeed else "payment_intent.payment_failed",
            intent_id=intent_id,
            amount=int(intent.amount),
            currency=intent.currency,
            metadata=dict(intent.metadata),
            status=status,
            failure_code=None if succeed else "authentication_required",
        )

    def cancel(self, intent_id: str) -> str:
        intent = self.get(intent_id)
        if intent is None:
            return "canceled"
        try:
            intent.update(
                actions=[SimulatedIntent.status.set("canceled")],
                condition=SimulatedIntent.status == "requires_action",
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            intent.refresh(consistent_read=True)
            return str(intent.status)
        return "canceled"

    def refund(self, intent_id: str, amount: int, idempotency_key: str) -> None:
        intent = self.get(intent_id)
        if intent is None or idempotency_key in (intent.refund_keys or []):
            return
        try:
            intent.update(
                actions=[
                    SimulatedIntent.refunded.add(amount),
                    SimulatedIntent.refund_keys.set(
                        SimulatedIntent.refund_keys.append([idempotency_key])
                    ),
                ],
                condition=(SimulatedIntent.status == "succeeded")
                & ~SimulatedIntent.refund_keys.contains(idempotency_key),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


HOSTED_CHECKOUT = "checkout_session"


class StripeProvider:
    """Stripe PaymentIntents and hosted Checkout Sessions, with Stripe idempotency keys.

    ``method`` is a PaymentMethod id (``pm_...``), confirmed server-side, or
    ``checkout_session``: a hosted Checkout Session the shopper pays on Stripe's page
    (``next_action`` carries its URL). Either way the outcome arrives as
    ``payment_intent.*`` webhooks carrying our metadata, which settle the payment.
    """

    name = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        import stripe  # ~160 ms: imported only where Stripe is configured

        self._stripe = stripe
        self.client = stripe.StripeClient(
            api_key,
            max_network_retries=2,
            base_addresses={"api": api_base} if api_base else None,
        )

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ProviderResult:
        stripe = self._stripe
        try:
            if method == HOSTED_CHECKOUT:
                return self._hosted(amount, currency, idempotency_key, metadata)
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": currency.lower(),
                    "payment_method": method,
                    "confirm": True,
                    "metadata": metadata,
                    "return_url": get_settings().checkout_return_url,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            code = str(error.code or "card_declined")
            if code == "processing_error":
                raise PaymentProcessingError("processing_error: try again") from None
            decline = getattr(error, "error", None)
            decline_code = getattr(decline, "decline_code", None) if decline else None
            declined_intent = getattr(decline, "payment_intent", None) if decline else None
            intent_id = str(getattr(declined_intent, "id", "") or "")
            return ProviderResult(
                intent_id=intent_id, status="failed", failure_code=str(decline_code or code)
            )
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise PaymentProcessingError(f"Stripe unavailable: {type(error).__name__}") from None
        status = str(intent.status)
        if status == "succeeded":
            return ProviderResult(intent_id=intent.id, status="succeeded")
        if status in ("requires_action", "processing"):
            action = intent.next_action.to_dict() if intent.next_action else None
            return ProviderResult(intent_id=intent.id, status="requires_action", next_action=action)
        return ProviderResult(intent_id=intent.id, status="failed", failure_code=status)

    def _hosted(
        self, amount: int, currency: str, idempotency_key: str, metadata: dict[str, str]
    ) -> ProviderResult:
        """A Checkout Session for the whole checkout; the shopper pays at its URL."""
        settings = get_settings()
        session = self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": amount,
                            "product_data": {"name": f"Bazaar order {metadata['checkout_id']}"},
                        },
                    }
                ],
                "payment_intent_data": {"metadata": metadata},
                "metadata": metadata,
                "success_url": settings.checkout_return_url,
                "cancel_url": settings.checkout_return_url,
            },
            options={"idempotency_key": idempotency_key},
        )
        return ProviderResult(
            intent_id=session.id,
            status="requires_action",
            next_action={"type": "redirect_to_url", "redirect_to_url": {"url": str(session.url)}},
        )

    def cancel(self, intent_id: str) -> str:
        """Void the payment; "succeeded" when it was paid first (the caller refunds)."""
        stripe = self._stripe
        if intent_id.startswith("cs_"):
            try:
                self.client.v1.checkout.sessions.expire(intent_id)
                return "canceled"
            except stripe.InvalidRequestError:
                session = self.client.v1.checkout.sessions.retrieve(intent_id)
                return "succeeded" if session.payment_status == "paid" else str(session.status)
        try:
            intent = self.client.v1.payment_intents.cancel(intent_id)
        except stripe.InvalidRequestError:
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        return "canceled" if intent.status == "canceled" else str(intent.status)

    def refund(self, intent_id: str, amount: int, idempotency_key: str) -> None:
        if intent_id.startswith("cs_"):  # a paid session whose webhook has not come yet
            session = self.client.v1.checkout.sessions.retrieve(intent_id)
            paid = session.payment_intent
            intent_id = paid if isinstance(paid, str) else str(getattr(paid, "id", ""))
        self.client.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount},
            options={"idempotency_key": idempotency_key},
        )


@cache
def _stripe(api_key: str, api_base: str | None) -> StripeProvider:
    return StripeProvider(api_key, api_base)


def provider() -> PaymentProvider:
    """The configured provider."""
    settings = get_settings()
    if settings.payments_provider == "stripe" and settings.stripe_api_key is not None:
        return _stripe(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base)
    return SimulatedProvider()


def dumps(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
