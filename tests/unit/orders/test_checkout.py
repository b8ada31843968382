"""Checkout rules on fakes: what a cart becomes, the Idempotency-Key, who may check out,
and a saga that cannot start."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import (
    DependencyUnavailableError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.events import DomainEvent
from chalicelib.orders.domain import (
    CheckoutDetails,
    CheckoutStatus,
    CodeState,
    OrderStatus,
    PaymentStatus,
    ShippingAddress,
)
from chalicelib.orders.errors import (
    CheckoutNotReadyError,
    IdempotencyKeyReusedError,
    ShippingAddressRequiredError,
)
from chalicelib.orders.events import CheckoutStarted, OrderCreated
from chalicelib.orders.service import checkout
from tests.fakes.orders import FakeWorkflow, InMemoryOrdersRepository
from tests.unit.orders.conftest import SHOPPER, FakeCart, FakeCodes

VISA = "4242 4242 4242 4242"
HOME = ShippingAddress(
    name="Ada Shopper", line1="1 Market St", city="Berlin", postal_code="10115", country="DE"
)


def place(
    key: str = "key-00000001", caller: Caller = SHOPPER, **kw: Any
) -> tuple[CheckoutDetails, bool]:
    if "address_id" not in kw:
        kw.setdefault("shipping_address", HOME)
    return checkout.place(caller, idempotency_key=key, payment_method=VISA, **kw)


def test_a_cart_of_two_shops_becomes_two_orders_one_payment_and_a_saga(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    cart: FakeCart,
    published: list[DomainEvent],
) -> None:
    # Given a cart with lines from two shops
    cart.add("lamp", 2, shop_id="shop-a", unit_price=2500)
    cart.add("mug", 1, shop_id="shop-b", unit_price=900)
    cart.add("rug", 1, shop_id="shop-a", unit_price=4000)
    # When the shopper checks out
    placed, created = place()
    # Then one PENDING order per shop, one payment for the total, and the saga started
    assert created
    by_shop = {order.shop_id: order for order in placed.orders}
    assert {shop: order.total for shop, order in by_shop.items()} == {
        "shop-a": 9000,
        "shop-b": 900,
    }
    assert {order.status for order in placed.orders} == {OrderStatus.PENDING}
    assert [line.product_id for line in by_shop["shop-a"].lines] == ["lamp", "rug"]
    assert (placed.payment.amount, placed.payment.status) == (9900, PaymentStatus.PENDING)
    assert placed.payment.method == "4242424242424242"  # the card as the simulator keeps it
    assert placed.checkout.status == CheckoutStatus.PENDING
    assert flow.started == [
        (
            f"checkout-{placed.checkout.checkout_id}",
            {
                "checkout_id": placed.checkout.checkout_id,
                "payment_id": placed.payment.payment_id,
                "payment_timeout_seconds": 900,
                "faults": {},
            },
        )
    ]
    assert [type(e) for e in published] == [CheckoutStarted, OrderCreated, OrderCreated]
    assert repo.get_checkout(placed.checkout.checkout_id) == placed.checkout


def test_the_same_key_is_the_same_checkout_and_restarts_only_a_pending_saga(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    first, _ = place("same-key-01")
    # When the client retries with the same key
    again, created = place("same-key-01")
    # Then the same checkout, no second order, and the saga asked to start by the same name
    assert (created, again.checkout) == (False, first.checkout)
    assert len(repo.orders) == 1
    assert [name for name, _ in flow.started] == [f"checkout-{first.checkout.checkout_id}"]
    # A checkout already settled is returned as it is
    repo.set_checkout_status(first.checkout.checkout_id, CheckoutStatus.PAID)
    flow.started.clear()
    assert place("same-key-01")[0].checkout.status == CheckoutStatus.PAID
    assert flow.started == []


def test_a_fault_plan_travels_with_the_checkout_into_the_saga(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    plan = {"reserve": "transient:2", "payment_timeout_seconds": 3}
    placed, _ = place(fault_plan=plan)
    assert placed.checkout.faults == plan
    ((_, saga_input),) = flow.started
    assert (saga_input["faults"], saga_input["payment_timeout_seconds"]) == (
        {"reserve": "transient:2"},
        3,
    )


def test_a_code_is_counted_with_the_checkout_and_discounts_its_shop(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    cart: FakeCart,
    codes: FakeCodes,
    published: list,
) -> None:
    cart.add("lamp", 2, shop_id="shop-a", unit_price=2500)
    cart.add("mug", 1, shop_id="shop-b", unit_price=900)
    cart.code = "WELCOME10"
    codes.amounts["WELCOME10"] = ("shop-a", 500)
    placed, _ = place()
    by_shop = {order.shop_id: order for order in placed.orders}
    assert (by_shop["shop-a"].discount, by_shop["shop-a"].total) == (500, 4500)
    assert (by_shop["shop-b"].discount, placed.payment.amount) == (0, 5400)
    assert (placed.checkout.code, placed.checkout.code_state) == ("WELCOME10", CodeState.REDEEMED)
    assert len(repo.redemptions) == 1  # written in the checkout's own transaction


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (None, ValidationFailedError),
        ("short", ValidationFailedError),
        ("bad key!", ValidationFailedError),
    ],
)
def test_an_idempotency_key_is_required(
    repo: InMemoryOrdersRepository, key: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        checkout.place(SHOPPER, idempotency_key=key, payment_method=VISA)


def test_sellers_empty_carts_and_unknown_cards_are_refused(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart
) -> None:
    seller = Caller("seller-1", Role.SELLER, "seller@example.com", shop_id="shop-a")
    with pytest.raises(ForbiddenError):
        place(caller=seller)
    with pytest.raises(CheckoutNotReadyError):
        place()  # the cart is empty
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    cart.lines[0] = replace(cart.lines[0], available=False, problem="unavailable")
    with pytest.raises(CheckoutNotReadyError) as blocked:
        place()
    assert blocked.value.details == {"problems": [{"product_id": "lamp", "problem": "unavailable"}]}
    with pytest.raises(ValidationFailedError):
        checkout.place(
            SHOPPER,
            idempotency_key="key-00000002",
            payment_method="1234 5678",
            shipping_address=HOME,
        )
    assert repo.checkouts == {}
    assert flow.started == []


def test_a_saga_that_cannot_start_cancels_the_checkout(
    repo: InMemoryOrdersRepository,
    flow: FakeWorkflow,
    cart: FakeCart,
    codes: FakeCodes,
    published: list,
) -> None:
    # Given Step Functions refuses to start executions
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    cart.code = "WELCOME10"
    codes.amounts["WELCOME10"] = ("shop-a", 500)
    flow.unavailable = True
    # When the shopper checks out, the request fails (503) ...
    with pytest.raises(DependencyUnavailableError):
        place()
    # ... and what it stored is given up: orders and checkout cancelled, the code given back
    (stored,) = repo.checkouts.values()
    assert (stored.status, stored.reason) == (CheckoutStatus.CANCELLED, "CHECKOUT_FAILED")
    assert {o.status for o in repo.orders.values()} == {OrderStatus.CANCELLED}
    assert repo.get_payment(stored.payment_id).status == PaymentStatus.CANCELLED
    assert codes.released == [("WELCOME10", "shopper")]


def test_a_shopper_sees_only_their_checkouts(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    from chalicelib.core.errors import NotFoundError

    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    placed, _ = place()
    checkout_id = placed.checkout.checkout_id
    assert checkout.checkout_for(SHOPPER, checkout_id).checkout == placed.checkout
    with pytest.raises(NotFoundError):
        checkout.checkout_for(Caller("someone-else", Role.USER), checkout_id)
    admin = Caller("admin-1", Role.ADMIN)
    assert checkout.checkout_for(admin, checkout_id).payment == placed.payment


def test_a_checkout_needs_exactly_one_shipping_address(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart
) -> None:
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    # Without an address, or with both kinds at once: refused, nothing stored
    with pytest.raises(ShippingAddressRequiredError) as missing:
        checkout.place(SHOPPER, idempotency_key="key-00000003", payment_method=VISA)
    assert missing.value.code == "SHIPPING_ADDRESS_REQUIRED"
    with pytest.raises(ShippingAddressRequiredError):
        place(address_id="addr-1", shipping_address=HOME)
    assert (repo.checkouts, flow.started) == ({}, [])


def test_the_inline_address_and_the_buyers_contact_are_copied_onto_each_order(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    cart.add("mug", 1, shop_id="shop-b", unit_price=900)
    placed, _ = place()
    assert {(o.shipping_address, o.contact_email) for o in placed.orders} == {
        (HOME, "shopper@example.com")
    }


def test_a_saved_address_is_copied_and_survives_address_book_changes(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    from chalicelib.core import clock
    from chalicelib.identity import repository as identity_repository
    from chalicelib.identity.domain import Account, AccountStatus
    from chalicelib.identity.schemas import AddressRequest
    from chalicelib.identity.service import addresses
    from tests.fakes.identity import FakeIdentityRepository

    identity = FakeIdentityRepository()
    identity_repository.use(identity)
    try:
        identity.add_account(
            Account(
                account_id=SHOPPER.account_id,
                email=SHOPPER.email,
                role=Role.USER,
                status=AccountStatus.ACTIVE,
                created_at=clock.now(),
            )
        )
        saved = addresses.add_address(
            SHOPPER,
            AddressRequest(
                recipient="Ada Shopper",
                line1="1 Market St",
                city="Berlin",
                postal_code="10115",
                country="de",
                phone="+49 30 123456",
            ),
        )
        cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
        placed, _ = place(address_id=saved.address_id)
        # When the shopper deletes the address from the book
        addresses.delete_address(SHOPPER, saved.address_id)
        # Then the order still ships where it did
        order = repo.get_order(placed.orders[0].order_id)
        assert order.shipping_address == replace(HOME, phone="+49 30 123456")
        # And an address that is not theirs is not found
        with pytest.raises(NotFoundError):
            place("key-00000009", address_id=saved.address_id)  # deleted now
        stranger = Caller("stranger", Role.USER, "s@example.com")
        with pytest.raises(NotFoundError):
            place("key-00000010", caller=stranger, address_id="addr-of-someone")
    finally:
        identity_repository.use(None)


def test_the_same_key_with_another_body_is_refused(
    repo: InMemoryOrdersRepository, flow: FakeWorkflow, cart: FakeCart, published: list
) -> None:
    cart.add("lamp", 1, shop_id="shop-a", unit_price=2500)
    first, _ = place("reused-key-1")
    # The same key and body: the same checkout
    assert place("reused-key-1")[0].checkout == first.checkout
    # The same key, another address: refused with 422's error, nothing new stored
    with pytest.raises(IdempotencyKeyReusedError) as reused:
        place("reused-key-1", shipping_address=replace(HOME, city="Hamburg"))
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert len(repo.checkouts) == 1
