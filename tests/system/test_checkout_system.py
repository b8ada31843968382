"""The checkout saga end to end on the running local cloud, with the simulated provider.

Shoppers and a seller are provisioned in this process against the cloud's tables (no
sign-up round trips) and sign in through ``POST /auth/login`` (the test cloud raises the
per-IP login limit: see tests/fixtures/cloud.py); everything they do goes through the REST
API.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.accounts import sign_in
from tests.fixtures.cloud import RunningCloud, pointed_at, wait_for

pytestmark = pytest.mark.system
VISA = "4242 4242 4242 4242"
DECLINE = "4000000000000002"
NO_FUNDS = "4000000000009995"
PROCESSING = "4000000000000119"
THREE_DS = "4000002500003155"


@dataclass
class Person:
    account_id: str
    headers: dict[str, str]


@dataclass
class World:
    cloud: RunningCloud
    seller: Person
    other_seller: Person
    admin: Person
    shoppers: list[Person]
    http: httpx.Client

    def shopper(self) -> Person:
        return self.shoppers.pop()


PASSWORD = "Checkout-Pass-2026"


def _person(http: httpx.Client, email: str, role: str) -> Person:
    """A verified account (provisioned directly), signed in through the API."""
    from chalicelib.identity.service import admin

    account = admin.provision_account(email, PASSWORD, role=role)  # type: ignore[arg-type]
    return Person(account.account_id, sign_in(http, email, PASSWORD))


@pytest.fixture(scope="module")
def world(cloud: RunningCloud) -> Iterator[World]:
    with pointed_at(cloud, BAZAAR_FAULT_INJECTION="true"):
        yield from make_world(cloud)


def make_world(cloud: RunningCloud, shoppers: int = 44) -> Iterator[World]:
    """Two sellers with shops, an admin and ``shoppers`` shoppers, all signed in."""
    from chalicelib.dev import demo

    run = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=cloud.rest, timeout=30) as http:
        seller_email = f"co.seller.{run}@orders.example.com"
        other_email = f"co.other.{run}@orders.example.com"
        seller = _person(http, seller_email, "seller")
        other = _person(http, other_email, "seller")
        demo.ensure_categories()
        demo.ensure_shop(seller.account_id, f"Checkout Shop {run}", "home")
        demo.ensure_shop(other.account_id, f"Other Shop {run}", "home")
        # A fresh sign-in: its token carries the shop id the seller got meanwhile.
        seller = Person(seller.account_id, sign_in(http, seller_email, PASSWORD))
        other = Person(other.account_id, sign_in(http, other_email, PASSWORD))
        admin_person = _person(http, f"co.admin.{run}@orders.example.com", "admin")
        people = [
            _person(http, f"co.shopper.{run}.{n}@orders.example.com", "user")
            for n in range(shoppers)
        ]
        yield World(cloud, seller, other, admin_person, people, http)


def new_product(
    world: World, stock: int, *, seller: Person | None = None, price: int = 2500
) -> str:
    response = world.http.post(
        "/products",
        headers=(seller or world.seller).headers,
        json={
            "title": f"Lamp {uuid.uuid4().hex[:6]}",
            "category": "home",
            "subcategory": "lighting",
            "regular_price": price,
            "stock": stock,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["product_id"])


def new_variant_product(world: World, stocks: dict[str, int], price: int = 2500) -> str:
    """A product sold by SKU: ``{"red-m": units, ...}`` (colour-size)."""
    variants = [
        {"color": sku.split("-")[0], "size": sku.split("-")[1], "stock": units}
        for sku, units in stocks.items()
    ]
    response = world.http.post(
        "/products",
        headers=world.seller.headers,
        json={
            "title": f"Shirt {uuid.uuid4().hex[:6]}",
            "category": "home",
            "subcategory": "lighting",
            "regular_price": price,
            "stock": 0,
            "variants": variants,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["product_id"])


def stock_of(world: World, product_id: str, sku: str | None = None) -> int:
    from chalicelib.catalog.service import inventory, stock_key

    key = stock_key(product_id, sku)
    return inventory.stock_of([key])[key]


def add_to_cart(
    world: World, shopper: Person, product_id: str, quantity: int = 1, sku: str | None = None
) -> None:
    line: dict[str, Any] = {"product_id": product_id, "quantity": quantity}
    if sku:
        line["sku"] = sku
    response = world.http.post("/cart/items", headers=shopper.headers, json=line)
    assert response.status_code == 200, response.text


SHIPPED = {"status": "SHIPPED", "carrier": "DHL", "tracking_number": "JD014600003303"}
SHIP_TO = {
    "name": "Ada Shopper",
    "line1": "1 Market St",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


def checkout(
    world: World,
    shopper: Person,
    card: str = VISA,
    *,
    key: str | None = None,
    plan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = {**shopper.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    if plan is not None:
        headers["X-Fault-Plan"] = json.dumps(plan)
    body = {"payment_method": card, "shipping_address": SHIP_TO}
    response = world.http.post("/checkout", headers=headers, json=body)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def settled(world: World, shopper: Person, checkout_id: str, timeout: float = 20) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = world.http.get(
            f"/checkouts/{checkout_id}", headers=shopper.headers
        ).json()
        return body if body["status"] != "PENDING" else None

    try:
        return wait_for(probe, timeout=timeout, what=f"checkout {checkout_id} to settle")
    except AssertionError:
        print(json.dumps(_history(world, checkout_id), indent=1, default=str)[-6000:])
        print("".join(world.cloud.output[-40:]))
        raise


def _history(world: World, checkout_id: str) -> list[dict[str, Any]]:
    states = world.cloud.client("stepfunctions")
    machine = world.cloud.info()["state_machines"]
    arn = next(v for k, v in machine.items() if "checkout" in k.lower() or "checkout" in v)
    execution = arn.replace(":stateMachine:", ":execution:") + f":checkout-{checkout_id}"
    events: list[dict[str, Any]] = states.get_execution_history(executionArn=execution)["events"]
    return events


def settle_all(
    world: World, pairs: list[tuple[Person, str]], timeout: float = 180
) -> list[dict[str, Any]]:
    """Wait for many checkouts, reading the table directly (cheap; the API is spared)."""
    from chalicelib.orders import repository

    pending = {checkout_id for _, checkout_id in pairs}

    def probe() -> bool:
        for checkout_id in list(pending):
            if repository.get().get_checkout(checkout_id).status != "PENDING":
                pending.discard(checkout_id)
        return not pending

    try:
        wait_for(probe, timeout=timeout, what=f"{len(pairs)} checkouts to settle")
    except AssertionError:
        for checkout_id in sorted(pending)[:2]:
            print(json.dumps(_history(world, checkout_id), default=str)[-3000:])
        raise
    return [
        world.http.get(f"/checkouts/{checkout_id}", headers=shopper.headers).json()
        for shopper, checkout_id in pairs
    ]


def buy(
    world: World, stock: int = 5, quantity: int = 1, card: str = VISA, **kw: Any
) -> tuple[Person, str, dict[str, Any]]:
    shopper = world.shopper()
    product = new_product(world, stock)
    add_to_cart(world, shopper, product, quantity)
    started = checkout(world, shopper, card, **kw)
    return shopper, product, settled(world, shopper, started["checkout_id"])


def test_success_pays_every_order_and_a_double_submit_is_the_same_checkout(world: World) -> None:
    shopper = world.shopper()
    first, second = new_product(world, 5), new_product(world, 3, seller=world.other_seller)
    add_to_cart(world, shopper, first, 2)
    add_to_cart(world, shopper, second, 1)
    key = uuid.uuid4().hex
    started = checkout(world, shopper, VISA, key=key)
    again = checkout(world, shopper, VISA, key=key)
    assert again["checkout_id"] == started["checkout_id"]
    assert len(started["orders"]) == 2  # one order per shop, one payment
    done = settled(world, shopper, started["checkout_id"])
    assert done["status"] == "PAID", done
    assert {order["status"] for order in done["orders"]} == {"PAID"}
    assert done["payment"]["status"] == "SUCCEEDED"
    assert done["payment"]["amount"] == 2 * 2500 + 2500
    assert (stock_of(world, first), stock_of(world, second)) == (3, 2)
    cart = world.http.get("/cart", headers=shopper.headers).json()
    assert cart["lines"] == []
    assert checkout(world, shopper, VISA, key=key)["checkout_id"] == started["checkout_id"]


@pytest.mark.parametrize(
    ("card", "reason"),
    [(DECLINE, "PAYMENT_DECLINED"), (NO_FUNDS, "INSUFFICIENT_FUNDS")],
)
def test_refused_cards_cancel_with_a_reason_and_restock(
    world: World, card: str, reason: str
) -> None:
    shopper, product, done = buy(world, stock=4, quantity=2, card=card)
    assert (done["status"], done["reason"]) == ("CANCELLED", reason)
    assert done["orders"][0]["reason"] == reason
    assert done["payment"]["status"] == "FAILED"
    assert stock_of(world, product) == 4
    # The cart is as it was, and the checkout says so
    assert done["cart_kept"] is True
    assert "cart is as it was" in done["message"]
    cart = world.http.get("/cart", headers=shopper.headers).json()
    assert [(line["product_id"], line["quantity"]) for line in cart["lines"]] == [(product, 2)]


def test_out_of_stock_cancels_with_out_of_stock(world: World) -> None:
    shopper = world.shopper()
    product = new_product(world, 2)
    add_to_cart(world, shopper, product, 2)
    patch = world.http.get(f"/products/{product}").json()
    changed = world.http.patch(
        f"/products/{product}",
        headers=world.seller.headers,
        json={"version": patch["version"], "stock": 1},
    )
    assert changed.status_code == 200, changed.text
    done = settled(world, shopper, checkout(world, shopper)["checkout_id"])
    assert (done["status"], done["reason"]) == ("CANCELLED", "OUT_OF_STOCK")
    assert done["payment"]["status"] == "CANCELLED"
    assert stock_of(world, product) == 1


def test_processing_error_is_retried_then_paid(world: World) -> None:
    _, product, done = buy(world, stock=3, card=PROCESSING)
    assert done["status"] == "PAID", done
    assert stock_of(world, product) == 2


def test_payment_timeout_cancels_and_restocks(world: World) -> None:
    _shopper, product, done = buy(
        world, stock=3, card=THREE_DS, plan={"payment_timeout_seconds": 1}
    )
    assert (done["status"], done["reason"]) == ("CANCELLED", "PAYMENT_TIMEOUT")
    assert done["payment"]["status"] == "CANCELLED"
    assert stock_of(world, product) == 3


def test_a_success_the_saga_learns_too_late_is_refunded_once(world: World) -> None:
    from chalicelib.dev.payments import SimulatedProvider

    shopper = world.shopper()
    product = new_product(world, 3)
    add_to_cart(world, shopper, product)
    started = checkout(world, shopper, THREE_DS, plan={"payment_timeout_seconds": 4})
    payment_id = started["payment"]["payment_id"]
    wait_for(lambda: _payment_status(world, shopper, started) == "REQUIRES_ACTION")
    # The shopper passes 3-D Secure at the provider, but its webhook is late: the saga
    # times out, and voiding the intent finds it already succeeded.
    simulator = SimulatedProvider()
    intent_id = SimulatedProvider.intent_id_for(f"{payment_id}:0")
    late_event = simulator.complete_action(intent_id, succeed=True)
    assert late_event is not None, "the saga timed out before the shopper confirmed"

    done = settled(world, shopper, started["checkout_id"])
    assert (done["status"], done["reason"]) == ("CANCELLED", "PAYMENT_TIMEOUT")
    assert done["payment"]["status"] == "REFUNDED"
    assert stock_of(world, product) == 3
    intent = simulator.get(intent_id)
    assert intent is not None
    assert (intent.status, int(intent.captured), int(intent.refunded)) == ("succeeded", 2500, 2500)

    # The webhook finally arrives: nothing changes, nothing is refunded twice.
    body, signature = _signed(late_event)
    answer = world.http.post(
        "/payments/webhook", content=body, headers={"Stripe-Signature": signature}
    )
    assert answer.json() == {"received": True, "duplicate": False}
    assert settled(world, shopper, started["checkout_id"]) == done
    intent = simulator.get(intent_id)
    assert intent is not None
    assert int(intent.refunded) == 2500


def _payment_status(world: World, shopper: Person, started: dict[str, Any]) -> str:
    body = world.http.get(f"/checkouts/{started['checkout_id']}", headers=shopper.headers)
    return str(body.json()["payment"]["status"])


def test_failure_after_payment_refunds(world: World) -> None:
    _, product, done = buy(world, stock=3, card=VISA, plan={"confirm": "business"})
    assert (done["status"], done["reason"]) == ("CANCELLED", "CHECKOUT_FAILED")
    assert done["payment"]["status"] == "REFUNDED"
    assert stock_of(world, product) == 3


def _signed(event: dict[str, Any]) -> tuple[bytes, str]:
    from chalicelib.core.settings import LOCAL_WEBHOOK_SECRET
    from chalicelib.orders.providers import dumps, signature_header

    body = dumps(event)
    return body, signature_header(body, LOCAL_WEBHOOK_SECRET)


def test_3ds_completes_through_the_signed_webhook_once(world: World) -> None:
    from chalicelib.dev.payments import SimulatedProvider
    from chalicelib.orders.providers import intent_event

    shopper = world.shopper()
    product = new_product(world, 3)
    add_to_cart(world, shopper, product)
    started = checkout(world, shopper, THREE_DS)
    payment_id = started["payment"]["payment_id"]

    def waiting() -> bool:
        body = world.http.get(f"/checkouts/{started['checkout_id']}", headers=shopper.headers)
        return bool(body.json()["payment"]["status"] == "REQUIRES_ACTION")

    wait_for(waiting, what="payment to require action")
    intent_id = SimulatedProvider.intent_id_for(f"{payment_id}:0")
    event = intent_event(
        "payment_intent.succeeded",
        intent_id=intent_id,
        amount=2500,
        currency="USD",
        metadata={"payment_id": payment_id, "checkout_id": started["checkout_id"]},
        status="succeeded",
    )
    body, signature = _signed(event)
    bad = world.http.post(
        "/payments/webhook",
        content=body,
        headers={"Stripe-Signature": signature[:-1] + ("1" if signature[-1] == "0" else "0")},
    )
    assert bad.status_code == 400, (bad.text, signature)
    first = world.http.post(
        "/payments/webhook", content=body, headers={"Stripe-Signature": signature}
    )
    assert first.json() == {"received": True, "duplicate": False}
    done = settled(world, shopper, started["checkout_id"])
    assert done["status"] == "PAID"
    second = world.http.post(
        "/payments/webhook", content=body, headers={"Stripe-Signature": signature}
    )
    assert second.json() == {"received": True, "duplicate": True}
    assert settled(world, shopper, started["checkout_id"]) == done
    assert stock_of(world, product) == 2


def test_twenty_shoppers_race_for_five_units(world: World) -> None:
    product = new_product(world, 5)
    racers = [world.shopper() for _ in range(20)]
    for shopper in racers:
        add_to_cart(world, shopper, product)
    with ThreadPoolExecutor(max_workers=20) as pool:
        started = list(pool.map(lambda s: checkout(world, s), racers))
    results = settle_all(
        world, [(s, c["checkout_id"]) for s, c in zip(racers, started, strict=False)]
    )
    outcomes = sorted((r["status"], r["reason"]) for r in results)
    assert outcomes.count(("PAID", None)) == 5
    assert outcomes.count(("CANCELLED", "OUT_OF_STOCK")) == 15
    assert stock_of(world, product) == 0


def test_two_shoppers_race_for_the_last_unit_of_one_sku(world: World) -> None:
    # Given a shirt with one red/M left and three blue/L
    shirt = new_variant_product(world, {"red-m": 1, "blue-l": 3})
    racers = [world.shopper() for _ in range(2)]
    for shopper in racers:
        add_to_cart(world, shopper, shirt, sku="red-m")
    # When both check out at once
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = list(pool.map(lambda s: checkout(world, s), racers))
    results = settle_all(
        world, [(s, c["checkout_id"]) for s, c in zip(racers, started, strict=False)]
    )
    # Then exactly one gets it; the other SKU is untouched
    outcomes = sorted((r["status"], r["reason"]) for r in results)
    assert outcomes == [("CANCELLED", "OUT_OF_STOCK"), ("PAID", None)]
    assert (stock_of(world, shirt, "red-m"), stock_of(world, shirt, "blue-l")) == (0, 3)
    assert stock_of(world, shirt) == 3
    (paid,) = [r for r in results if r["status"] == "PAID"]
    assert [line["sku"] for line in paid["orders"][0]["lines"]] == ["red-m"]


def test_seeded_fault_injection_keeps_every_invariant(world: World) -> None:
    from chalicelib.dev.payments import SimulatedProvider
    from chalicelib.orders import faults, repository

    rng = random.Random(20260515)
    modes = ["transient:1", "transient:2", "after:1", "after:2", "business"]
    runs = []
    for _ in range(8):
        plan: dict[str, Any] = {}
        for step in rng.sample(faults.STEPS, 2):
            mode = rng.choice(modes)
            if step in faults.COMPENSATIONS and mode == "business":
                mode = "after:1"
            plan[step] = mode
        runs.append(
            (rng.choice([VISA, VISA, DECLINE, NO_FUNDS, PROCESSING]), plan, rng.randint(1, 2))
        )
    # Sold by SKU: the invariants hold per SKU, and the other SKU is never touched
    product = new_variant_product(world, {"red-m": 12, "blue-l": 5})
    shoppers = [world.shopper() for _ in runs]
    for shopper, (_, _, quantity) in zip(shoppers, runs, strict=False):
        add_to_cart(world, shopper, product, quantity, sku="red-m")
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(
            pool.map(
                lambda pair: checkout(world, pair[0], pair[1][0], plan=pair[1][1]),
                zip(shoppers, runs, strict=False),
            )
        )
    results = settle_all(
        world, [(s, c["checkout_id"]) for s, c in zip(shoppers, started, strict=False)]
    )
    violations = []
    taken = 0
    for (card, plan, quantity), result in zip(runs, results, strict=False):
        order = result["orders"][0]
        payment = result["payment"]
        stored = repository.get().get_order(order["order_id"])
        intent = SimulatedProvider().get(
            SimulatedProvider.intent_id_for(f"{payment['payment_id']}:{_attempts(payment)}")
        )
        captured = intent.captured if intent is not None else 0
        refunded = intent.refunded if intent is not None else 0
        kept = captured - refunded
        if order["status"] == "PAID":
            taken += quantity
            if stored.stock_state != "RESERVED" or kept != order["total"]:
                violations.append(("PAID", card, plan, stored.stock_state, kept))
        elif order["status"] == "CANCELLED":
            if stored.stock_state == "RESERVED" or kept != 0:
                violations.append(("CANCELLED", card, plan, stored.stock_state, kept))
        else:
            violations.append(("UNSETTLED", card, plan, order["status"]))
    assert violations == []
    assert stock_of(world, product, "red-m") == 12 - taken
    assert stock_of(world, product, "blue-l") == 5


def _attempts(payment: dict[str, Any]) -> int:
    from chalicelib.orders.service.payments import get_payment

    return get_payment(payment["payment_id"]).provider_attempt


def test_authorization_and_lifecycle(world: World) -> None:
    shopper, _product, done = buy(world, stock=5, quantity=2)
    order_id = done["orders"][0]["order_id"]
    stranger = world.shopper()
    assert world.http.get(f"/orders/{order_id}", headers=stranger.headers).status_code == 404
    assert (
        world.http.get(f"/orders/{order_id}", headers=world.other_seller.headers).status_code == 404
    )
    assert world.http.get(f"/orders/{order_id}", headers=world.seller.headers).status_code == 200
    mine = world.http.get("/orders", headers=shopper.headers).json()["items"]
    assert [o["order_id"] for o in mine] == [order_id]
    theirs = world.http.get("/seller/orders", headers=world.other_seller.headers).json()["items"]
    assert order_id not in {o["order_id"] for o in theirs}
    illegal = world.http.put(
        f"/orders/{order_id}/status", headers=world.seller.headers, json={"status": "DELIVERED"}
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"]["code"] == "ILLEGAL_TRANSITION"
    other = world.http.put(
        f"/orders/{order_id}/status", headers=world.other_seller.headers, json=SHIPPED
    )
    assert other.status_code == 404
    shipped = world.http.put(
        f"/orders/{order_id}/status", headers=world.seller.headers, json=SHIPPED
    )
    assert shipped.json()["status"] == "SHIPPED"
    late = world.http.post(f"/orders/{order_id}/cancel", headers=shopper.headers)
    assert late.status_code == 409
    # Cancel before shipping: refund + restock.
    shopper2, product2, done2 = buy(world, stock=5, quantity=2)
    cancelled = world.http.post(
        f"/orders/{done2['orders'][0]['order_id']}/cancel", headers=shopper2.headers
    ).json()
    assert (cancelled["status"], cancelled["reason"], cancelled["refunded"]) == (
        "CANCELLED",
        "CANCELLED_BY_SHOPPER",
        5000,
    )
    assert stock_of(world, product2) == 5
    admin = world.http.get("/admin/orders?status=SHIPPED&limit=50", headers=world.admin.headers)
    assert order_id in {o["order_id"] for o in admin.json()["items"]}
    assert world.http.get("/admin/orders", headers=shopper.headers).status_code == 403
    payments = world.http.get("/admin/payments?status=REFUNDED", headers=world.admin.headers)
    assert payments.status_code == 200


def test_an_admin_refund_is_recorded_once_and_mailed(world: World) -> None:
    # Given a delivered order of a one-shop checkout (2 x 25.00)
    shopper, _product, done = buy(world, stock=5, quantity=2)
    order_id = done["orders"][0]["order_id"]
    for target in (SHIPPED, {"status": "DELIVERED"}):
        moved = world.http.put(
            f"/orders/{order_id}/status", headers=world.seller.headers, json=target
        )
        assert moved.status_code == 200, moved.text
    # When an admin refunds it, and the request comes twice
    answers = [
        world.http.put(
            f"/orders/{order_id}/status", headers=world.admin.headers, json={"status": "REFUNDED"}
        )
        for _ in range(2)
    ]
    # Then both answer the refunded order, recorded with amount, time and admin
    assert [a.status_code for a in answers] == [200, 200]
    first, second = (a.json() for a in answers)
    assert (first["status"], first["refunded"], first["refunded_by"]) == (
        "REFUNDED",
        5000,
        world.admin.account_id,
    )
    assert first["refunded_at"]
    assert second == first
    # And the checkout and payment are REFUNDED; the provider gave back 50.00 once
    checkout = world.http.get(f"/checkouts/{done['checkout_id']}", headers=shopper.headers).json()
    assert (checkout["status"], checkout["payment"]["status"], checkout["payment"]["refunded"]) == (
        "REFUNDED",
        "REFUNDED",
        5000,
    )
    from chalicelib.dev.payments import SimulatedProvider

    intent = SimulatedProvider().get(
        SimulatedProvider.intent_id_for(f"{checkout['payment']['payment_id']}:0")
    )
    assert intent is not None
    assert (intent.captured, intent.refunded) == (5000, 5000)
    # And the shopper gets one "was refunded" email
    email = world.http.get("/me", headers=shopper.headers).json()["email"]
    subject = f"Bazaar: order {order_id[:8]} was refunded"

    def refund_mails() -> list[str] | None:
        found = world.http.get("/dev/mailbox", params={"email": email}).json()["messages"]
        mine = [m["subject"] for m in found if m["subject"] == subject]
        return mine or None

    assert wait_for(refund_mails, timeout=30, what="the refund email") == [subject]
