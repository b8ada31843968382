"""A checkout whose first request died between storing it and starting its saga."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.cart import service as cart_service
from chalicelib.core import aws
from chalicelib.core.caller import Caller, Role
from chalicelib.core.settings import get_settings
from chalicelib.orders.domain import ShippingAddress
from chalicelib.orders.service import checkout
from localcloud.deploy import Deployment
from tests.integration.orders.seed import products_with_stock


class Crash(Exception):
    """The process died here."""


HOME = ShippingAddress(
    name="Ada", line1="1 Market St", city="Berlin", postal_code="10115", country="DE"
)


def test_the_retried_request_starts_the_saga_once(
    aws_env: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    (lamp,) = products_with_stock(5)
    shopper = Caller(uuid.uuid4().hex, Role.USER, "shopper@example.com")
    cart_service.add_item(shopper, lamp, 1)

    def crash(_: object) -> None:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(checkout, "_start", crash)
        with pytest.raises(Crash):
            checkout.place(
                shopper,
                idempotency_key="retry-key-01",
                payment_method="4242424242424242",
                shipping_address=HOME,
            )

    # The client retries with the same key: the stored checkout, and now its saga.
    stored, created = checkout.place(
        shopper,
        idempotency_key="retry-key-01",
        payment_method="4242424242424242",
        shipping_address=HOME,
    )
    again, _ = checkout.place(
        shopper,
        idempotency_key="retry-key-01",
        payment_method="4242424242424242",
        shipping_address=HOME,
    )
    assert (created, again.checkout.checkout_id) == (False, stored.checkout.checkout_id)
    states = aws.client("stepfunctions")
    arn = str(get_settings().checkout_state_machine_arn)
    executions = states.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in executions] == [f"checkout-{stored.checkout.checkout_id}"]
