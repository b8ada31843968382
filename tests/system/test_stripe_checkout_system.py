"""The checkout saga with the Stripe provider, on a local cloud of its own.

The cloud is configured with a Stripe key and talks to a Stripe-shaped API on loopback
(tests/fixtures/fake_stripe.py: no network reaches Stripe from here). Shoppers pay with
Stripe's test PaymentMethods and on the hosted Checkout page; Stripe's side of a payment
reports through signed webhooks, as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.cloud import local_cloud, pointed_at, wait_for
from tests.fixtures.fake_stripe import FakeStripe, serve
from tests.system.test_checkout_system import (
    SHIP_TO,
    World,
    add_to_cart,
    checkout,
    make_world,
    new_product,
    settled,
    stock_of,
)

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def stripe() -> Iterator[FakeStripe]:
    fake, server = serve()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def world(stripe: FakeStripe) -> Iterator[World]:
    key = "sk_test_bazaar"  # the template's StripeApiKey parameter, as a deploy would set it
    with (
        local_cloud(
            {
                "LOCALCLOUD_PARAMETERS": json.dumps({"StripeApiKey": key}),
                "BAZAAR_STRIPE_API_BASE": stripe.url,
            }
        ) as cloud,
        pointed_at(cloud, BAZAAR_STRIPE_API_KEY=key, BAZAAR_STRIPE_API_BASE=stripe.url),
    ):
        yield from make_world(cloud, shoppers=4)


def _webhook(world: World, event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.core.settings import LOCAL_WEBHOOK_SECRET
    from chalicelib.orders.providers import dumps, signature_header

    body = dumps(event)
    answer = world.http.post(
        "/payments/webhook",
        content=body,
        headers={"Stripe-Signature": signature_header(body, LOCAL_WEBHOOK_SECRET)},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _succeeded(intent: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.orders.providers import intent_event

    return intent_event(
        "payment_intent.succeeded",
        intent_id=intent["id"],
        amount=int(intent["amount"]),
        currency=str(intent["currency"]),
        metadata=dict(intent["metadata"]),
        status="succeeded",
    )


def test_a_card_checkout_is_paid_through_one_payment_intent(
    world: World, stripe: FakeStripe
) -> None:
    shopper = world.shopper()
    product = new_product(world, 5)
    add_to_cart(world, shopper, product, 2)
    refused = world.http.post(
        "/checkout",
        headers={**shopper.headers, "Idempotency-Key": "stripe-card-0001"},
        json={"payment_method": "4242 4242 4242 4242", "shipping_address": SHIP_TO},
    )
    assert refused.status_code == 422, refused.text  # Stripe takes PaymentMethods, not cards
    started = checkout(world, shopper, "pm_card_visa")
    done = settled(world, shopper, started["checkout_id"])
    assert (done["status"], done["payment"]["status"]) == ("PAID", "SUCCEEDED")
    payment_id = started["payment"]["payment_id"]
    sent = [
        r for r in stripe.requests if r.params.get("metadata", {}).get("payment_id") == payment_id
    ]
    assert [(r.path, r.idempotency_key) for r in sent] == [
        ("/v1/payment_intents", f"{payment_id}:0")
    ]
    assert sent[0].params["amount"] == "5000"
    assert stock_of(world, product) == 3


def test_a_declined_card_cancels_with_the_reason(world: World) -> None:
    shopper = world.shopper()
    product = new_product(world, 5)
    add_to_cart(world, shopper, product)
    started = checkout(world, shopper, "pm_card_visa_chargeDeclinedInsufficientFunds")
    done = settled(world, shopper, started["checkout_id"])
    assert (done["status"], done["reason"]) == ("CANCELLED", "INSUFFICIENT_FUNDS")
    assert stock_of(world, product) == 5


def test_the_hosted_checkout_page_pays_through_the_webhook(
    world: World, stripe: FakeStripe
) -> None:
    shopper = world.shopper()
    product = new_product(world, 5)
    add_to_cart(world, shopper, product)
    started = checkout(world, shopper, "checkout_session")
    checkout_id = started["checkout_id"]

    def redirect() -> str | None:
        body = world.http.get(f"/checkouts/{checkout_id}", headers=shopper.headers).json()
        action = body["payment"].get("next_action") or {}
        return action.get("redirect_to_url", {}).get("url")

    url = wait_for(redirect, what="the Checkout Session's URL")
    session_id = url.rsplit("/", 1)[-1]
    assert url.startswith("https://checkout.stripe.com/")
    intent = stripe.pay_session(session_id)  # the shopper pays on Stripe's page
    assert _webhook(world, _succeeded(intent)) == {"received": True, "duplicate": False}
    done = settled(world, shopper, checkout_id)
    assert (done["status"], done["payment"]["status"]) == ("PAID", "SUCCEEDED")
    assert stock_of(world, product) == 4
    assert _webhook(world, _succeeded(intent))["received"] is True
    assert stripe.refunds == []
