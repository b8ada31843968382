"""Order lifecycle, cancellation reasons, fault plans and webhook signatures (no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import ForbiddenError, ValidationFailedError
from chalicelib.core.settings import LOCAL_WEBHOOK_SECRET, reset_settings
from chalicelib.orders import domain, faults
from chalicelib.orders.errors import (
    IllegalTransitionError,
    InjectedBusinessError,
    InjectedTransientError,
    WebhookSignatureError,
)
from chalicelib.orders.providers import dumps, intent_event, signature_header
from chalicelib.orders.service import payments
from chalicelib.orders.service.orders import check_transition


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("PENDING", "PAID"),
        ("PAID", "SHIPPED"),
        ("SHIPPED", "DELIVERED"),
        ("PAID", "CANCELLED"),
        ("PENDING", "CANCELLED"),
        ("DELIVERED", "REFUNDED"),
    ],
)
def test_legal_transitions_pass(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("PENDING", "SHIPPED"),
        ("PAID", "DELIVERED"),
        ("SHIPPED", "CANCELLED"),
        ("CANCELLED", "PAID"),
        ("REFUNDED", "PAID"),
        ("DELIVERED", "CANCELLED"),
    ],
)
def test_illegal_transitions_are_conflicts(current: str, target: str) -> None:
    with pytest.raises(IllegalTransitionError) as raised:
        check_transition(current, target)
    assert raised.value.details["from"] == current


def test_saga_errors_map_to_machine_readable_reasons() -> None:
    assert domain.reason_for("OutOfStockError") == "OUT_OF_STOCK"
    assert domain.reason_for("InsufficientFundsError") == "INSUFFICIENT_FUNDS"
    assert domain.reason_for("States.Timeout") == "PAYMENT_TIMEOUT"
    assert domain.reason_for("InjectedBusinessError") == "CHECKOUT_FAILED"


def test_fault_plans_are_refused_unless_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAZAAR_FAULT_INJECTION", raising=False)
    reset_settings()
    with pytest.raises(ForbiddenError):
        faults.parse_plan('{"reserve": "business"}')
    assert faults.parse_plan(None) is None
    faults.before("reserve", {"reserve": "business"}, 0)  # ignored when off


def test_fault_plans_fail_steps_as_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZAAR_FAULT_INJECTION", "true")
    reset_settings()
    try:
        plan = faults.parse_plan(
            '{"reserve": "transient:2", "confirm": "business", "pay": "after:1"}'
        )
        with pytest.raises(InjectedTransientError):
            faults.before("reserve", plan, 1)
        faults.before("reserve", plan, 2)
        with pytest.raises(InjectedBusinessError):
            faults.before("confirm", plan, 5)
        with pytest.raises(InjectedTransientError):
            faults.after("pay", plan, 0)
        with pytest.raises(ValidationFailedError):
            faults.parse_plan('{"release": "business"}')  # compensations must finish
    finally:
        monkeypatch.delenv("BAZAAR_FAULT_INJECTION")
        reset_settings()


def test_fault_injection_is_refused_on_deployed_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from chalicelib.core.settings import Settings

    with pytest.raises(ValidationError):
        Settings(stage="prod", fault_injection=True)


def test_a_stripe_api_address_is_for_local_and_test_stages_only() -> None:
    from pydantic import ValidationError

    from chalicelib.core.settings import Settings

    assert Settings(stage="test", stripe_api_base="http://127.0.0.1:12111").stripe_api_base
    with pytest.raises(ValidationError, match="local and test stages only"):
        Settings(stage="prod", stripe_api_base="http://127.0.0.1:12111")
    with pytest.raises(ValidationError, match="http"):
        Settings(stage="test", stripe_api_base="file:///etc/passwd")


def test_webhook_signatures_are_checked_on_the_raw_body() -> None:
    event = intent_event(
        "payment_intent.succeeded",
        intent_id="pi_1",
        amount=100,
        currency="USD",
        metadata={},
        status="succeeded",
    )
    body = dumps(event)
    header = signature_header(body, LOCAL_WEBHOOK_SECRET)
    assert payments.verify(body, header)["id"] == event["id"]
    with pytest.raises(WebhookSignatureError):
        payments.verify(body + b" ", header)
    with pytest.raises(WebhookSignatureError):
        payments.verify(body, signature_header(body, "whsec_someone_else"))
    with pytest.raises(WebhookSignatureError):
        payments.verify(body, None)


def test_order_and_cart_lines_count_units_by_the_catalogs_stock_key() -> None:
    # Reservations and restocks hand the orders' line keys to the catalog, the saga hands
    # them to the cart: all three spell a product's and a variant's key the same way.
    from chalicelib.cart.domain import line_key as cart_key
    from chalicelib.catalog.domain import split_stock_key, stock_key
    from chalicelib.orders.domain import line_key as order_key

    for sku in (None, "black-42"):
        assert order_key("p1", sku) == cart_key("p1", sku) == stock_key("p1", sku)
        assert split_stock_key(order_key("p1", sku)) == ("p1", sku)
