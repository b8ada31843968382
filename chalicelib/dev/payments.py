"""The payment simulator (local and test stages): Stripe's test cards, and the route a
shopper uses to finish 3-D Secure.

``install()`` makes it the provider orders uses when Stripe is not configured; ``app.py``
and the saga's task handler call it on the local and test stages only. Its intents live in
the orders table, reached through orders' service (``chalicelib.orders.service.intents``).

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
                            confirms (``POST /payments/{id}/confirm``), through the same
                            signed webhook Stripe would send
==========================  =========================================================
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalice import Blueprint

from chalicelib.core.caller import Caller
from chalicelib.core.errors import NotFoundError, ValidationFailedError
from chalicelib.core.validation import RequestModel
from chalicelib.orders.errors import PaymentProcessingError
from chalicelib.orders.providers import ProviderResult, intent_event, use_simulator
from chalicelib.orders.service import intents, payments
from chalicelib.orders.service.intents import Intent
from chalicelib.web.access import SIGNED_IN
from chalicelib.web.routing import api_route

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
NAME = "simulated"


def normalize_card(method: str) -> str:
    return "".join(ch for ch in method if ch.isdigit())


class SimulatedProvider:
    """Stripe's test cards, kept in the orders table."""

    name = NAME

    @staticmethod
    def intent_id_for(idempotency_key: str) -> str:
        return "pi_sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def accept_method(self, method: str) -> str:
        card = normalize_card(method)
        if card not in TEST_CARDS:
            raise ValidationFailedError(
                "The simulated provider accepts Stripe's test cards only",
                details={"cards": sorted(TEST_CARDS)},
            )
        return card

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
            errors_so_far = intents.count_processing_error(metadata["payment_id"])
            if errors_so_far < PROCESSING_ERRORS_BEFORE_SUCCESS:
                raise PaymentProcessingError("processing_error: try again")
            outcome, code = "succeeded", None
        stored = intents.add(
            intent_id,
            amount=amount,
            currency=currency,
            status=outcome,
            failure_code=code,
            captured=amount if outcome == "succeeded" else 0,
            metadata=metadata,
        )
        return self._result(stored)

    def _result(self, intent: Intent) -> ProviderResult:
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

    def get(self, intent_id: str) -> Intent | None:
        return intents.get(intent_id)

    def complete_action(self, intent_id: str, *, succeed: bool) -> dict[str, Any] | None:
        """The shopper finished (or failed) 3-D Secure: the webhook event Stripe would send.

        None when the intent no longer waits for an action (already completed or cancelled).
        """
        status = "succeeded" if succeed else "failed"
        failure = None if succeed else "authentication_required"
        intent = self.get(intent_id)
        if intent is None:
            return None
        _, moved = intents.move(
            intent_id,
            status,
            captured=intent.amount if succeed else 0,
            failure_code=failure,
        )
        if not moved:
            return None
        return intent_event(
            "payment_intent.succeeded" if succeed else "payment_intent.payment_failed",
            intent_id=intent_id,
            amount=intent.amount,
            currency=intent.currency,
            metadata=dict(intent.metadata),
            status=status,
            failure_code=failure,
        )

    def cancel(self, intent_id: str) -> str:
        if self.get(intent_id) is None:
            return "canceled"
        intent, moved = intents.move(intent_id, "canceled")
        if moved or intent is None:
            return "canceled"
        return intent.status

    def refund(self, intent_id: str, amount: int, idempotency_key: str) -> None:
        intent = self.get(intent_id)
        if intent is None or idempotency_key in intent.refund_keys:
            return
        intents.refund(intent_id, amount, idempotency_key)


def install() -> None:
    """Make the simulator the provider used when Stripe is not configured."""
    use_simulator(SimulatedProvider)


# ---------- the simulator's page: the shopper confirms 3-D Secure ----------
bp = Blueprint(__name__)


class ConfirmRequest(RequestModel):
    """Simulated 3-D Secure: complete (true) or fail (false) the authentication."""

    succeed: bool = True


@api_route(
    bp,
    "/payments/{payment_id}/confirm",
    methods=["POST"],
    summary="Simulated provider: complete 3-D Secure for your payment (sends the webhook)",
    tags=["orders"],
    request_model=ConfirmRequest,
    access=SIGNED_IN,
    errors=[404],
)
def confirm_payment(payment_id: str, body: ConfirmRequest, caller: Caller) -> dict[str, Any]:
    payment = payments.payment_for(caller, payment_id)
    if payment.provider != NAME or not payment.intent_id:
        raise NotFoundError("Nothing to confirm for this payment")
    event = SimulatedProvider().complete_action(payment.intent_id, succeed=body.succeed)
    if event is not None:
        payments.signed_webhook(event)  # as Stripe would: the signed webhook settles it
    return {"payment_id": payment_id, "status": str(payments.get_payment(payment_id).status)}
