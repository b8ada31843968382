"""Payment providers behind one interface: Stripe, or the simulator on local and test stages.

``provider()`` picks Stripe when ``BAZAAR_STRIPE_API_KEY`` is set (or
``BAZAAR_PAYMENT_PROVIDER`` says so), the simulator otherwise: the development package
installs it (``chalicelib.dev.payments``, local and test stages only). Both take an
idempotency key per attempt, so a retried step never charges twice. Also here: the
Stripe-shaped webhook events and signatures both providers' webhooks use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Protocol

from chalicelib.core.errors import DependencyUnavailableError, ValidationFailedError
from chalicelib.core.settings import get_settings
from chalicelib.orders.errors import PaymentProcessingError, WebhookSignatureError

HOSTED_CHECKOUT = "checkout_session"
_PAYMENT_METHOD = re.compile(r"^pm_[A-Za-z0-9_]{1,60}$")


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

    def accept_method(self, method: str) -> str:
        """The method as the provider stores it; ValidationFailedError if it takes no such."""
        ...

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

    def accept_method(self, method: str) -> str:
        if method != HOSTED_CHECKOUT and not _PAYMENT_METHOD.match(method):
            raise ValidationFailedError(
                "payment_method must be a Stripe PaymentMethod id (pm_...) or "
                f"{HOSTED_CHECKOUT!r} for Stripe's hosted checkout page",
                details=[{"field": "payment_method", "message": "not a Stripe method"}],
            )
        return method

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


_simulator: Callable[[], PaymentProvider] | None = None


def use_simulator(factory: Callable[[], PaymentProvider] | None) -> None:
    """Install the provider used when Stripe is not configured (the development package's
    simulator, on local and test stages); None removes it."""
    global _simulator
    _simulator = factory


def provider() -> PaymentProvider:
    """The configured provider; DependencyUnavailableError when there is none."""
    settings = get_settings()
    if settings.payments_provider == "stripe" and settings.stripe_api_key is not None:
        return _stripe(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base)
    if _simulator is None:
        raise DependencyUnavailableError(
            "No payment provider is configured (set BAZAAR_STRIPE_API_KEY)"
        )
    return _simulator()


def dumps(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def verify_webhook(
    raw_body: bytes, signature: str | None, secret: str, *, tolerance: int
) -> dict[str, Any]:
    """The event in a webhook body whose Stripe signature verifies; else WebhookSignatureError."""
    import stripe

    try:
        stripe.Webhook.construct_event(raw_body, signature or "", secret, tolerance=tolerance)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookSignatureError(f"Webhook rejected: {error}") from None
    event: dict[str, Any] = json.loads(raw_body)
    return event
